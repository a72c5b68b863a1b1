"""``confab migrate``: apply the database migrations (and, on PostgreSQL, create the job queue's tables)
and exit, the one-shot step of a scaled deployment.

The compose ``migrate`` service and the Kubernetes ``confab-migrate`` Job run it once per release,
before the other processes start; those wait with ``confab migrate --check``, which only reads
(exit 1 while migrations are pending or the database is unreachable). Opening the store is what
migrates it (under the store's own lock), so running it twice, or from two places, is safe.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer


def migrate(
    check: Annotated[bool, typer.Option("--check", help="Only report whether migrations are pending (exit 1 "
                                                        "if any, or if the database cannot be reached); "
                                                        "change nothing.")] = False,
) -> None:
    """Apply the database migrations (CONFAB_DATABASE_URL's PostgreSQL, or the SQLite file) and exit."""
    from bot.cli.doctor import echo_checks
    from bot.cli.service_checks import error_text, known_migrations, masked_url, postgres_checks
    from bot.cli.startup import load_settings_or_exit
    from bot.logs import register_secrets, setup_logging

    settings = load_settings_or_exit()
    register_secrets(settings.secret_values())
    url = settings.database_url.get_secret_value() if settings.database_url is not None else None
    known = known_migrations()
    if check:
        if url is None:
            typer.echo(f"SQLite {settings.database}: migrated by Confab itself when it opens the file")
            return
        if echo_checks(postgres_checks(url, known)):
            raise typer.Exit(1)
        return

    setup_logging(settings.log_level)

    async def apply() -> None:
        from agent.storage import open_storage

        store = await open_storage(settings)
        await store.close()
        if url is not None:  # the job queue's tables too, so no replica has DDL left to do at start
            import psycopg

            from agent.jobs.schema import ensure_schema

            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await ensure_schema(conn)

    try:
        asyncio.run(apply())
    except Exception as exc:  # the one-shot step's whole job: any failure is its exit status, told plainly
        typer.echo(f"confab: migration failed: {error_text(exc)}", err=True)
        raise typer.Exit(1) from None
    if url is None:
        typer.echo(f"SQLite {settings.database}: up to date")
        return
    checks = postgres_checks(url, known)  # read back what is applied now
    if echo_checks(checks):
        raise typer.Exit(1)
    typer.echo(f"PostgreSQL {masked_url(url)}: up to date")

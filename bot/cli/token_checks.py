"""Shape checks of the platform tokens (no network), shared by ``confab doctor`` and ``confab run``.

A swapped or mangled token (an ``xapp-`` token in SLACK_BOT_TOKEN, a Discord token pasted with
``Bot `` or quotes) fails at start with the fix instead of at the first API call.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

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

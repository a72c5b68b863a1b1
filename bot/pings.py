"""The one ping Confab means: a help channel's helper group (``/confab settings help_group``).

Everything else Confab posts is defused (bot/text.py, the adapters' own guards). A reply that carries
``Reply.mention_group`` gets exactly that group's mention put before its text by the adapter, in the
platform's syntax: Slack ``<!subteam^S…>`` (a user group), Discord ``<@&…>`` (a role, with
``allowed_mentions`` for that role only); elsewhere (the console) a plain ``@name``. The id is checked here,
when it is set and again in the outbox, so a value that is not a group's id never becomes a ping.
"""

from __future__ import annotations

import re

_SLACK_GROUP = re.compile(r"^S[A-Z0-9]{2,20}$")
_DISCORD_ROLE = re.compile(r"^\d{15,21}$")
_NAME = re.compile(r"^[\w.\-]{1,80}$")
# as people type them: Slack's <!subteam^S123|@helpers>, Discord's <@&123>
_TYPED_SLACK = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
_TYPED_DISCORD = re.compile(r"^<@&(\d+)>$")


def valid_group(platform: str, group: str) -> bool:
    """Whether ``group`` can name a group to ping on ``platform``."""
    if platform == "slack":
        return _SLACK_GROUP.match(group) is not None
    if platform == "discord":
        return _DISCORD_ROLE.match(group) is not None
    return _NAME.match(group) is not None


def group_from_mention(value: str, platform: str) -> str | None:
    """The group an admin named (``<!subteam^S123|@helpers>`` on Slack, ``<@&123>`` on Discord, or the bare id;
    a name elsewhere); None when it names no group there (a person, a channel, ``@everyone``)."""
    value = value.strip()
    for typed in (_TYPED_SLACK, _TYPED_DISCORD):
        if match := typed.match(value):
            value = match.group(1)
    if platform not in ("slack", "discord"):
        value = value.lstrip("@")
        if value.lower() in ("everyone", "here", "channel"):
            return None
    return value if valid_group(platform, value) else None


def group_ping(platform: str, group: str) -> str:
    """The mention of ``group`` in ``platform``'s syntax (check it with :func:`valid_group` first)."""
    if platform == "slack":
        return f"<!subteam^{group}>"
    if platform == "discord":
        return f"<@&{group}>"
    return f"@{group}"


def shown_group(platform: str, group: str) -> str:
    """How a settings reply names the group without pinging it (Slack and Discord render the mention: not used)."""
    if platform == "discord":
        return f"role `{group}`"
    if platform == "slack":
        return f"user group `{group}`"
    return f"`@{group}`"


def pinged_text(platform: str, text: str, group: str | None) -> str:
    """``text`` after ``group``'s mention (when there is one): what an adapter posts as a reply's first part."""
    return text if group is None else f"{group_ping(platform, group)} {text}"

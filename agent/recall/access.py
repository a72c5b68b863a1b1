"""Who may see which conversation's lines: the rule conversation search applies, whatever the platform.

The platform edge answers, at query time, one question per channel: may this asker (and Confab) read it, and
how widely is it read (:data:`Visibility`)? An error, an unknown channel or a missing answer refuses the
channel (fails closed). Then where the reply goes decides what it may quote (:func:`shown_in`):

- in the asker's own DM with Confab, everything the asker may read (only they read the reply);
- anywhere else, only public channels' lines and the reply's own channel's: a private channel's or a DM's
  line never appears in another channel, even one whose members could all read it. The reply says how many
  more matches are in places only the asker may read, and where to ask to see them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

log = logging.getLogger(__name__)

# "public": anyone in the workspace may read it (a public Slack channel, a Discord channel @everyone can read,
# the console); "private": only its members (a private channel, a group DM, a restricted Discord channel or a
# private thread); "dm": the asker's own direct conversation with Confab
Visibility = Literal["public", "private", "dm"]


class ChannelAccess(Protocol):
    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        """For each channel key, its visibility when the asker and Confab may both read it; None (or no
        entry) when either may not, or when that could not be confirmed."""

    async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        """For each (channel key, thread) of a readable channel, whether the asker may read that thread too
        (a Discord private thread may be narrower than its channel); no entry refuses it."""

    def link(self, channel_key: str, thread: str | None, message_id: str) -> str | None:
        """The message's permalink, or the label the platform shows it under (the console's ``[12]``)."""

    def label(self, channel_key: str) -> str | None:
        """How the reply names a channel the check found readable (``#product``, ``<#123>``); None: unknown."""


def shown_in(here: str, here_visibility: Visibility | None, channel_key: str, visibility: Visibility | None) -> bool:
    """Whether a line of ``channel_key`` may be quoted in a reply in ``here``."""
    if visibility is None or here_visibility is None:
        return False
    if channel_key == here or here_visibility == "dm":
        return True
    return visibility == "public"


async def checked(access: ChannelAccess | None, channel_keys: Sequence[str]) -> dict[str, Visibility | None]:
    """:meth:`ChannelAccess.visibility`, refusing every channel when there is no access check or it fails."""
    if access is None:
        return dict.fromkeys(channel_keys)
    try:
        found = await access.visibility(channel_keys)
    except Exception:
        log.exception("checking which channels the asker may read failed; refusing them all")
        return dict.fromkeys(channel_keys)
    out: dict[str, Visibility | None] = {}
    for key in channel_keys:
        value = found.get(key)
        out[key] = value if value in ("public", "private", "dm") else None
    return out


async def threads_checked(access: ChannelAccess | None, threads: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """The threads the asker may read, among those; none when the check is missing or fails."""
    if access is None or not threads:
        return set()
    try:
        found = await access.threads(threads)
    except Exception:
        log.exception("checking which threads the asker may read failed; refusing them all")
        return set()
    return {thread for thread in threads if found.get(thread) is True}


"""Who wrote a message: the display name and admin flag from Slack's ``users.info``, looked up once per person
for a while rather than once per message.

Three places are tried in turn: this process's map (``AUTHOR_TTL_S`` after a lookup), the profiles shared by
every replica in Redis (:mod:`agent.state.profiles`, when ``CONFAB_REDIS_URL`` is set; what another replica
looked up serves this one), then ``users.info``. Concurrent lookups of one person share one call. A failed
lookup keeps the bare user id for ``FAILED_TTL_S`` in this process only (never shared).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.state.profiles import Profiles
from bot.events import Author
from bot.slack.convert import author_from_user_info
from bot.text import scrub

log = logging.getLogger("bot.slack.listeners")

AUTHOR_TTL_S = 600.0
SHARED_LOCAL_TTL_S = 60.0  # a profile read from Redis is kept here this long (Redis keeps its own TTL)
FAILED_TTL_S = 60.0
MAX_LOCAL = 20_000


def profile_of(author: Author) -> dict[str, Any]:
    return {"id": author.id, "name": author.name, "is_bot": author.is_bot, "is_admin": author.is_admin,
            "is_guest": author.is_guest}


def author_of(profile: dict[str, Any], user_id: str) -> Author | None:
    """The author a shared profile describes, or None when it is not one of ours for ``user_id``."""
    name = profile.get("name")
    if profile.get("id") != user_id or not isinstance(name, str) or not name:
        return None
    return scrub(Author(id=user_id, name=name, is_bot=profile.get("is_bot") is True,
                        is_admin=profile.get("is_admin") is True, is_guest=profile.get("is_guest") is True))


class SlackAuthors:
    def __init__(self, client: Callable[[], AsyncWebClient], shared: Profiles | None = None) -> None:
        self.client = client
        self.shared = shared
        self._local: OrderedDict[str, tuple[float, Author]] = OrderedDict()
        self._looking: dict[str, asyncio.Task[Author]] = {}

    def known(self, fallback: Author) -> Author | None:
        """What :meth:`author` would return without waiting (no lookup due), else None."""
        if fallback.is_bot or not fallback.id.startswith(("U", "W")):
            return fallback
        kept = self._local.get(fallback.id)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    async def author(self, fallback: Author) -> Author:
        """The author with display name and admin flag, or ``fallback`` (a bot, or the lookup failed)."""
        known = self.known(fallback)
        if known is not None:
            return known
        user_id = fallback.id
        task = self._looking.get(user_id)
        if task is None:
            task = self._looking[user_id] = asyncio.create_task(self._look_up(fallback))
            task.add_done_callback(lambda _: self._looking.pop(user_id, None))
        return await asyncio.shield(task)  # a caller that stops waiting leaves the lookup to the others

    async def _look_up(self, fallback: Author) -> Author:
        user_id = fallback.id
        if self.shared is not None:
            profile = await self.shared.get(f"slack:{user_id}")
            found = author_of(profile, user_id) if profile is not None else None
            if found is not None:
                self._keep(user_id, found, SHARED_LOCAL_TTL_S)
                return found
        try:
            resp = await self.client().users_info(user=user_id)
            user = resp.get("user")
        except SlackApiError as exc:
            log.info("users.info failed", extra={"error": exc.response.get("error")})
            user = None
        except Exception:
            log.exception("users.info failed")
            user = None
        if not (isinstance(user, dict) and user.get("id")):
            self._keep(user_id, fallback, FAILED_TTL_S)
            return fallback
        found = author_from_user_info(user)
        self._keep(user_id, found, AUTHOR_TTL_S)
        if self.shared is not None:
            await self.shared.put(f"slack:{user_id}", profile_of(found), AUTHOR_TTL_S)
        return found

    def _keep(self, user_id: str, author: Author, ttl_s: float) -> None:
        self._local[user_id] = (time.monotonic() + ttl_s, author)
        self._local.move_to_end(user_id)
        while len(self._local) > MAX_LOCAL:
            self._local.popitem(last=False)

"""Dropping repeated deliveries of one platform event (Slack retries, gateway replays).

The store's event ledger remembers event keys (shared by restarts and by every process on the database);
when it is unavailable, an in-process LRU of recent keys stands in.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SEEN_MAX = 20_000


class FirstDelivery:
    def __init__(self, namespace: str, handler: Callable[[], Any]) -> None:
        """``namespace`` prefixes every key (``slack``, ``discord:interaction``); ``handler`` returns the
        adapter's current event handler, whose ``deps.store.events`` keeps the keys."""
        self.namespace = namespace
        self._handler = handler
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, event_id: str) -> bool:
        """True the first time ``event_id`` arrives, False for every repeat."""
        store = getattr(getattr(self._handler(), "deps", None), "store", None)
        if store is not None:
            try:
                return bool(await store.events.first_delivery(f"{self.namespace}:{event_id}"))
            except Exception:
                log.exception("persisted dedupe failed; using the in-memory one")
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            return False
        self._seen[event_id] = None
        while len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        return True

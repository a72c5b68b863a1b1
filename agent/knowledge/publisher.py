"""The indexer's side of index versions: publish each new version once, and keep the board holding it.

A board on Redis may restart empty (no persistence) or be unreachable when a build finishes, so the
indexer checks every ``check_s`` that the board holds its version (or a newer one: another indexer's,
e.g. during a rollout) and publishes it again when not.
Meanwhile replicas keep the index they have. A failure is logged once until publishing works again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.knowledge.versions import older
from agent.state.versions import VersionBoard, still_cancelled

log = logging.getLogger(__name__)

VERSIONS = "knowledge-index"  # the name knowledge index versions are published under


class Publisher:
    def __init__(self, board: VersionBoard) -> None:
        self.board = board
        self._published: str | None = None  # what the board holds, as far as this process knows
        self._failing = False

    async def publish(self, version: str | None, check: bool = False) -> None:
        """Publish ``version`` unless already done (``check``: unless the board holds it); never raises."""
        if version is None:
            return
        try:
            if check and (held := await self.board.current(VERSIONS)) != version:
                if held is not None and not older(held, version):  # a newer indexer's: not ours to undo
                    return
                self._published = None
            if version != self._published:
                await self.board.publish(VERSIONS, version)
                self._published = version
                log.info("knowledge index version published", extra={"version": version})
        except Exception as exc:  # the board's backend is down: replicas keep their index meanwhile
            still_cancelled()
            if not self._failing:
                log.warning("knowledge index version not published; retrying",
                            extra={"version": version, "error": repr(exc)[:300]})
            self._failing = True
        else:
            if self._failing:
                log.info("knowledge index versions published again", extra={"version": version})
            self._failing = False

    async def keep(self, current: Callable[[], str | None], check_s: float) -> None:
        """Every ``check_s``, make sure the board holds ``current()``; until cancelled."""
        while True:
            await asyncio.sleep(check_s)
            await self.publish(current(), check=True)

"""An adapter's in-flight event and command work, tracked so shutdown can wait for it or cancel it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundWork:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.add(task)  # a strong reference: the loop keeps only weak ones
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until nothing is in flight, including work spawned while waiting."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, grace_s: float = 0.0) -> None:
        """Let work finish for ``grace_s`` seconds, then cancel what is left and wait for it to end."""
        try:
            if self._tasks and grace_s > 0:
                await asyncio.wait(list(self._tasks), timeout=grace_s)
        finally:  # also when the wait itself is cancelled (a second Ctrl-C): nothing is left running
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

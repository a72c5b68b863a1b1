"""Watching the knowledge folder (watchfiles): only the indexer does, and re-indexes on changes."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from agent.knowledge.builder import BuildReport

log = logging.getLogger(__name__)

# (what to log when it fails) -> the report, None when it failed
Reindex = Callable[[str], Coroutine[Any, Any, BuildReport | None]]


async def watch_folder(root: Path, reindex: Reindex) -> None:
    """Build once, then re-index whenever ``root`` changes, until cancelled."""
    from watchfiles import awatch

    # watching starts before the first build (awatch sets up its watch on the first iteration, before
    # this task yields), so a file saved while it runs is not missed
    initial = asyncio.create_task(reindex("initial knowledge index failed"))
    try:
        async for changes in awatch(root, debounce=1500, recursive=True):
            if not worth_reindexing(root, [Path(p) for _, p in changes]):
                continue
            report = await reindex("background re-index failed; the previous index stays in use")
            if report is not None:
                log.info("knowledge folder changed; re-indexed",
                         extra={"embedded": len(report.embedded), "removed": len(report.removed)})
    except asyncio.CancelledError:
        initial.cancel()
        raise
    except Exception:
        log.exception("cannot watch the knowledge folder; /reindex still refreshes it")
        await initial


def worth_reindexing(root: Path, changed: list[Path]) -> bool:
    """False only when every change is to a hidden file or folder (editors' swap files, .git): those are
    never indexed. ``root`` is resolved; a path that is not below it as given is compared once resolved."""
    for path in changed:
        try:
            rel = path.relative_to(root)
        except ValueError:
            try:
                rel = Path(os.path.realpath(path)).relative_to(root)
            except ValueError:
                return True  # not recognisably ours: re-indexing costs little when nothing changed
        if not any(part.startswith(".") for part in rel.parts):
            return True
    return False

"""Waiting in tests without fixed sleeps: ``until(condition)`` polls a condition (sync or async) that has
no event to wait on, e.g. a fake server recording a call or a file watcher catching up, and fails with a
clear message after ``within_s`` seconds instead of hanging or racing."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

POLL_S = 0.01


async def until(condition: Callable[[], Any], within_s: float = 10.0, what: str | None = None) -> Any:
    """Return the condition's first truthy value; raise ``TimeoutError`` naming ``what`` after ``within_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"waited {within_s:g} s for {what or getattr(condition, '__name__', 'a condition')}")
        await asyncio.sleep(POLL_S)

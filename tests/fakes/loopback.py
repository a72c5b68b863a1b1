"""Serving a fake platform or provider API on loopback, at a port the OS picks."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def serve_on_loopback(app: web.Application, **runner_options: Any) -> tuple[web.AppRunner, str]:
    """Start ``app`` on 127.0.0.1; returns its runner (``cleanup()`` stops it) and its base URL.

    The listen backlog is deep (aiohttp's default is 128): a benchmark opening a few hundred
    connections at once otherwise loses SYNs, and the kernel's 1 s retransmit shows up as a stall
    of the bot that a real platform's servers would never cause."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

"""``DISCORD_API_BASE_URL`` for one client: its REST calls go to another server (a proxy, or the
loopback fake in tests and benchmarks) while discord.py's process-wide ``Route.BASE`` stays as it is.

discord.py builds every URL from the class attribute ``discord.http.Route.BASE``, so setting it moves
every client in the process. Instead, :func:`use_api_base` gives one client an HTTP client that
rebases each route's URL; interaction responses and follow-ups, which discord.py sends as webhook
calls through the adapter in its ``async_context``, get a :class:`RebasedWebhooks` that
:meth:`bot.discord.adapter.DiscordAdapter.start` installs for its own tasks only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter


def rebase(url: str, api_base: str) -> str:
    """``url`` (built on discord.py's ``Route.BASE``) on ``api_base`` instead."""
    default = Route.BASE
    return api_base + url[len(default):] if url.startswith(default) else url


class RebasedHTTPClient(HTTPClient):
    """discord.py's REST client, sending every route to ``api_base``."""

    api_base = ""

    async def request(self, route: Route, *, files: Sequence[discord.File] | None = None,
                      form: Iterable[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, files=files, form=form, **kwargs)


class RebasedWebhooks(AsyncWebhookAdapter):
    """discord.py's webhook caller (interaction responses, follow-ups), sending to ``api_base``."""

    def __init__(self, api_base: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # discord.py leaves it unannotated
        self.api_base = api_base

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, session, **kwargs)


def use_api_base(client: discord.Client, api_base: str) -> None:
    """Send ``client``'s REST calls to ``api_base`` (e.g. ``http://127.0.0.1:8080/api/v10``).

    Call it right after creating the client, before anything (a command tree) holds its HTTP client.
    """
    old = client.http
    http = RebasedHTTPClient(old.loop, old.connector, proxy=old.proxy, proxy_auth=old.proxy_auth,
                             unsync_clock=not old.use_clock, http_trace=old.http_trace,
                             max_ratelimit_timeout=old.max_ratelimit_timeout)
    http.api_base = api_base.rstrip("/")
    client.http = http
    client._connection.http = http  # the connection state keeps its own reference

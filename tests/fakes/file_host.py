"""Files served by a loopback fake platform (Slack's files.slack.com, Discord's CDN), as the bot downloads them.

A fake adds :meth:`FileHost.install` to its aiohttp app; a test puts files in ``files`` (by name) and hands
out :meth:`FileHost.url`. Each file may answer with an error status, a redirect, no ``Content-Length``
(chunked), a delay, or a web page; every request is recorded with its ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.downloads import FileHosts


@dataclass
class HostedFile:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    redirect: str | None = None  # answered as a 302 to this URL
    chunked: bool = False  # sent without Content-Length
    delay_s: float = 0.0  # before the body


@dataclass
class FileRequest:
    name: str
    authorization: str


@dataclass
class FileHost:
    prefix: str = "/files"
    files: dict[str, HostedFile] = field(default_factory=dict)
    requests: list[FileRequest] = field(default_factory=list)
    base: str = ""  # set by the fake once it serves

    def install(self, app: web.Application) -> None:
        app.router.add_get(self.prefix + "/{name}", self._serve)

    def url(self, name: str) -> str:
        return f"{self.base}{self.prefix}/{name}"

    def put(self, name: str, body: bytes, content_type: str = "text/plain", **options: object) -> str:
        self.files[name] = HostedFile(body, content_type, **options)  # type: ignore[arg-type]
        return self.url(name)

    def served(self, name: str) -> list[FileRequest]:
        return [r for r in self.requests if r.name == name]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.requests.append(FileRequest(name, request.headers.get("Authorization", "")))
        hosted = self.files.get(name)
        if hosted is None:
            return web.Response(status=404, text="not found")
        if hosted.redirect is not None:
            raise web.HTTPFound(hosted.redirect)
        if hosted.status != 200:
            return web.Response(status=hosted.status, text="error")
        if hosted.delay_s:
            await asyncio.sleep(hosted.delay_s)
        if not hosted.chunked:
            return web.Response(body=hosted.body, content_type=hosted.content_type)
        response = web.StreamResponse(headers={"Content-Type": hosted.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for at in range(0, len(hosted.body), 64 * 1024):
            await response.write(hosted.body[at:at + 64 * 1024])
        await response.write_eof()
        return response


# what the adapters may download from in tests: the fakes' loopback address over http (production: https and the
# platforms' own hosts, with no setting to change them)
LOOPBACK_FILES = FileHosts("the test platform", frozenset({"127.0.0.1"}), scheme="http")

"""Fetching a file attached to a message: streamed to a private temporary folder, from allowed hosts only.

One :class:`Downloader` per platform (the adapters' ``fetch_file``, see :class:`bot.adapter.Adapter`):

- only URLs on the platform's own file hosts (:data:`SLACK_FILE_HOSTS`, :data:`DISCORD_FILE_HOSTS`) over
  https are requested; the credentials header (Slack's bot token) therefore never leaves them;
- redirects are followed by hand, at most :data:`MAX_REDIRECTS`, and only to the same allowed hosts; a redirect
  anywhere else refuses the file;
- the size cap is checked against ``Content-Length`` before the body is read and against a running count while
  it streams to disk, so a file over the cap is refused before it has been downloaded;
- connect and read timeouts bound a slow host; an empty file, an error status or a web page where a file was
  expected (Slack's sign-in page when ``files:read`` is missing) refuse it too.

Every refusal is a :class:`bot.errors.FileRefused` with one short reason for the person, and a log line.
The file is written to a folder of its own (``mkdtemp``: readable by this user only); :func:`discard` removes it.
Tests reach 127.0.0.1 fakes by passing their own :class:`FileHosts` to an adapter's constructor; no setting
changes the hosts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot import messages as say
from bot.errors import FileRefused
from bot.events import Attachment

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0  # between two chunks of the body
TOTAL_TIMEOUT_S = 120.0
CHUNK = 64 * 1024
_SAFE = re.compile(r"[^\w.\-]+")
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileHosts:
    """Where one platform's files may come from: these exact host names, over ``scheme``."""

    platform: str
    names: frozenset[str]
    scheme: str = "https"

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == self.scheme and (parts.hostname or "").lower() in self.names


SLACK_FILE_HOSTS = FileHosts("Slack", frozenset({"files.slack.com"}))
DISCORD_FILE_HOSTS = FileHosts("Discord", frozenset({"cdn.discordapp.com", "media.discordapp.net"}))


class Downloader:
    def __init__(self, hosts: FileHosts, headers: Mapping[str, str] | None = None, *,
                 read_timeout_s: float = READ_TIMEOUT_S, total_timeout_s: float = TOTAL_TIMEOUT_S) -> None:
        """``headers`` (the bot token) go with every request, which only allowed hosts receive."""
        self.hosts = hosts
        self.headers = dict(headers or {})
        self.timeout = aiohttp.ClientTimeout(total=total_timeout_s, connect=CONNECT_TIMEOUT_S,
                                             sock_read=read_timeout_s)

    async def fetch(self, attachment: Attachment, max_bytes: int) -> Path:
        """The attachment's bytes in a private temporary file (see :func:`discard`); FileRefused if not."""
        name = attachment.filename
        platform = self.hosts.platform
        if not attachment.url:
            raise _refuse(name, say.FILE_NO_LINK, "no url")
        if attachment.size is not None and attachment.size > max_bytes:
            raise _refuse(name, say.FILE_TOO_BIG.format(limit=max_bytes / MB), "declared size over the cap",
                          size=attachment.size)
        url = attachment.url
        if not self.hosts.allows(url):
            raise _refuse(name, say.FILE_WRONG_HOST.format(platform=platform), "host not allowed",
                          host=urlsplit(url).hostname)
        try:
            async with aiohttp.ClientSession(timeout=self.timeout, headers=self.headers) as session:
                for _ in range(MAX_REDIRECTS + 1):
                    async with session.get(url, allow_redirects=False) as resp:
                        if resp.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, resp.headers.get("Location", ""))
                            if not self.hosts.allows(url):
                                raise _refuse(name, say.FILE_REDIRECTED.format(platform=platform),
                                              "redirect to another host", host=urlsplit(url).hostname)
                            continue
                        return await _save(resp, attachment, max_bytes)
                raise _refuse(name, say.FILE_HOST_ERROR.format(status="with too many redirects"), "redirect loop")
        except TimeoutError:
            raise _refuse(name, say.FILE_TIMED_OUT, "timeout") from None
        except aiohttp.ClientError as exc:
            raise _refuse(name, say.FILE_UNREACHABLE, "client error", error=type(exc).__name__) from None


async def _save(resp: aiohttp.ClientResponse, attachment: Attachment, max_bytes: int) -> Path:
    name = attachment.filename
    if resp.status != 200:
        raise _refuse(name, say.FILE_HOST_ERROR.format(status=resp.status), "error status", status=resp.status)
    if resp.content_type == "text/html" and "html" not in attachment.mime and \
            not attachment.filename.lower().endswith((".html", ".htm")):
        raise _refuse(name, say.FILE_WEB_PAGE, "a web page instead of the file")
    too_big = say.FILE_TOO_BIG.format(limit=max_bytes / MB)
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise _refuse(name, too_big, "Content-Length over the cap", size=resp.content_length)
    path = private_path(name)
    total = 0
    try:
        with path.open("wb") as out:
            async for chunk in resp.content.iter_chunked(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise _refuse(name, too_big, "body over the cap", size=total)
                await asyncio.to_thread(out.write, chunk)
        if total == 0:
            raise _refuse(name, say.FILE_EMPTY, "empty")
    except BaseException:
        discard(path)
        raise
    log.info("attachment downloaded", extra={"file": name, "size": total})
    return path


async def copy_local(source: Path, attachment: Attachment, max_bytes: int) -> Path:
    """A file on this machine (the console's ``/attach PATH``), copied like a download, with the same caps."""
    name = attachment.filename

    def copy() -> Path:
        if not source.is_file():
            raise _refuse(name, say.FILE_MISSING, "not a regular file")
        size = source.stat().st_size
        if size > max_bytes:
            raise _refuse(name, say.FILE_TOO_BIG.format(limit=max_bytes / MB), "over the cap", size=size)
        if size == 0:
            raise _refuse(name, say.FILE_EMPTY, "empty")
        path = private_path(name)
        shutil.copyfile(source, path)
        return path

    return await asyncio.to_thread(copy)


def private_path(name: str) -> Path:
    """A path for ``name`` (made safe, its suffix kept) in a new folder only this user can read."""
    safe = _SAFE.sub("_", Path(name).name).strip("._")[:100] or "file"
    return Path(tempfile.mkdtemp(prefix="confab-file-")) / safe


def discard(path: Path) -> None:
    """Remove a fetched file and its private folder."""
    shutil.rmtree(path.parent, ignore_errors=True)


def _refuse(name: str, reason: str, why: str, **fields: object) -> FileRefused:
    log.warning("attachment refused: %s", why, extra={"file": name, **fields})
    return FileRefused(reason)

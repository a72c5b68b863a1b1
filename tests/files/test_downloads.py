"""bot/downloads.py against a loopback file host: what is fetched, what is refused and why, and that nothing is
left on disk after a refusal."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.downloads import Downloader, FileHosts, discard
from bot.errors import FileRefused
from bot.events import Attachment
from tests.fakes.file_host import LOOPBACK_FILES, FileHost
from tests.fakes.loopback import serve_on_loopback


@pytest.fixture
async def host() -> AsyncIterator[FileHost]:
    files = FileHost()
    app = web.Application()
    files.install(app)
    runner, files.base = await serve_on_loopback(app)
    yield files
    await runner.cleanup()


def leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("confab-file-*")}


async def refused(downloader: Downloader, attachment: Attachment, max_bytes: int = 1000) -> str:
    before = leftovers()
    with pytest.raises(FileRefused) as caught:
        await downloader.fetch(attachment, max_bytes)
    assert leftovers() <= before  # a refused file leaves nothing behind
    return caught.value.reason


async def test_a_file_is_streamed_to_a_private_folder_with_the_token_and_a_redirect_on_the_same_host(
        host: FileHost) -> None:
    host.put("final.txt", b"hello there", "text/plain")
    moved = host.put("moved.txt", b"", "text/plain", redirect=host.url("final.txt"))
    path = await Downloader(LOOPBACK_FILES, {"Authorization": "Bearer xoxb-1"}).fetch(
        Attachment("notes.txt", url=moved), 1000)
    try:
        assert path.read_bytes() == b"hello there" and path.name == "notes.txt"
        assert path.parent.stat().st_mode & 0o077 == 0  # only this user can read the folder
        assert [r.authorization for r in host.requests] == ["Bearer xoxb-1", "Bearer xoxb-1"]
    finally:
        discard(path)
    assert not path.parent.exists()


async def test_refusals_say_why(host: FileHost) -> None:
    files = Downloader(LOOPBACK_FILES, read_timeout_s=0.3)
    slow = host.put("slow.txt", b"late", "text/plain", delay_s=2.0)
    assert await refused(files, Attachment("slow.txt", url=slow)) == "the download timed out"
    page = host.put("login", b"<html>sign in</html>", "text/html")
    assert "sent a web page" in await refused(files, Attachment("data.csv", mime="text/csv", url=page))
    declared = host.put("big.txt", b"x" * 10, "text/plain")
    assert "over the" in await refused(files, Attachment("big.txt", url=declared, size=5000))
    assert host.served("big.txt") == []  # the platform's declared size refuses it before any request
    assert await refused(files, Attachment("none.txt")) == "it came without a download link"
    https_only = Downloader(FileHosts("Slack", frozenset({"127.0.0.1"})))  # production's scheme: https
    assert "isn't stored on Slack" in await refused(https_only, Attachment("a.txt", url=host.url("a.txt")))

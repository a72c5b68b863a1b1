"""The files a turn reads: those of the message answered, else of the message it replies to (Discord), else of
the latest earlier message in its thread.

Each is checked before it is downloaded (a type Confab reads, an image only for a model that sees images, at
most ``CONFAB_ATTACHMENT_MAX_FILES``), fetched through the adapter (:meth:`bot.adapter.Adapter.fetch_file`,
at most ``CONFAB_ATTACHMENT_MAX_MB``), read in a worker thread (:mod:`agent.files.reading`) and removed from
disk. A file that can't be used gets one short line in the answer (and a log line), never an error. Only the
answered message's own channel is looked at, so no file crosses from one channel into another's answer.

Files in messages not addressed to Confab are not downloaded: they are remembered by name, type and size in
the stored message (:func:`files_noted`), and read when someone asks about them in their thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from agent.embeddings import Embedder
from agent.files.model import AttachedFile, FileUnreadable
from agent.files.reading import kind_of, read_attached
from agent.settings import Settings
from agent.speech.audio import is_recording
from agent.storage.ports import MessageStore
from bot import messages as say
from bot.adapter import Adapter
from bot.downloads import MB, discard
from bot.errors import FileRefused
from bot.events import Attachment, IncomingMessage

log = logging.getLogger(__name__)

THREAD_LOOKBACK = 50  # earlier messages of a thread looked through for its files
FILES_MARK = "[files: "  # how a stored message names its files


@dataclass(frozen=True, slots=True)
class Attached:
    files: tuple[AttachedFile, ...] = ()  # read, for the turn
    notes: tuple[str, ...] = ()  # why a file was not read (or can't be seen), for the answer
    offered: int = 0  # files that came with the message itself (or the one it replies to)

    @property
    def nothing_read(self) -> bool:
        """The message's own files came and none could be used: the notes are the whole answer."""
        return self.offered > 0 and not self.files


class FileGatherer:
    def __init__(self, settings: Settings, sees_images: bool, messages: MessageStore,
                 embedder: Callable[[], Embedder] | None = None) -> None:
        """``messages``: memory, where a thread's files are named (:func:`files_noted`) before the platform's
        history is asked for them; ``embedder``: what the files are searched with (see :meth:`_warm`)."""
        self.settings = settings
        self.sees_images = sees_images
        self.messages = messages
        self.embedder = embedder

    async def gather(self, message: IncomingMessage, adapter: Adapter | None) -> Attached:
        if adapter is None:
            return Attached()
        own = _documents(message.attachments or message.replied_files)
        offered = own or _documents(await self._thread_files(message, adapter))
        if not offered:
            return Attached()
        files: list[AttachedFile] = []
        notes: list[str] = []
        for index, attachment in enumerate(offered):
            if index >= self.settings.attachment_max_files:
                notes.append(say.FILE_NOT_READ.format(name=attachment.filename, reason=say.FILE_TOO_MANY.format(
                    limit=self.settings.attachment_max_files)))
                continue
            read = await self._one(attachment, adapter)
            if isinstance(read, AttachedFile):
                files.append(read)
            else:
                notes.append(read)
        await self._warm(files)
        if not own:  # a thread's files are context for every answer there: why one can't be read is said once,
            return Attached(tuple(files))  # to the message that brought it, not under each later question
        return Attached(tuple(files), tuple(notes), len(offered))

    async def _warm(self, files: list[AttachedFile]) -> None:
        """Have the embedder ready (the local model loads on first use, seconds on a busy machine) before the
        turn, whose tools run under a time limit. A failure here is the tool's to report."""
        text = next((f.chunks[0].embedding_text() for f in files if f.chunks), None)
        if self.embedder is None or text is None:
            return
        try:
            await self.embedder().aembed([text])
        except Exception:
            log.warning("the embedder could not be loaded for the attached files", exc_info=True)

    async def _one(self, attachment: Attachment, adapter: Adapter) -> AttachedFile | str:
        name = attachment.filename
        kind = kind_of(name, attachment.mime)
        if kind is None:
            return say.FILE_NOT_READ.format(name=name, reason=say.FILE_UNSUPPORTED.format(mime=attachment.mime))
        if kind == "image" and not self.sees_images:
            template = say.IMAGE_OFFLINE if self.settings.is_offline else say.IMAGE_NO_VISION
            return template.format(name=name)
        max_bytes = int(self.settings.attachment_max_mb * MB)
        try:
            path = await adapter.fetch_file(attachment, max_bytes=max_bytes)
        except FileRefused as refused:
            return say.FILE_NOT_READ.format(name=name, reason=refused.reason)
        try:
            return await read_attached(path, name, attachment.mime, self.settings)
        except FileUnreadable as unreadable:
            log.warning("attachment unreadable", extra={"file": name, "reason": unreadable.reason})
            return say.FILE_NOT_READ.format(name=name, reason=unreadable.reason)
        except OSError as exc:
            log.warning("attachment unreadable", extra={"file": name, "error": type(exc).__name__})
            return say.FILE_NOT_READ.format(name=name, reason="it could not be read")
        finally:
            discard(path)


    async def _thread_files(self, message: IncomingMessage, adapter: Adapter) -> tuple[Attachment, ...]:
        """The files of the latest earlier message in the answered message's thread, through the platform's
        history of that thread (so it works after a restart too), when memory says the thread has files; none
        outside a thread."""
        where = message.channel
        if where.thread is None or not adapter.capabilities.history:
            return ()
        remembered = await self.messages.recent(where.key, THREAD_LOOKBACK, thread=where.thread)  # root included
        if not any(FILES_MARK in m.text for m in remembered):
            return ()
        return await _platform_thread_files(message, adapter)


async def _platform_thread_files(message: IncomingMessage, adapter: Adapter) -> tuple[Attachment, ...]:
    try:
        earlier = await adapter.fetch_history(message.channel, None, THREAD_LOOKBACK)
    except Exception:
        log.warning("could not look for files in the thread", exc_info=True, extra={"channel": message.channel.key})
        return ()
    for found in reversed(earlier):
        if found.id != message.id and found.attachments and found.channel.key == message.channel.key:
            return found.attachments
    return ()


def _documents(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """Attachments other than recordings (voice messages and audio clips are bot/voice.py's to transcribe)."""
    return tuple(a for a in attachments if not is_recording(a.filename, a.mime))


def files_noted(text: str, attachments: tuple[Attachment, ...]) -> str:
    """A stored message's text with its files named (name, type, size): what memory keeps of them."""
    if not attachments:
        return text
    named = "; ".join(f"{a.filename} ({a.mime}{_size(a.size)})" for a in attachments)
    return f"{text}\n{FILES_MARK}{named}]" if text else f"{FILES_MARK}{named}]"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f", {size / MB:.1f} MB" if size >= MB else f", {max(1, round(size / 1024))} KB"

"""The answering steps: an agent turn for a message meant for Confab, or a thread follower's turn.

The reply goes out through the outbox; a thread Confab answers in is followed afterwards (so replies
there continue the conversation), and every ``context_messages`` messages the channel's older history
is folded into its rolling summary, in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from agent.assistant import Assistant
from agent.embeddings import Embedder
from agent.progress import READING_FILES, Progress, tell
from agent.storage.ports import ThreadStore
from bot import messages as say
from bot.adapter import Adapter, TurnProgress
from bot.attached import FileGatherer
from bot.background import BackgroundWork
from bot.events import IncomingMessage, Reply
from bot.feedback import rated_for
from bot.outbox import Outbox, reply_for
from bot.pipeline.route import MENTION_KIND
from bot.platform_access import end_progress, turn_context, turn_progress
from bot.streaming import OutStream

log = logging.getLogger(__name__)


class ThreadFollower(Protocol):
    async def on_thread_message(self, message: IncomingMessage, data: dict[str, Any],
                                adapter: Adapter | None) -> list[Reply]: ...


class Answerer:
    def __init__(self, assistant: Assistant, threads: ThreadStore, outbox: Outbox,
                 followers: Mapping[str, ThreadFollower], max_message_chars: int, context_messages: int,
                 embedder: Callable[[], Embedder] | None = None) -> None:
        """``embedder``: the one attached files are searched with, loaded before a turn that reads them."""
        self.assistant = assistant
        self.files = FileGatherer(assistant.settings, assistant.sees_images, assistant.messages, embedder)
        self.threads = threads
        self.outbox = outbox
        self.followers = followers
        self.max_message_chars = max_message_chars
        self.context_messages = context_messages
        self.background = BackgroundWork()
        self._unrolled: dict[tuple[str, str | None], int] = {}  # messages since the last summary attempt

    def count(self, message: IncomingMessage) -> None:
        """One more message in its channel (or thread) since the last rolling summary."""
        where = (message.channel.key, message.channel.thread)
        self._unrolled[where] = self._unrolled.get(where, 0) + 1

    async def answer(self, message: IncomingMessage, body: str, followed: bool | None = None,
                     owed: bool = False) -> bool:
        """``followed``: whether the message's thread is followed, when the router has looked it up. ``owed``:
        an answer to the message is owed; True when the reply settled it (the outbox does, as it records the
        delivery)."""
        where = message.channel
        source = answer_source(message)
        settles = (where.key, message.id) if owed and self.outbox.pending is not None else None
        if len(body) > self.max_message_chars:
            log.info("message too long for the agent", extra={"length": len(body)})
            await self.outbox.send(Reply(where, say.TOO_LONG.format(length=len(body), limit=self.max_message_chars),
                                         reply_to=message.id, source=source), settles=settles)
            return settles is not None
        adapter = self.outbox.adapter_for(where)
        progress = turn_progress(adapter, where, message.id)
        # an answer given again (a job run again, a restart) after an attempt that claimed its reply is not
        # streamed: a stream can't look for the earlier attempt's message first, and would show a second copy
        streams = self.assistant.agent.stream and not await self.outbox.attempted(source)
        stream = self.outbox.stream(where, message.id, message.author.id) if streams else None
        if stream is not None and settles is not None and self.outbox.pending is not None:
            pending = self.outbox.pending  # the streamed message stands in for the answer owed, like a note
            stream.on_shown = lambda reference: pending.set_note(where.key, message.id, reference)
        try:
            shown = Shown(progress, stream) if progress is not None or stream is not None else None
            await self._answer(message, body, followed, source, settles, shown, stream)
        except BaseException:
            if stream is not None:  # no reply will finish it: no half answer is left as if whole
                await stream.abandon()
            raise
        finally:
            await end_progress(progress)
        return settles is not None

    async def _answer(self, message: IncomingMessage, body: str, followed: bool | None, source: str,
                      settles: tuple[str, str] | None, progress: Progress | None, stream: OutStream | None) -> None:
        where = message.channel
        adapter = self.outbox.adapter_for(where)
        if message.attachments or message.replied_files:
            tell(progress, READING_FILES)  # downloading and reading them comes before the turn
        attached = await self.files.gather(message, adapter)
        if attached.nothing_read:  # files came and none could be used: why is the answer
            if stream is not None:
                await stream.close()
            await self.outbox.send(Reply(where, "\n".join(attached.notes), reply_to=message.id, source=source),
                                   settles=settles)
            return
        context = replace(turn_context(adapter, where, message.author, progress, message.id), files=attached.files)
        result = await self.assistant.ask(context, body, exclude_id=message.id)
        if attached.notes:
            result = replace(result, text="\n".join(attached.notes) + "\n\n" + result.text)
        if stream is not None:
            await stream.close()
            if result.failed and stream.shown:  # the stream broke off: what showed ends with a clear note
                log.info("a streamed answer was cut off", extra={"channel": where.key})
                result = replace(result, text=f"{stream.raw.rstrip()}\n\n{say.STREAM_CUT.format(reason=result.text)}")
        # the thread of the question answered: where Slack files the answer, and where, on Discord and in the
        # console (answers in the channel), a reply under the question goes on with the conversation as one
        # under the answer does (route.py)
        thread = where.thread if where.thread is not None or adapter is None else message.id
        # a thread already followed for another reason (e.g. a brainstorm) keeps its kind
        if thread is not None and not message.is_direct:
            if followed is None or thread != where.thread:
                followed = await self.threads.followed(where.key, thread) is not None
            if not followed:
                await self.threads.follow(where.key, thread, kind=MENTION_KIND)
        rated = None if result.failed else rated_for(body, self.assistant.settings.model, result.citations)
        await self.outbox.send(replace(reply_for(result, where, reply_to=message.id), source=source, rated=rated),
                               settles=settles)
        key = (where.key, where.thread)
        if self._unrolled.get(key, 0) >= self.context_messages:
            self._unrolled[key] = 0
            self.background.spawn(self.assistant.roll_summary(where.key, where.thread))

    async def follow(self, message: IncomingMessage, kind: str, data: dict[str, Any]) -> None:
        try:
            replies = await self.followers[kind].on_thread_message(message, data,
                                                                   self.outbox.adapter_for(message.channel))
        except Exception:
            log.exception("thread follower failed", extra={"kind": kind})
            return
        for index, reply in enumerate(replies):
            await self.outbox.send(replace(reply, source=f"{answer_source(message)}:{index}"))


class Shown:
    """A turn's :class:`agent.progress.Progress`: phases to what the adapter shows (a Slack thread status),
    the answer as written to its stream, when there are."""

    def __init__(self, progress: TurnProgress | None, stream: OutStream | None) -> None:
        self.progress = progress
        self.stream = stream

    def phase(self, text: str) -> None:
        if self.progress is not None:
            self.progress.phase(text)

    def partial(self, text: str) -> None:
        if self.stream is not None:
            self.stream.partial(text)

    def discard(self) -> None:
        if self.stream is not None:
            self.stream.discard()


def answer_source(message: IncomingMessage) -> str:
    """What an answer to ``message`` carries to be recognised on a repeated attempt (see ``Reply.source``)."""
    return f"answer:{message.channel.key}:{message.id}"

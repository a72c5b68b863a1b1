"""Slack's native answer streaming (chat.startStream / appendStream / stopStream, through the SDK's
``chat_stream`` helper) for one answer, as a :class:`bot.adapter.AnswerStream`.

A stream is a reply in a thread (the answer's thread, :func:`bot.slack.notes.thread_for`); a DM answered
outside a thread has none, and its answer arrives whole. The outbox feeds :meth:`SlackStream.show` with
neutralised text at most once per ``min_interval_s``; :meth:`SlackStream.finish` (from
:meth:`bot.slack.adapter.SlackAdapter.send`) stops it with the rest of the final answer and its citations
when what was streamed begins it, or stops it and leaves the message for the final text to replace.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import ChannelRef
from bot.slack.notes import Note, note_reference, thread_for

log = logging.getLogger(__name__)

APPEND_EVERY_S = 1.0  # chat.appendStream is rate-limited per message: one update a second, the latest text
BUFFER_CHARS = 1  # the pace above is the buffer: each update goes out when it is due
STREAM_MAX_CHARS = 12_000  # markdown_text per call (Slack's limit); a longer answer is replaced, not appended


class SlackStream:
    min_interval_s = APPEND_EVERY_S

    def __init__(self, client: AsyncWebClient, channel: ChannelRef, thread_ts: str, user_id: str) -> None:
        self.client = client
        self.channel_id = channel.channel
        self.thread_ts = thread_ts
        self.team_id = channel.workspace
        self.user_id = user_id
        self.appended = ""  # the markdown sent so far
        self._helper: AsyncChatStream | None = None

    @property
    def ts(self) -> str:
        return str(self._helper.ts or "") if self._helper is not None else ""

    def reference(self) -> str | None:
        """The streamed message as a progress note's reference: a process restarted mid-stream replaces it."""
        return note_reference(Note(self.channel_id, self.thread_ts, self.ts)) if self.ts else None

    async def show(self, text: str) -> None:
        if not text.startswith(self.appended):
            raise ValueError("a stream only grows")
        if self._helper is None:
            self._helper = await self.client.chat_stream(
                channel=self.channel_id, thread_ts=self.thread_ts, recipient_team_id=self.team_id,
                recipient_user_id=self.user_id, buffer_size=BUFFER_CHARS)
        delta = text[len(self.appended):]
        if delta:
            await self._helper.append(markdown_text=delta)
            self.appended = text

    async def reset(self) -> None:
        helper, ts, self._helper, self.appended = self._helper, self.ts, None, ""
        if helper is None or not ts:
            return
        await self._stop(helper)
        try:
            await self.client.chat_delete(channel=self.channel_id, ts=ts)
        except SlackApiError as exc:
            log.info("could not remove a streamed message", extra={"error": exc.response.get("error")})

    async def finish(self, final: str, metadata: dict[str, Any] | None,
                     blocks: list[dict[str, Any]] | None = None) -> bool:
        """Stop the stream. True when the final answer ended it (what was streamed begins it: the rest,
        e.g. the sources, is appended with ``metadata``, and ``blocks`` go below it); False when the message
        must be replaced by the final text (it differs, or is longer than one call takes)."""
        helper = self._helper
        if helper is None or not self.ts:
            return False
        rest = final[len(self.appended):]
        if final.startswith(self.appended) and len(final) <= STREAM_MAX_CHARS:
            try:
                await helper.stop(markdown_text=rest or None, metadata=metadata, blocks=blocks)
                self.appended = final
                return True
            except SlackApiError as exc:
                log.warning("stopping a stream with the answer failed; replacing it instead",
                            extra={"error": exc.response.get("error")})
                return False
        await self._stop(helper)
        return False

    async def _stop(self, helper: AsyncChatStream) -> None:
        try:
            await helper.stop()
        except (SlackApiError, Exception) as exc:  # e.g. already stopped, or expired on Slack's side
            log.info("could not stop a stream", extra={"error": type(exc).__name__})


class SlackStreams:
    """The streams of answers being written, by the message they answer."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._streams: dict[str, SlackStream] = {}

    def open(self, channel: ChannelRef, reply_to: str, user_id: str) -> SlackStream | None:
        thread = thread_for(channel, reply_to)
        if thread is None or not user_id:
            return None
        stream = SlackStream(self.client, channel, thread, user_id)
        self._streams[reply_to] = stream
        return stream

    def showing(self, reply_to: str) -> bool:
        """Whether the answer to ``reply_to`` is showing as it is written."""
        stream = self._streams.get(reply_to)
        return stream is not None and bool(stream.ts)

    def take(self, reply_to: str | None) -> SlackStream | None:
        """The stream of ``reply_to``, now the reply's to finish."""
        return self._streams.pop(reply_to, None) if reply_to else None

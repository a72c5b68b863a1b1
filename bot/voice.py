"""Voice messages and audio clips become text: a Discord voice message (``voice-message.ogg``), a Slack audio or
video clip, an uploaded recording.

A step of the pipeline after the message is stored and acknowledged (so acks stay fast): each recording is
fetched through the adapter (:meth:`bot.adapter.Adapter.fetch_file`, at most ``CONFAB_STT_MAX_MB``) and
transcribed (:class:`agent.speech.SpeechService`: the caps, the person's daily seconds, decoding in a worker
thread). The transcript joins the stored message's text after :data:`bot.messages.TRANSCRIPT_MARK`, so search,
summaries, spam screening and the agent see it; the message goes on through the pipeline with it. It is shown in
the thread when the message is addressed to Confab, is a direct message, or the channel opted in
(``/confab settings voice_transcripts on``); a recording that can't be transcribed gets its short reason there.
Offline nothing is downloaded: where a transcript would be shown, the reason says how to configure a model.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from agent.speech import NOT_CONFIGURED, SpeechService
from agent.speech.audio import is_recording
from agent.storage.ports import ChannelSettingsStore, MessageStore
from bot import messages as say
from bot.attached import files_noted
from bot.downloads import discard
from bot.errors import FileRefused
from bot.events import Accepted, Attachment, IncomingMessage, Reply
from bot.outbox import Outbox

log = logging.getLogger(__name__)

CHANNEL_SETTING = "voice_transcripts"  # "on": every recording's transcript is shown in its thread
MAX_RECORDINGS = 3  # per message; more are left as files


def recordings(message: IncomingMessage) -> tuple[Attachment, ...]:
    return tuple(a for a in message.attachments if is_recording(a.filename, a.mime))[:MAX_RECORDINGS]


class VoiceTranscripts:
    def __init__(self, speech: SpeechService, messages: MessageStore, channel_settings: ChannelSettingsStore,
                 outbox: Outbox) -> None:
        self.speech = speech
        self.messages = messages
        self.channel_settings = channel_settings
        self.outbox = outbox

    async def transcribe(self, accepted: Accepted) -> Accepted:
        """``accepted`` with its recordings' transcripts in its text (and stored so); unchanged without any, or
        when something failed on the way (logged): the message is still screened and answered."""
        message = accepted.message
        clips = recordings(message)
        if not clips or message.author.is_bot:
            return accepted
        try:
            return await self._transcribed(accepted, clips)
        except Exception:
            log.exception("voice transcription failed", extra={"message_id": message.id})
            return accepted

    async def _transcribed(self, accepted: Accepted, clips: tuple[Attachment, ...]) -> Accepted:
        message = accepted.message
        shown = await self._shown(message)
        if not self.speech.configured:
            if shown:
                await self._say(message, say.TRANSCRIPT_NOT_MADE.format(name=_name(clips[0]), reason=NOT_CONFIGURED))
            return accepted
        texts: list[str] = []
        for index, clip in enumerate(clips):
            text, reason = await self._one(message, clip)
            if text:
                texts.append(text)
            if shown:
                line = say.TRANSCRIPT_SHOWN.format(name=_name(clip), text=text) if text else \
                    say.TRANSCRIPT_NOT_MADE.format(name=_name(clip), reason=reason)
                await self._say(message, line, index)
        if not texts:
            return accepted
        text = "\n".join([accepted.text, *(f"{say.TRANSCRIPT_MARK} {t}" for t in texts)]).strip()
        await self.messages.edit(message.channel.key, message.id, files_noted(text, message.attachments),
                                 datetime.now(UTC))
        return replace(accepted, text=text, message=replace(message, text=text))

    async def _one(self, message: IncomingMessage, clip: Attachment) -> tuple[str, str]:
        """(transcript, "") or ("", why not)."""
        adapter = self.outbox.adapter_for(message.channel)
        if adapter is None:
            return "", "no adapter"
        try:
            path = await adapter.fetch_file(clip, max_bytes=self.speech.max_bytes)
        except FileRefused as refused:
            return "", refused.reason
        try:
            result = await self.speech.attempt(path, message.author.id)
        finally:
            discard(path)
        if result.transcript is None:
            return "", result.reason
        return result.transcript.text, ""

    async def _shown(self, message: IncomingMessage) -> bool:
        if message.mentions_bot or message.is_direct or message.replies_to_bot:
            return True
        return str(await self.channel_settings.get(message.channel.key, CHANNEL_SETTING, "off")).lower() == "on"

    async def _say(self, message: IncomingMessage, text: str, index: int = 0) -> None:
        source = f"voice:{message.channel.key}:{message.id}:{index}"
        await self.outbox.send(Reply(message.channel, text, reply_to=message.id, source=source))


def kept_transcripts(stored: str, edited: str) -> str:
    """An edited message's new text with the transcripts its stored text had (an edit changes the words typed,
    not what the recording said)."""
    spoken = [line for line in stored.splitlines() if line.startswith(say.TRANSCRIPT_MARK)]
    return "\n".join([edited, *spoken]).strip() if spoken else edited


def _name(clip: Attachment) -> str:
    return "the voice message" if clip.filename.startswith("voice-message") else f"`{clip.filename}`"

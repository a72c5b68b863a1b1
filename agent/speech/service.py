"""The speech feature: a recording in, a transcript (or one short reason) out.

In order: the size cap (before reading), the container's header (unreadable, no sound track, over the duration cap:
a 3-hour file is refused here, undecoded), the configured provider (offline there is none, and the reason says
how to set one), the person's daily seconds (reserved with the header's length, settled with the decoded one,
given back on failure), decoding in a worker thread, silence, and the provider. Nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import SpeechError
from agent.settings import Settings
from agent.speech import audio
from agent.speech.errors import AudioTooLarge, AudioTooLong, NoSpeech, NotConfigured, QuotaUsed
from agent.speech.transcriber import OpenAITranscriber, Transcriber, Transcript
from agent.storage.ports import SpeechQuota

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """A transcript, or why there is none (``reason`` is the short line people see)."""

    transcript: Transcript | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.transcript is not None


class SpeechService:
    def __init__(self, settings: Settings, quota: SpeechQuota | None = None,
                 transcriber: Transcriber | None = None) -> None:
        self.settings = settings
        self.quota = quota  # None: no daily allowance (the command line)
        self._transcriber = transcriber
        if transcriber is None and settings.stt_model:
            self._transcriber = self._provider()  # now: importing the SDK on the first voice message would stall
            # the event loop for most of a second (measured by bench/voice_ack.py)

    @property
    def configured(self) -> bool:
        return self._transcriber is not None or bool(self.settings.stt_model)

    @property
    def max_bytes(self) -> int:
        return int(self.settings.stt_max_mb * 1024 * 1024)

    @property
    def max_seconds(self) -> float:
        return self.settings.stt_max_minutes * 60

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            raise NotConfigured("CONFAB_STT_MODEL is not set")
        return self._transcriber

    def _provider(self) -> Transcriber:
        s = self.settings
        assert s.stt_model
        key = s.stt_api_key or s.openai_api_key
        return OpenAITranscriber(s.stt_model, key.get_secret_value() if key else None,
                                 s.stt_base_url or s.openai_base_url, timeout_s=s.stt_timeout_s,
                                 language=s.stt_language)

    async def attempt(self, source: Path | bytes, author_id: str | None = None) -> SpeechResult:
        """:meth:`transcribe`, with a failure as its short reason."""
        try:
            return SpeechResult(await self.transcribe(source, author_id))
        except SpeechError as exc:
            log.info("not transcribed: %s", exc, extra={"error": type(exc).__name__})
            return SpeechResult(None, exc.user_message)

    async def transcribe(self, source: Path | bytes, author_id: str | None = None) -> Transcript:
        """The words in ``source`` (a file on disk or its bytes); a SpeechError names why not."""
        header = await asyncio.to_thread(self._header, source)
        if header.duration_s is not None and header.duration_s > self.max_seconds + 1:
            raise AudioTooLong(header.duration_s, self.max_seconds)
        transcriber = self.transcriber
        reservation = await self._reserve(author_id, header.duration_s or self.max_seconds)
        done = False
        try:
            decoded = await asyncio.to_thread(audio.decode, source, self.max_seconds + 1)
            if decoded.silent:
                raise NoSpeech(f"{decoded.voiced_seconds():.2f} s above {audio.SPEECH_DBFS} dBFS")
            transcript = await transcriber.transcribe(await asyncio.to_thread(decoded.wav), decoded.duration_s)
            if reservation is not None and self.quota is not None:
                await self.quota.settle(reservation, decoded.duration_s)
            done = True
        finally:
            if not done and reservation is not None and self.quota is not None:
                await self.quota.release(reservation)
        log.info("transcribed", extra={"seconds": round(decoded.duration_s, 1), "model": transcript.model,
                                       "codec": header.codec})
        return transcript

    def _header(self, source: Path | bytes) -> audio.Probe:
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        if size > self.max_bytes:
            raise AudioTooLarge(size, self.max_bytes)
        return audio.probe(source)

    async def _reserve(self, author_id: str | None, seconds: float) -> int | None:
        if author_id is None or self.quota is None:
            return None
        limit = self.settings.stt_daily_minutes * 60
        reservation = await self.quota.reserve(author_id, seconds, time.time(), _midnight(), limit)
        if reservation is None:
            raise QuotaUsed(limit)
        return reservation


def _midnight() -> float:
    """Today's 00:00 UTC: the daily allowance counts from there."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

"""The Transcriber port and the OpenAI-compatible provider: ``POST /v1/audio/transcriptions`` through the real
``openai`` SDK, to OpenAI (``whisper-1``, ``gpt-4o-mini-transcribe``, ``gpt-4o-transcribe``) or any local whisper
server that speaks the same API (``CONFAB_STT_BASE_URL``).

The provider is sent 16 kHz mono WAV (decoded first, so every container people send works the same way). The body
is read and checked here rather than trusted: anything that is not a JSON transcript is ProviderGarbage, and a
transcript that is only music notes, "[Music]" tags or segments the model itself marks as non-speech is NoSpeech.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from agent.speech.errors import NoSpeech, ProviderFailed, ProviderGarbage, ProviderTimeout

log = logging.getLogger(__name__)

NO_SPEECH_PROB = 0.6  # whisper's own estimate that a segment holds no speech
_NOT_WORDS = re.compile(r"[\[(][^\])]{0,40}[\])]|[♪♫♬🎵🎶]|\*[^*]{0,40}\*")  # "[Music]", "(applause)", "♪", "*music*"


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    duration_s: float
    model: str
    language: str | None = None
    segments: tuple[Segment, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "duration_s": round(self.duration_s, 3), "model": self.model,
                "language": self.language,
                "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in self.segments]}


class Transcriber(Protocol):
    model: str

    async def transcribe(self, wav: bytes, duration_s: float) -> Transcript:
        """The words in ``wav`` (16 kHz mono); NoSpeech when there are none, ProviderFailed on failure."""


class OpenAITranscriber:
    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout_s: float = 120.0,
                 language: str | None = None) -> None:
        from openai import AsyncOpenAI

        self.model = model
        self.language = language
        self._client = AsyncOpenAI(api_key=api_key or "not-set", base_url=base_url, timeout=timeout_s,
                                   max_retries=1)

    def _format(self) -> str:
        # whisper-1 (and the whisper servers copying it) give segments with timing; the gpt-4o models only json
        return "json" if self.model.startswith("gpt-") else "verbose_json"

    async def transcribe(self, wav: bytes, duration_s: float) -> Transcript:
        import openai

        request: dict[str, Any] = {"model": self.model, "file": ("audio.wav", wav, "audio/wav"),
                                   "response_format": self._format()}
        if request["response_format"] == "verbose_json":
            request["timestamp_granularities"] = ["segment"]
        if self.language:
            request["language"] = self.language
        try:
            raw = await self._client.audio.transcriptions.with_raw_response.create(**request)
            body = raw.http_response.content
        except openai.APITimeoutError as exc:
            raise ProviderTimeout(str(exc)) from None
        except openai.APIStatusError as exc:
            log.warning("speech-to-text refused", extra={"status": exc.status_code, "error": str(exc)[:300]})
            raise ProviderFailed(f"HTTP {exc.status_code}: {exc}") from None
        except openai.APIConnectionError as exc:
            raise ProviderFailed(str(exc)) from None
        return parse_transcript(body, self.model, duration_s)


def parse_transcript(body: bytes, model: str, duration_s: float) -> Transcript:
    """A provider's body as a Transcript: ProviderGarbage unless it is JSON with a string ``text``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ProviderGarbage(f"not JSON: {body[:120]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ProviderGarbage(f"no text in: {str(data)[:120]}")
    segments = _segments(data.get("segments"))
    spoken = [s for s, p in segments if p < NO_SPEECH_PROB]
    if segments and not spoken:
        raise NoSpeech("every segment is marked as non-speech")
    text = " ".join(s.text for s in spoken) if segments and len(spoken) < len(segments) else data["text"]
    text = " ".join(text.split())
    if not _NOT_WORDS.sub("", text).strip(" .,!?-—…"):
        raise NoSpeech(f"no words: {text[:80]!r}")
    language = data.get("language") if isinstance(data.get("language"), str) else None
    duration = data.get("duration")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool) and 0 < duration < 10 * duration_s:
        duration_s = float(duration)
    return Transcript(text, duration_s, model, language, tuple(s for s in spoken))


def _segments(value: Any) -> list[tuple[Segment, float]]:
    """(segment, no-speech probability) for each well-formed segment; malformed ones are left out."""
    out: list[tuple[Segment, float]] = []
    if not isinstance(value, list):
        return out
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        try:
            start, end = float(item.get("start", 0.0)), float(item.get("end", 0.0))
            prob = float(item.get("no_speech_prob", 0.0))
        except (TypeError, ValueError):
            continue
        out.append((Segment(round(start, 2), round(end, 2), item["text"].strip()), prob))
    return out

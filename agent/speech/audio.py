"""Reading recordings with PyAV (FFmpeg's libraries, bundled in the wheel): the container's header, then decoding
to 16 kHz mono 16-bit PCM, the input speech models expect.

Everything here is blocking: :class:`agent.speech.service.SpeechService` runs it in a worker thread. Whatever
FFmpeg reads (OGG/Opus voice messages, M4A/AAC and MP4 clips, WAV, MP3, WebM, FLAC), the length is checked
twice: from the header before decoding (a 3-hour file is refused without reading it), and while decoding, which
stops at the cap (a header can lie or say nothing).
"""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from av.container import InputContainer

from agent.speech.errors import AudioTooLong, AudioUnreadable, NoAudio

RATE = 16_000
FRAME_S = 0.03
SPEECH_DBFS = -45.0  # a 30 ms frame louder than this may hold speech
MIN_VOICED_S = 0.3  # less than this much sound in a whole recording is silence


@dataclass(frozen=True, slots=True)
class Probe:
    """What the container's header says: the audio codec and the length (None when the header doesn't say)."""

    codec: str
    duration_s: float | None
    container: str


@dataclass(frozen=True, slots=True)
class Decoded:
    pcm: np.ndarray  # int16, mono, RATE samples a second

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / RATE

    def wav(self) -> bytes:
        """The audio as a WAV file (what is sent to a speech-to-text service)."""
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(self.pcm.astype("<i2").tobytes())
        return out.getvalue()

    def voiced_seconds(self) -> float:
        """Seconds of 30 ms frames loud enough to hold speech (silence and hiss are below)."""
        step = int(RATE * FRAME_S)
        usable = len(self.pcm) // step * step
        if usable == 0:
            return 0.0
        frames = self.pcm[:usable].astype(np.float64).reshape(-1, step) / 32768.0
        rms = np.sqrt(np.mean(frames * frames, axis=1))
        dbfs = 20 * np.log10(np.maximum(rms, 1e-10))
        return float(np.count_nonzero(dbfs > SPEECH_DBFS)) * FRAME_S

    @property
    def silent(self) -> bool:
        return self.voiced_seconds() < MIN_VOICED_S


Source = Path | bytes

# what people send as recordings: Discord voice messages (audio/ogg), Slack clips (audio/webm, video/mp4), uploads
RECORDING_SUFFIXES = frozenset({".ogg", ".oga", ".opus", ".m4a", ".aac", ".mp3", ".wav", ".webm", ".flac", ".mp4",
                                ".mov", ".mkv", ".amr", ".3gp", ".weba"})


def is_recording(filename: str, mime: str) -> bool:
    """A file to transcribe rather than read: an audio or video type, or a recording's file name."""
    kind = mime.split(";")[0].strip().lower()
    return kind.startswith(("audio/", "video/")) or Path(filename).suffix.lower() in RECORDING_SUFFIXES


def _open(source: Source) -> InputContainer:
    import av

    try:
        return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioUnreadable(f"open: {exc}") from None
    except OSError as exc:  # FFmpeg's own errors derive from OSError too; a missing file is the caller's
        raise AudioUnreadable(f"open: {exc}") from None


def _not_media(container: InputContainer) -> bool:
    """FFmpeg reads any text as ANSI art ("tty") and any picture as a one-frame video: neither is a recording."""
    name = container.format.name or ""
    return name in _NOT_MEDIA or name.endswith("_pipe")


_NOT_MEDIA = {"tty", "image2", "txt", "srt", "webvtt", "ass", "jacosub", "microdvd", "subviewer"}


def probe(source: Source) -> Probe:
    """The header of ``source``: AudioUnreadable if FFmpeg can't read it as media, NoAudio if it has no audio."""
    with _open(source) as container:
        if _not_media(container):
            raise AudioUnreadable(f"not media: read as {container.format.name}")
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise NoAudio("no audio stream")
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000  # AV_TIME_BASE
        if duration is not None and (not math.isfinite(duration) or duration < 0):
            duration = None
        return Probe(stream.codec_context.name or "unknown", duration, container.format.name or "unknown")


def decode(source: Source, max_seconds: float) -> Decoded:
    """All of the first audio stream as 16 kHz mono int16; AudioTooLong as soon as it passes ``max_seconds``."""
    import av

    limit = int(max_seconds * RATE)
    chunks: list[np.ndarray] = []
    total = 0
    with _open(source) as container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise NoAudio("no audio stream")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise AudioTooLong(total / RATE, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            if not chunks:
                raise AudioUnreadable(f"decode: {exc}") from None
            # a truncated tail (an upload cut short): what was decoded is still the recording
    pcm = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
    if len(pcm) > limit:
        raise AudioTooLong(len(pcm) / RATE, max_seconds)
    if len(pcm) == 0:
        raise AudioUnreadable("no audio frames decoded")
    return Decoded(pcm)

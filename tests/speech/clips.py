"""Real audio files made in the tests with PyAV, in the containers the platforms use: OGG/Opus (Discord voice
messages), M4A/AAC (Slack clips), WAV. Words don't matter here (the fake speech-to-text server answers), so
the sound is a tone, noise or silence."""

from __future__ import annotations

import io

import av
import numpy as np

# container, codec, sample rate the codec takes
FORMATS = {"ogg": ("ogg", "libopus", 48_000), "m4a": ("ipod", "aac", 44_100), "wav": ("wav", "pcm_s16le", 16_000),
           "webm": ("webm", "libopus", 48_000), "mp3": ("mp3", "libmp3lame", 44_100)}


def samples(kind: str, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    if kind == "silence":
        return np.zeros(len(t), dtype=np.float32)
    if kind == "noise":
        return (np.random.default_rng(7).standard_normal(len(t)) * 0.2).astype(np.float32)
    # a voice-like tone: 220 Hz with harmonics, its loudness rising and falling like syllables
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    wave = sum(np.sin(2 * np.pi * f * t) / (i + 1) for i, f in enumerate((220, 440, 660)))
    return (0.3 * envelope * wave).astype(np.float32)


def clip(fmt: str = "ogg", seconds: float = 2.0, kind: str = "tone", ends_at: float | None = None) -> bytes:
    """A real file of ``fmt`` holding ``seconds`` of ``kind`` (tone, noise, silence). With ``ends_at``, its last
    frame is stamped at that time, so the container says it lasts that long (a 3-hour recording in a few KB: the
    OGG page granule and the MP4 sample table are what FFmpeg reads as the length)."""
    container_format, codec, rate = FORMATS[fmt]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        sound = samples(kind, seconds, rate)
        sample_format = "s16" if codec == "pcm_s16le" else "flt" if codec != "aac" else "fltp"
        if codec in ("libmp3lame",):
            sample_format = "fltp"
        step = 960 if codec == "libopus" else 1024
        starts = list(range(0, len(sound), step))
        for start in starts:
            piece = sound[start:start + step]
            if len(piece) < step:
                piece = np.pad(piece, (0, step - len(piece)))
            data = (piece * 32767).astype(np.int16) if sample_format == "s16" else piece
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=sample_format, layout="mono")
            frame.sample_rate = rate
            frame.pts = int(ends_at * rate) if ends_at is not None and start == starts[-1] else start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def video_only(seconds: float = 1.0) -> bytes:
    """An MP4 with a picture and no sound track (a screen recording without the microphone)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20 % 255, dtype=np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()

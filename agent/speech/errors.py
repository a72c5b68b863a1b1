"""Why a recording was not transcribed: each error's ``user_message`` is the short reason shown in chat and
printed by ``confab transcribe``.

    SpeechError (agent.errors)
    ├── NotConfigured      no speech-to-text model (offline)
    ├── AudioTooLarge      over the per-file size cap
    ├── AudioTooLong       over the per-file duration cap (read from the container's header, before decoding)
    ├── QuotaUsed          the person's daily seconds are used up
    ├── AudioUnreadable    corrupt, truncated or not a media file
    ├── NoAudio            a media file without an audio stream (a silent video, an image)
    ├── NoSpeech           silence, or nothing the model heard as speech (music, noise)
    └── ProviderFailed     the speech service timed out, refused, or sent back something that isn't a transcript
"""

from __future__ import annotations

from agent.errors import SpeechError

NOT_CONFIGURED = ("I can't transcribe this offline; set CONFAB_STT_MODEL (e.g. `whisper-1` or "
                  "`gpt-4o-mini-transcribe` with OPENAI_API_KEY, or a local whisper server via CONFAB_STT_BASE_URL).")


class NotConfigured(SpeechError):
    user_message = NOT_CONFIGURED


class AudioTooLarge(SpeechError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes > {limit}",
                         f"That recording is too large to transcribe ({_mb(size)}; the limit is {_mb(limit)}).")


class AudioTooLong(SpeechError):
    def __init__(self, seconds: float, limit: float) -> None:
        super().__init__(f"{seconds:.0f} s > {limit:.0f} s",
                         f"That recording is too long to transcribe ({_clock(seconds)}; "
                         f"the limit is {_clock(limit)}).")


class QuotaUsed(SpeechError):
    def __init__(self, limit_s: float) -> None:
        super().__init__(f"daily limit {limit_s:.0f} s",
                         f"You've used today's transcription allowance ({_clock(limit_s)} of audio). "
                         "It resets at 00:00 UTC.")


class AudioUnreadable(SpeechError):
    user_message = "I couldn't read that file as audio: it looks corrupt or isn't a recording."


class NoAudio(SpeechError):
    user_message = "That file has no sound track to transcribe."


class NoSpeech(SpeechError):
    user_message = "I didn't hear any speech in that recording (silence, music or noise)."


class ProviderFailed(SpeechError):
    user_message = "The speech-to-text service failed on that recording. Please try again later."


class ProviderTimeout(ProviderFailed):
    user_message = "The speech-to-text service took too long to answer. Please try again later."


class ProviderGarbage(ProviderFailed):
    user_message = "The speech-to-text service sent back something that isn't a transcript, so I didn't post it."


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _clock(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

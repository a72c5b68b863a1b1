"""SpeechService end to end over the real ``openai`` SDK and the loopback fake: real OGG/Opus, M4A/AAC and WAV files
reach ``/v1/audio/transcriptions`` as 16 kHz mono WAV, and every kind of bad input gets its short reason."""

from __future__ import annotations

import io
import time
import wave
from pathlib import Path

import pytest

from agent.settings import Settings
from agent.speech import NOT_CONFIGURED, SpeechService
from agent.speech.errors import (
    AudioTooLarge,
    AudioTooLong,
    AudioUnreadable,
    NoAudio,
    NoSpeech,
    NotConfigured,
    ProviderFailed,
    ProviderGarbage,
    ProviderTimeout,
    QuotaUsed,
)
from agent.storage import open_storage
from tests.fakes.openai_server import FakeOpenAI, error_reply, garbage_reply, transcript_reply
from tests.fakes.settings import make_settings
from tests.speech.clips import clip, video_only

PATH = "/v1/audio/transcriptions"


def stt(tmp_path: Path, fake: FakeOpenAI, **overrides: object) -> Settings:
    values: dict[str, object] = {"stt_model": "whisper-1", "stt_base_url": fake.base_url, "openai_api_key": "sk-test"}
    values.update(overrides)
    return make_settings(tmp_path, **values)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", ["ogg", "m4a", "wav", "webm", "mp3"])
async def test_each_container_reaches_the_provider_as_16k_mono_wav(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                     fmt: str) -> None:
    fake_openai.transcriptions.append(transcript_reply(
        "Deploy on Friday.", [(0.0, 1.2, " Deploy on", 0.01), (1.2, 2.0, " Friday.", 0.02)], duration=2.0))
    service = SpeechService(stt(tmp_path, fake_openai))
    transcript = await service.transcribe(clip(fmt, 2.0))
    assert transcript.text == "Deploy on Friday."
    assert [(s.start, s.end, s.text) for s in transcript.segments] == [(0.0, 1.2, "Deploy on"), (1.2, 2.0, "Friday.")]
    sent = fake_openai.requests_to(PATH)[0].json
    assert sent["model"] == "whisper-1" and sent["response_format"] == "verbose_json"
    with wave.open(io.BytesIO(sent["file"]["data"])) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16_000, 1, 2)
        assert abs(w.getnframes() / 16_000 - 2.0) < 0.1


async def test_gpt4o_models_are_asked_for_plain_json(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("hello team"))
    service = SpeechService(stt(tmp_path, fake_openai, stt_model="gpt-4o-mini-transcribe", stt_language="en"))
    transcript = await service.transcribe(clip("wav", 1.0))
    assert (transcript.text, transcript.segments, transcript.model) == ("hello team", (), "gpt-4o-mini-transcribe")
    sent = fake_openai.requests_to(PATH)[0].json
    assert (sent["response_format"], sent["language"]) == ("json", "en")
    assert "timestamp_granularities[]" not in sent


async def test_offline_says_it_cannot_transcribe(tmp_path: Path) -> None:
    service = SpeechService(make_settings(tmp_path))
    assert not service.configured
    result = await service.attempt(clip("ogg", 1.0))
    assert (result.ok, result.reason) == (False, NOT_CONFIGURED)
    with pytest.raises(NotConfigured):
        await service.transcribe(clip("ogg", 1.0))


async def test_a_three_hour_recording_is_refused_from_its_header(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    service = SpeechService(stt(tmp_path, fake_openai))
    for fmt in ("ogg", "m4a"):
        started = time.perf_counter()
        with pytest.raises(AudioTooLong) as refused:
            await service.transcribe(clip(fmt, 1.0, ends_at=3 * 3600))
        assert "3:00:00" in refused.value.user_message and "10:00" in refused.value.user_message
        assert time.perf_counter() - started < 5  # three hours were not decoded
    assert fake_openai.requests_to(PATH) == []


async def test_size_corrupt_unsupported_silence_and_noise_get_short_reasons(tmp_path: Path,
                                                                           fake_openai: FakeOpenAI) -> None:
    service = SpeechService(stt(tmp_path, fake_openai, stt_max_mb=0.01))
    with pytest.raises(AudioTooLarge) as large:
        await service.transcribe(clip("wav", 1.0))  # 32 KB over a 10 KB cap
    assert large.value.user_message == "That recording is too large to transcribe (32 KB; the limit is 10 KB)."
    service = SpeechService(stt(tmp_path, fake_openai))
    ogg = clip("ogg", 2.0)
    with pytest.raises(AudioUnreadable):
        await service.transcribe(b"PK\x03\x04 this is a zip, not audio" * 10)
    with pytest.raises(AudioUnreadable):
        await service.transcribe(ogg[:200])  # cut off inside the headers
    with pytest.raises(AudioUnreadable):
        await service.transcribe(_png())  # FFmpeg reads a picture as one frame of video: not a recording
    with pytest.raises(AudioUnreadable):
        await service.transcribe(b"meeting notes, not a recording\n" * 20)  # nor text as ANSI art
    with pytest.raises(NoAudio):
        await service.transcribe(video_only())
    with pytest.raises(NoSpeech):
        await service.transcribe(clip("m4a", 3.0, kind="silence"))
    assert fake_openai.requests_to(PATH) == []  # nothing was sent for any of them
    fake_openai.transcriptions.append(transcript_reply("♪ ♪", [(0.0, 3.0, " ♪ ♪", 0.3)]))
    with pytest.raises(NoSpeech):  # music: the model hears no words
        await service.transcribe(clip("ogg", 3.0, kind="noise"))
    fake_openai.transcriptions.append(transcript_reply("Thank you.", [(0.0, 3.0, " Thank you.", 0.93)]))
    with pytest.raises(NoSpeech):  # the segment the model itself marks as non-speech
        await service.transcribe(clip("ogg", 3.0, kind="noise"))


async def test_provider_garbage_errors_and_timeouts(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    service = SpeechService(stt(tmp_path, fake_openai, stt_timeout_s=0.5))
    fake_openai.transcriptions.append(garbage_reply())
    with pytest.raises(ProviderGarbage):
        await service.transcribe(clip("wav", 1.0))
    fake_openai.transcriptions.append(error_reply(401, "bad key", "invalid_api_key"))
    with pytest.raises(ProviderFailed):
        await service.transcribe(clip("wav", 1.0))
    fake_openai.transcriptions.extend([transcript_reply("late", delay_s=2.0), transcript_reply("late", delay_s=2.0)])
    with pytest.raises(ProviderTimeout):
        await service.transcribe(clip("wav", 1.0))


async def test_the_daily_allowance_counts_decoded_seconds_and_not_failures(tmp_path: Path,
                                                                          fake_openai: FakeOpenAI) -> None:
    settings = stt(tmp_path, fake_openai, stt_daily_minutes=0.1)  # 6 s a day
    store = await open_storage(settings)
    try:
        service = SpeechService(settings, store.speech)
        fake_openai.transcriptions.extend([garbage_reply(), transcript_reply("one"), transcript_reply("two")])
        assert not (await service.attempt(clip("ogg", 4.0), "u1")).ok  # failed: given back
        assert (await service.attempt(clip("ogg", 4.0), "u1")).ok
        assert 3.9 < await store.speech.used_since("u1", 0.0) < 4.1
        refused = await service.attempt(clip("ogg", 4.0), "u1")
        assert refused.reason == QuotaUsed(6.0).user_message and "0:06" in refused.reason
        assert (await service.attempt(clip("ogg", 4.0), "u2")).ok  # another person's allowance
    finally:
        await store.close()


def _png() -> bytes:
    from tests.fakes.openai_server import png_bytes

    return png_bytes()

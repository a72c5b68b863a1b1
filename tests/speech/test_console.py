"""A recording attached in the console (``/attach PATH``) is transcribed like a platform's voice message: the
transcript is shown before the answer and kept in memory."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.harness import typed_console
from tests.fakes.openai_server import FakeOpenAI, transcript_reply
from tests.fakes.settings import make_settings
from tests.speech.clips import clip


async def test_an_attached_recording_is_transcribed_and_shown(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Remind me to renew the TLS certificate."))
    settings = make_settings(tmp_path, stt_model="whisper-1", stt_base_url=fake_openai.base_url,
                             openai_api_key="sk-test")
    (tmp_path / "memo.m4a").write_bytes(clip("m4a", 2.0))
    lines = [f"/attach {tmp_path / 'memo.m4a'}", "@confab what did I say?"]
    async with typed_console(tmp_path, lines, settings=settings, moderator=None) as (bot, screen):
        said = await bot.pipeline.store.messages.recent("console:local:general", 5)
    out = screen.getvalue()
    assert "🎙️ Transcript of `memo.m4a`: Remind me to renew the TLS certificate." in out, out
    assert any("[voice transcript] Remind me to renew the TLS certificate." in m.text for m in said), said
    [sent] = fake_openai.requests_to("/v1/audio/transcriptions")
    assert sent.json["file"]["data"][:4] == b"RIFF"

"""A recording attached in the console (``/attach PATH``) is transcribed like a platform's voice message: the
transcript is shown before the answer and kept in memory."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.console.adapter import ConsoleAdapter
from tests.fakes.harness import open_bot
from tests.fakes.openai_server import FakeOpenAI, transcript_reply
from tests.fakes.settings import make_settings
from tests.speech.clips import clip


async def test_an_attached_recording_is_transcribed_and_shown(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Remind me to renew the TLS certificate."))
    settings = make_settings(tmp_path, stt_model="whisper-1", stt_base_url=fake_openai.base_url,
                             openai_api_key="sk-test")
    (tmp_path / "memo.m4a").write_bytes(clip("m4a", 2.0))
    screen = io.StringIO()
    adapter = ConsoleAdapter(settings.data_dir, user="alice",
                             stdin=io.StringIO(f"/attach {tmp_path / 'memo.m4a'}\n@confab what did I say?\n"),
                             console=Console(file=screen, force_terminal=False, width=300))
    async with open_bot(tmp_path, settings=settings, adapter=adapter, start=False, moderator=None) as bot:
        await adapter.start(bot.pipeline, bot.pipeline.outbox)
        await bot.drain()
        said = await bot.pipeline.store.messages.recent("console:local:general", 5)
    out = screen.getvalue()
    assert "🎙️ Transcript of `memo.m4a`: Remind me to renew the TLS certificate." in out, out
    assert any("[voice transcript] Remind me to renew the TLS certificate." in m.text for m in said), said
    [sent] = fake_openai.requests_to("/v1/audio/transcriptions")
    assert sent.json["file"]["data"][:4] == b"RIFF"

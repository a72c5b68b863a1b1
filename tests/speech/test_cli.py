"""``confab transcribe FILE…`` over the real ``openai`` SDK and the loopback fake: text, ``--json`` with segments,
one line and a non-zero exit for each file that can't be transcribed, and the honest offline answer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli import app
from tests.fakes.openai_server import FakeOpenAI, transcript_reply
from tests.speech.clips import clip


async def confab(tmp_path: Path, *args: str, fake: FakeOpenAI | None = None) -> Result:
    env = {"CONFAB_DATA_DIR": str(tmp_path / "data")}
    if fake is not None:
        env.update(CONFAB_STT_MODEL="whisper-1", CONFAB_STT_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test")
    # the command runs its own event loop: in a thread, while the fake serves on this one
    return await asyncio.to_thread(CliRunner().invoke, app, ["transcribe", *args], env=env)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


async def test_prints_the_text_of_each_file(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.extend([transcript_reply("Ship it on Friday."), transcript_reply("Agreed.")])
    voice = write(tmp_path / "voice.ogg", clip("ogg", 1.5))
    one = await confab(tmp_path, voice, fake=fake_openai)
    assert (one.exit_code, one.stdout) == (0, "Ship it on Friday.\n")
    memo = write(tmp_path / "memo.m4a", clip("m4a", 1.5))
    two = await confab(tmp_path, voice, memo, fake=fake_openai)
    assert two.exit_code == 0 and two.stdout == f"{voice}: Agreed.\n{memo}: ok\n"  # the script ran out: "ok"


async def test_json_has_segments_and_timing(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply(
        "Hello team. Standup moved.", [(0.0, 0.9, " Hello team.", 0.02), (0.9, 2.0, " Standup moved.", 0.05)],
        duration=2.0))
    voice = write(tmp_path / "voice.wav", clip("wav", 2.0))
    result = await confab(tmp_path, "--json", voice, fake=fake_openai)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["file"] == voice and row["text"] == "Hello team. Standup moved." and row["language"] == "english"
    assert row["segments"] == [{"start": 0.0, "end": 0.9, "text": "Hello team."},
                               {"start": 0.9, "end": 2.0, "text": "Standup moved."}]
    assert row["duration_s"] == 2.0 and row["model"] == "whisper-1"


async def test_bad_files_get_one_line_each_and_exit_1(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Still here."))
    good = write(tmp_path / "good.ogg", clip("ogg", 1.0))
    corrupt = write(tmp_path / "corrupt.ogg", clip("ogg", 1.0)[:150])
    text = write(tmp_path / "notes.txt", b"just some notes, not a recording\n" * 20)
    silent = write(tmp_path / "silent.m4a", clip("m4a", 2.0, kind="silence"))
    long = write(tmp_path / "meeting.ogg", clip("ogg", 1.0, ends_at=3 * 3600))
    missing = str(tmp_path / "nope.wav")
    result = await confab(tmp_path, missing, corrupt, text, silent, long, good, fake=fake_openai)
    assert result.exit_code == 1
    assert result.stdout == f"{good}: Still here.\n"
    lines = result.stderr.splitlines()
    assert lines == [
        f"confab: {missing}: no such file",
        f"confab: {corrupt}: I couldn't read that file as audio: it looks corrupt or isn't a recording.",
        f"confab: {text}: I couldn't read that file as audio: it looks corrupt or isn't a recording.",
        f"confab: {silent}: I didn't hear any speech in that recording (silence, music or noise).",
        f"confab: {long}: That recording is too long to transcribe (3:00:00; the limit is 10:00).",
    ]
    assert len(fake_openai.requests_to("/v1/audio/transcriptions")) == 1


async def test_offline_exits_2_with_the_honest_reason(tmp_path: Path) -> None:
    voice = write(tmp_path / "voice.ogg", clip("ogg", 1.0))
    result = await confab(tmp_path, voice)
    assert result.exit_code == 2
    assert result.stderr == ("confab: I can't transcribe this offline; set CONFAB_STT_MODEL (e.g. `whisper-1` or "
                             "`gpt-4o-mini-transcribe` with OPENAI_API_KEY, or a local whisper server via "
                             "CONFAB_STT_BASE_URL).\n")

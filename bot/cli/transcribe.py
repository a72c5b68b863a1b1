"""``confab transcribe FILE…``: recordings to text on the command line, for people and for evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.startup import load_settings_or_exit


def transcribe(
    files: Annotated[list[Path], typer.Argument(help="Audio or video files: OGG/Opus, M4A/AAC, MP4, WAV, MP3, WebM…",
                                                show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file: text, language, duration "
                                          "and segments with their timing where the provider gives them.")] = False,
) -> None:
    """Transcribe recordings with CONFAB_STT_MODEL and print the text (with several files, each under its name).

    The same caps as in chat apply to each file (CONFAB_STT_MAX_MB, CONFAB_STT_MAX_MINUTES), not the daily
    allowance. A file that can't be transcribed (missing, corrupt, no sound, silence, too long) is one line on
    stderr with the reason; the others are still transcribed, and the exit code is 1. Offline (no
    CONFAB_STT_MODEL) nothing is transcribed: exit 2.
    """
    import asyncio

    from agent.speech import NOT_CONFIGURED, SpeechService

    settings = load_settings_or_exit()
    service = SpeechService(settings)
    if not service.configured:
        typer.echo(f"confab: {NOT_CONFIGURED}", err=True)
        raise typer.Exit(2)
    failed = asyncio.run(_run(service, files, as_json))
    if failed:
        raise typer.Exit(1)


async def _run(service: Any, files: list[Path], as_json: bool) -> int:
    from agent.errors import SpeechError

    failed = 0
    for path in files:
        problem = _unreadable(path)
        transcript = None
        if problem is None:
            try:
                transcript = await service.transcribe(path)
            except SpeechError as exc:
                problem = exc.user_message
        if transcript is None:
            failed += 1
            typer.echo(f"confab: {path}: {problem}", err=True)
            if as_json:
                typer.echo(json.dumps({"file": str(path), "error": problem}))
            continue
        if as_json:
            typer.echo(json.dumps({"file": str(path), **transcript.as_json()}, ensure_ascii=False))
        else:
            typer.echo(f"{path}: {transcript.text}" if len(files) > 1 else transcript.text)
    return failed


def _unreadable(path: Path) -> str | None:
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file"
    try:
        with path.open("rb"):
            return None
    except OSError as exc:
        return f"can't read it ({exc.strerror or exc})"

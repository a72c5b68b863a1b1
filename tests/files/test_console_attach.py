"""The console's ``/attach PATH``: the file goes with the next message, read offline with the same caps as a
platform's download (bot/downloads.py ``copy_local``)."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.harness import console_says
from tests.files.samples import service_log


async def test_attach_then_ask_answers_from_the_file(tmp_path: Path) -> None:
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path, attachment_max_mb=0.01)
    log, line = service_log()
    (tmp_path / "worker.log").write_bytes(log)
    (tmp_path / "huge.log").write_bytes(b"x" * 20_000)
    lines = [f"/attach {tmp_path / 'worker.log'}",
             "@confab what went wrong with the database?",
             f"/attach {tmp_path / 'missing.log'}",
             f"/attach {tmp_path / 'huge.log'}",
             "@confab and this one?",
             "@confab no file this time, hello"]
    out = await console_says(tmp_path, lines, settings=settings, moderator=None)
    assert "* worker.log will go with your next message." in out
    assert "connection refused by postgres" in out and f"worker.log (lines {line}-{line + 1})" in out, out
    assert f"* There is no file at {tmp_path / 'missing.log'}." in out
    assert "I couldn't read `huge.log`: it is over the 0.01 MB limit for attachments." in out
    assert out.count("worker.log (line") == 1  # the file went with one message only


async def test_what_does_this_log_say_gets_the_whole_file_not_one_line(tmp_path: Path) -> None:
    """A question that names nothing but the file asks for all of it: the log's errors and warnings in order,
    not the one line most like the words "what does this log say"."""
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path)
    log, line = service_log()
    (tmp_path / "worker.log").write_bytes(log)
    out = await console_says(tmp_path, [f"/attach {tmp_path / 'worker.log'}", "@confab what does this log say?"],
                             settings=settings, moderator=None)
    assert "Summary of `worker.log` (40 lines" in out, out
    assert out.index("connection refused by postgres") < out.index("retrying in 30 s")
    assert f"worker.log (line {line})" in out


async def test_asking_about_this_file_without_one_says_so(tmp_path: Path) -> None:
    """"summarize this file" after an /attach that failed summarized the channel instead, which was not asked."""
    from tests.fakes.settings import make_settings

    out = await console_says(tmp_path, [f"/attach {tmp_path / 'missing.log'}", "@confab summarize this file",
                                        "@confab how do I summarize a pdf?"], settings=make_settings(tmp_path),
                             moderator=None)
    assert "There is no file with this message." in out and "Summary of this channel" not in out
    assert out.count("There is no file with this message.") == 1  # asking about the feature is not about a file


async def test_a_pending_file_stays_with_the_person_and_place_that_attached_it(tmp_path: Path) -> None:
    """alice's ``/attach`` then ``/as bob`` sent alice's file with bob's next message; a file in a Slack or Discord
    composer belongs to its author and channel. Switching drops it and says so."""
    from tests.fakes.settings import make_settings

    log, _ = service_log()
    (tmp_path / "worker.log").write_bytes(log)
    lines = [f"/attach {tmp_path / 'worker.log'}", "/as bob", "@confab what went wrong with the database?",
             f"/attach {tmp_path / 'worker.log'}", "/join #ops", "@confab what went wrong with the database?",
             f"/attach {tmp_path / 'worker.log'}", "/as bob", "@confab what went wrong with the database?"]
    out = await console_says(tmp_path, lines, settings=make_settings(tmp_path), moderator=None)
    assert "You are now bob. (worker.log, attached by alice in #general, was not sent.)" in out, out
    assert "You are now in #ops. (worker.log, attached by bob in #general, was not sent.)" in out, out
    assert "worker.log (line" in out and out.count("worker.log (line") == 1, out  # only the last, bob's own

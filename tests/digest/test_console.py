"""``/digest`` in the console: an admin schedules it and posts one now; the digest cites the console's message
numbers (``[2]``) where Slack and Discord have permalinks."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.harness import console_says
from tests.fakes.settings import make_settings


async def test_digest_in_the_console(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    lines = ["/as bob",
             "/digest daily 09:00 Europe/Berlin",
             "/as root admin",
             "should we move the retro to Thursday?",
             "/as bob",
             "yes, Thursday works for everyone",
             "/as root admin",
             "We agreed: the retro moves to Thursday.",
             "/as carol",
             "does anyone have the retro board link?",
             "/as root admin",
             "/digest daily 9:00 Europe/Berlin",
             "/digest now",
             "/digest"]
    out = await console_says(tmp_path, lines, settings=settings, moderator=None)
    assert "Only admins can use `/digest`. In the console, become one with `/as bob admin`." in out
    assert "This channel gets a digest every day at 09:00 (Europe/Berlin)" in out
    assert "**Digest since" in out and "retro moves to Thursday" in out
    assert "**Unanswered, asked of no one**" in out and "retro board link" in out
    assert "Posted the digest in this channel." in out
    shown = out.splitlines()[-1]
    assert "every day at 09:00 (Europe/Berlin). The next is on" in shown and "It covers what was said since" in shown
    decision = next(line for line in out.splitlines() if line.startswith("• root: We agreed"))
    assert decision.endswith("([5])")  # the console's number of the message, where platforms have a permalink

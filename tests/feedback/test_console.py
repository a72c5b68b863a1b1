"""👍/👎 in the console: ``/rate up|down [N]`` votes on the bot's answer N (default: its last one here), as the
console's current user; the same again takes it back; bad arguments get the usage."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage

from tests.fakes.harness import typed_console
from tests.fakes.scripted_model import ScriptedModel


async def test_rate_votes_on_the_last_answer_or_on_answer_n(tmp_path: Path) -> None:
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path)
    lines = ["/rate up",  # nothing to rate yet
             "@confab how do I deploy?",  # [1], answered as [2]
             "@confab and where are the logs?",  # [3], answered as [4]
             "/rate up",  # the last answer: [4]
             "/rate down 2",
             "/as bob",
             "/rate 👍 2",
             "/rate down 2",
             "/rate down 2",  # the same again: taken back
             "/rate sideways",
             "/rate up 2 3",
             "/rate up 1",  # a person's message, not an answer
             "/rate down 77",  # no such number yet
             "/join #random",
             "/rate up 4"]  # another channel's answer
    model = ScriptedModel(steps=[AIMessage("Deploy with `make deploy`."), AIMessage("Logs are in data/logs.")])
    async with typed_console(tmp_path, lines, settings=settings, chat_model=model, moderator=None) as (bot, screen):
        pairs = await bot.deps.store.feedback.pairs()
    notes = [line.removeprefix("* ") for line in screen.getvalue().splitlines() if line.startswith("* ")]
    assert notes[0] == "There is no answer of mine here to rate yet."
    assert notes[1:] == [
        "Thanks, I recorded your 👍 on this answer.",
        "Thanks, I recorded your 👎 on this answer.",
        "You are now bob.",
        "Thanks, I recorded your 👍 on this answer.",
        "Changed your vote on this answer to 👎.",
        "Took back your 👎 on this answer.",
        "Usage: /rate up|down [N], e.g. /rate up or /rate down 12 (N: the number of my answer)",
        "Usage: /rate up|down [N], e.g. /rate up or /rate down 12 (N: the number of my answer)",
        "[1] is not one of my answers. My last answer here is [4]: `/rate up 4`.",
        "[77] is not one of my answers. My last answer here is [4]: `/rate up 4`.",
        "You are now in #random.",
        "I no longer have that answer (it may have been forgotten or expired), so there is nothing to rate.",
    ]
    assert sorted((p.answer.question, p.vote) for p in pairs) == [("and where are the logs?", "up"),
                                                                  ("how do I deploy?", "down")]

"""Pure parts of the Discord adapter: splitting at 2,000 characters and reading Discord's wire text."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.discord.convert import DM_WORKSPACE, channel_ref, plain_text, snowflake_time
from bot.discord.format import MAX_CHARS, format_reply


def test_short_and_blank_replies() -> None:
    assert format_reply("hello") == ["hello"]
    assert format_reply("  \n ") == []


def test_long_prose_splits_under_the_limit_between_words() -> None:
    words = [f"word{i}" for i in range(900)]
    text = " ".join(words)
    parts = format_reply(text)
    assert len(parts) >= 3 and all(len(p) <= MAX_CHARS for p in parts)
    assert " ".join(parts).split() == words  # no word cut or lost


def test_a_code_block_cut_in_two_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"print({i})  # line {i}" for i in range(300))
    parts = format_reply(f"Here:\n```python\n{code}\n```\nDone.")
    assert len(parts) >= 3 and all(len(p) <= MAX_CHARS for p in parts)
    for part in parts:
        assert part.count("```") % 2 == 0, part[:80]  # every chunk renders its code as code
    assert parts[1].startswith("```python\n")
    body = [line for p in parts for line in p.split("\n") if line.startswith("print(")]
    assert body == code.split("\n")
    assert parts[-1].rstrip().endswith("Done.")


def test_wire_text_reads_as_people_see_it() -> None:
    text = plain_text("<@111> hi <@!222>, see <#333> with <@&444> :) <:party:555>", 111, "confab",
                      users={222: "Bob"}, roles={444: "Devs"}, channels={333: "general"})
    assert text == "@confab hi @Bob, see #general with @Devs :) :party:"


def test_threads_are_keyed_under_their_parent_channel() -> None:
    assert channel_ref(10, 1).key == "discord:1:10"
    thread = channel_ref(20, 1, parent_id=10)
    assert thread.key == "discord:1:10" and thread.thread == "20"
    assert channel_ref(30, None).workspace == DM_WORKSPACE


def test_snowflakes_carry_their_time() -> None:
    # Discord's documented example: 175928847299117063 was created 2016-04-30 11:18:25.796 UTC
    assert snowflake_time(175928847299117063) == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)

"""Markdown -> mrkdwn, escaping of mentions written by models or documents, and splitting."""

from __future__ import annotations

import re

import pytest

from bot.slack.format import MAX_CHARS, WORD_JOINER, escape, format_reply, to_mrkdwn
from bot.text import split_message

# anything Slack would turn into a notification: special mentions, user/channel/group mentions
PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)


def test_bold_italic_strike_headings_and_lists() -> None:
    text = "# Plan\n**bold** and *soft* and ~~old~~\n- one\n  * two\n1. first"
    assert to_mrkdwn(text) == "*Plan*\n*bold* and _soft_ and ~old~\n• one\n  • two\n1. first"


def test_links_become_slack_links_and_unsafe_schemes_stay_text() -> None:
    assert to_mrkdwn("see [the docs](https://x.io/a?b=1&c=2)") == "see <https://x.io/a?b=1&amp;c=2|the docs>"
    assert to_mrkdwn("<https://x.io>") == "<https://x.io>"
    assert to_mrkdwn("[click](javascript:alert(1))") == "[click](javascript:alert(1))"
    assert to_mrkdwn("[a|b>c](https://x.io/|)") == "<https://x.io/%7C|a¦b&gt;c>"


def test_code_blocks_are_kept_verbatim_but_escaped() -> None:
    text = "```python\nif a < b and c > d: print('**x**')\n```\nand `x<y>`"
    assert to_mrkdwn(text) == "```\nif a &lt; b and c &gt; d: print('**x**')\n```\nand `x&lt;y&gt;`"
    assert to_mrkdwn("```\nunclosed") == "```\nunclosed\n```"


def test_block_quotes_stay_quotes() -> None:
    assert to_mrkdwn("> a <b>") == "> a &lt;b&gt;"


@pytest.mark.parametrize("hostile", [
    "<!channel> hey", "<!here>", "<!everyone|everyone>", "<@U123ABC>", "<@W999|boss>", "<#C0123|general>",
    "<!subteam^S0ONCALL|@oncall>", "hey @here and @channel and @everyone", "`<!here>`", "```\n<!channel>\n```",
    "[<!channel>](https://x.io)", "[x](https://x.io/<!here>)", "**@everyone**",
])
def test_nothing_from_text_can_notify_anyone(hostile: str) -> None:
    out = to_mrkdwn(hostile)
    assert not PING.search(out), out


def test_bare_broadcasts_get_a_word_joiner_but_emails_do_not() -> None:
    assert escape("@here now") == f"@{WORD_JOINER}here now"
    assert escape("ops@channel.io") == "ops@channel.io"


def test_short_text_is_one_message_and_empty_is_none() -> None:
    assert split_message("hello", MAX_CHARS) == ["hello"]
    assert split_message("   ", MAX_CHARS) == []


def test_long_text_splits_on_lines_under_the_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    parts = split_message(text, 1000)
    assert len(parts) > 1 and all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).replace("\n", "") == text.replace("\n", "")


def test_code_fences_are_closed_and_reopened_across_messages() -> None:
    text = "intro\n```\n" + "\n".join(f"print({i})" for i in range(400)) + "\n```\noutro"
    parts = format_reply(text, 500)
    assert len(parts) > 3 and all(len(p) <= 500 for p in parts)
    for part in parts:
        assert part.count("```") % 2 == 0, part  # every message is balanced
    assert parts[-1].endswith("outro")


def test_a_single_huge_line_is_cut_without_breaking_entities_or_links() -> None:
    text = ("word &amp; <https://x.io|link> " * 300).strip()
    parts = split_message(text, 200)
    assert all(len(p) <= 200 for p in parts)
    for part in parts:
        assert not re.search(r"&[a-z]*$", part) and part.count("<") == part.count(">")


def test_binary_and_control_text_does_not_crash() -> None:
    text = "\x00\x01 bytes \ud800 **x**"
    assert "*x*" in to_mrkdwn(text)

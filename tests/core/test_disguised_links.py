"""A link whose label names another site than its target shows the real domain in everything the bot
sends (bot.text.reveal_disguised_links, applied where mentions are neutralised and by Slack's link builder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from bot.discord.format import format_reply as discord_reply
from bot.slack.format import to_mrkdwn
from bot.text import neutralize_mentions, reveal_disguised_links
from tests.fakes.scripted_model import ScriptedModel

DISGUISED = "[discord.com/login](https://disc0rd.example/a)"


@pytest.mark.parametrize(("text", "shown"), [
    (DISGUISED, "[discord.com/login (disc0rd.example)](https://disc0rd.example/a)"),
    ("<https://disc0rd.example/a|discord.com/login>",
     "<https://disc0rd.example/a|discord.com/login (disc0rd.example)>"),
    ("[https://paypal.com](https://paypal.com.evil.example/x)",
     "[https://paypal.com (paypal.com.evil.example)](https://paypal.com.evil.example/x)"),
    ("[discord.com](https://discord.com@evil.example/a)", "[discord.com (evil.example)](https://discord.com@evil.example/a)"),
    ("[Log in at www.discord.com now](<https://disc0rd.example/a> \"Discord\")",
     "[Log in at www.discord.com now (disc0rd.example)](<https://disc0rd.example/a> \"Discord\")"),
    ("[dіscord.com](https://dіscord.com)", "[dіscord.com (xn--dscord-pvf.com)](https://dіscord.com)"),  # Cyrillic і
    # a browser ends the host at a backslash, as at a slash: this opens evil.example (urlsplit reads discord.com)
    ("[discord.com](https://evil.example\\@discord.com/)",
     "[discord.com (evil.example)](https://evil.example\\@discord.com/)"),
    ("<https://evil.example\\@discord.com/|discord.com>",
     "<https://evil.example\\@discord.com/|discord.com (evil.example)>"),
])
def test_a_label_naming_another_site_shows_the_real_domain(text: str, shown: str) -> None:
    assert reveal_disguised_links(text) == shown
    assert reveal_disguised_links(shown) == shown  # idempotent: text may be neutralised twice


@pytest.mark.parametrize("text", [
    "[docs.python.org](https://docs.python.org/3/)", "[www.google.com](https://google.com/search)",
    "[support.discord.com](https://discord.com/help)", "[click here](https://evil.example)",
    "[deployment.md › Discord](https://github.com/acme/confab/blob/main/knowledge/deployment.md)",
    "![discord.com](https://evil.example/cat.png)", "see https://disc0rd.example/a", "[a.b](mailto:x@y.z)",
])
def test_honest_links_and_file_names_are_left_alone(text: str) -> None:
    assert reveal_disguised_links(text) == text


def test_every_platform_shows_the_real_domain() -> None:
    assert "disc0rd.example)" in neutralize_mentions(f"log in: {DISGUISED}")
    assert discord_reply(f"log in: {DISGUISED}") == [
        "log in: [discord.com/login (disc0rd.example)](https://disc0rd.example/a)"]
    # Slack's own link builder, for text that did not pass through neutralize_mentions
    slack = to_mrkdwn(f"log in: {DISGUISED}")
    assert slack == "log in: <https://disc0rd.example/a|discord.com/login (disc0rd.example)>"


async def test_a_disguised_link_from_the_model_reaches_the_chat_revealed(tmp_path: Path) -> None:
    from tests.fakes.harness import open_bot

    model = ScriptedModel(steps=[AIMessage(f"Reset it at {DISGUISED} today.")])
    async with open_bot(tmp_path, model) as chat:
        reply = await chat.say("@confab where do I reset my Discord password?")
    assert "[discord.com/login (disc0rd.example)](https://disc0rd.example/a)" in reply

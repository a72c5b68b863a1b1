"""One person's messages on each platform, through the real adapters against the loopback fakes: Slack's
``/recall from:<@U…>`` and ``from:@name`` (signed slash commands, the asker's channels from users.conversations),
Discord's ``from:<@id>`` (an interaction on the fake gateway) and the console's plain names, where
"@confab what did ben say about …?" asks the same offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.memory.models import StoredMessage
from bot.commands.recall import typed_query
from tests.fakes.discord import ALICE, ALICE_ID, BOB, BOB_ID, GENERAL_ID, GUILD_ID, FakeDiscord
from tests.fakes.discord import settle as discord_settle
from tests.fakes.embedder import HashEmbedder
from tests.fakes.slack import TEAM_ID, FakeSlackAPI
from tests.recall.test_platforms import ALICE_S, BOB_S, DECISION, option, slack_recall, slack_workspace

CAROL_S = "U0CAROL01"


def by(key: str, mid: str, user_id: str, name: str, text: str) -> StoredMessage:
    """A message stored lately, in the order of its id (Slack's ts)."""
    return StoredMessage(key, mid, user_id, name, text, datetime.now(UTC) - timedelta(seconds=1e9 - float(mid)
                                                                                              / 1.7))


async def test_slack_from_a_mention_or_a_name_quotes_only_that_persons_lines_alice_may_read(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    slack_workspace(fake_api)
    adapter, pipeline = await slack_bot()
    k = f"slack:{TEAM_ID}:"
    for message in [by(k + "C0GENERAL", "1700000010.000100", BOB_S, "Bob Builder",
                       "I'd keep the export cap at 10,000 rows, email the rest"),
                    by(k + "C0PRODUCT", "1700000020.000100", ALICE_S, "alice", DECISION),
                    by(k + "C0PRODUCT", "1700000025.000100", BOB_S, "Bob Builder", "the CSV export has no BOM"),
                    by(k + "C0LEFT", "1700000040.000100", BOB_S, "Bob Builder",
                       "old export cap numbers from last year"),
                    by(k + "D0DMBOB", "1700000050.000100", BOB_S, "Bob Builder", "my own note on the export cap"),
                    by(k + "C0LEFT", "1700000060.000100", CAROL_S, "carol", "carol's export cap idea")]:
        assert await pipeline.deps.store.messages.add(message)
    text = await slack_recall(adapter, fake_api, f"from:<@{BOB_S}> export cap", ALICE_S)
    assert text.startswith("What Bob Builder said about that")
    assert "keep the export cap at 10,000 rows" in text
    assert DECISION not in text  # Alice's, though it matches best
    assert "old export cap" not in text and "my own note" not in text  # a channel she left, Bob's DM
    # /recall's text comes escaped (the manifest's should_escape): a picked person, a channel, an "&"
    escaped = await slack_recall(adapter, fake_api, f"from:<@{BOB_S}|bob.builder> <#C0PRODUCT|product> CSV &amp; BOM",
                                 ALICE_S)
    assert escaped.startswith("What Bob Builder said about that") and "no BOM" in escaped
    assert typed_query("<#C0PRODUCT|product> CSV &amp; <https://x.example/bom|BOM> <@U1|bob>") == (
        "#product CSV & BOM <@U1|bob>")  # the topic as people read it; a person's mention stays for the parser
    handle = await slack_recall(adapter, fake_api, "from:@bob.builder export cap", ALICE_S)  # a typed handle
    assert handle.startswith("What Bob Builder said about that") and "10,000 rows" in handle
    latest = await slack_recall(adapter, fake_api, "from:@bob", ALICE_S)  # a first name
    assert latest.startswith("The most recent messages from Bob Builder")
    assert latest.index("no BOM") < latest.index("keep the export cap") and "old export" not in latest
    # carol wrote only where Alice can't read: unknown to her, never counted or named from elsewhere
    unknown = await slack_recall(adapter, fake_api, f"from:<@{CAROL_S}> export cap", ALICE_S)
    assert unknown.split("\n")[0] == "I found no messages from that person in channels you can read."
    assert "carol" not in unknown
    assert "carol's export cap idea" in await slack_recall(adapter, fake_api, "from:carol export cap", BOB_S)
    assert (await slack_recall(adapter, fake_api, "from:", ALICE_S)).startswith("Usage:")


async def test_discord_from_a_mention_of_either_form_or_the_person_option(discord_bot: Any,
                                                                          fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot()
    k = f"discord:{GUILD_ID}:{GENERAL_ID}"
    for message in [StoredMessage(k, "1300000000000000100", str(BOB_ID), "Bob", "the export cap could be 20,000",
                                  datetime.now(UTC)),
                    StoredMessage(k, "1300000000000000101", str(ALICE_ID), "Alice", DECISION, datetime.now(UTC))]:
        assert await pipeline.deps.store.messages.add(message)
    picked = fake_discord.interaction("recall", [option("query", "export cap"), option("person", str(BOB_ID), 6)],
                                      who=ALICE, channel_id=GENERAL_ID)  # the command's user option
    picked["data"]["resolved"] = {"users": {str(BOB_ID): BOB},
                                  "members": {str(BOB_ID): {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                                                           "flags": 0, "permissions": "0"}}}
    for interaction in [fake_discord.interaction("recall", [option("query", f"from:{mention} export cap")], who=ALICE,
                                                 channel_id=GENERAL_ID) for mention in (f"<@{BOB_ID}>",
                                                                                        f"<@!{BOB_ID}>")] + [picked]:
        before = len(fake_discord.followups())
        await fake_discord.dispatch("INTERACTION_CREATE", interaction)
        await discord_settle(adapter)
        [reply] = fake_discord.followups()[before:]
        assert "What Bob said about that" in reply.text and "20,000" in reply.text
        assert "10,000 rows" not in reply.text and "<@" not in reply.text


async def test_console_names_in_recall_and_in_a_question(tmp_path: Path) -> None:
    from tests.fakes.harness import console_says
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path)
    lines = ["/as ben", "/join #product", "I'd say the export cap should stay at 10,000 rows",  # [1]
             "/as cleo", "the export cap is fine but the CSV encoding is broken",  # [2]
             "/as ben", "the migration to Postgres 16 runs on Saturday",  # [3]
             "/dm", "note to self: the export cap makes me nervous",  # [4], ben's DM
             "/as ana", "/join #general",
             "/recall from:@Ben export cap",
             "@confab what did ben say about the export cap?",
             "@confab what has ben said?",
             "@confab what did zed say about the export cap?"]
    out = await console_says(tmp_path, lines, settings=settings, user="ana", embedder=HashEmbedder(dim=256))
    asked_lines = lines[-4:]
    answers = [out.split(line, 1)[1].split(asked_lines[n + 1], 1)[0] if n + 1 < len(asked_lines)
               else out.split(line, 1)[1] for n, line in enumerate(asked_lines)]
    recall, asked, latest, unknown = answers
    for answer in (recall, asked):
        assert "What ben said about that" in answer and "stay at 10,000 rows" in answer
        assert "CSV encoding" not in answer and "nervous" not in answer
    assert "The most recent messages from ben" in latest and latest.index("Postgres 16") < latest.index("10,000")
    assert "nervous" not in latest  # ben's DM is not ana's to read
    assert "I found no messages from zed in channels you can read." in unknown


async def test_a_model_asks_for_one_persons_messages(tmp_path: Path) -> None:
    """A configured model passes ``author`` to ``search_conversations`` (a scripted model, through the real tool
    loop): the matches it reads are that person's only, and a name no one readable has is said to be unknown."""
    from langchain_core.messages import AIMessage, ToolMessage

    from tests.fakes.harness import console_says
    from tests.fakes.scripted_model import ScriptedModel, tool_call
    from tests.fakes.settings import make_settings

    search = [AIMessage("", tool_calls=[tool_call("search_conversations", {"query": "export cap", "author": who})])
              for who in ("@Ben", "zed")]
    model = ScriptedModel(steps=[search[0], AIMessage("Ben said to keep it."), search[1], AIMessage("No one.")])
    settings = make_settings(tmp_path, model="openai:gpt-4o-mini", openai_api_key="sk-test")
    lines = ["/as ben", "/join #product", "I'd say the export cap should stay at 10,000 rows",
             "/as cleo", "the export cap is fine but the CSV encoding is broken",
             "/as ana", "/join #general", "@confab what did ben say about the export cap?",
             "@confab and zed?"]
    await console_says(tmp_path, lines, settings=settings, chat_model=model, user="ana",
                       embedder=HashEmbedder(dim=256))
    [ben] = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert "stay at 10,000 rows" in str(ben.content) and "CSV encoding" not in str(ben.content)
    zed = [m for m in model.seen[3] if isinstance(m, ToolMessage)][-1]
    assert str(zed.content).startswith("No message by zed in the channels the asker can read.")

"""👍/👎 on Discord through the real discord.py client and the fake gateway: an answer carries two buttons whose
custom_ids say what a vote needs; an INTERACTION_CREATE click is deferred (ephemeral), recorded as the vote of
the user Discord names and answered only to them, also by a client that never sent the answer (a restart);
forged custom_ids and bad values get a short answer."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from bot.feedback import BAD_VOTE, UNKNOWN_ANSWER
from tests.fakes.discord import ALICE, BOB, BOT_ID, GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.scripted_model import ScriptedModel

EPHEMERAL = 1 << 6
DEFERRED_WITH_SOURCE = 5
KEY = f"discord:{GUILD_ID}:{GENERAL_ID}"


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def click(fake: FakeDiscord, adapter: Any, custom_id: str, message: dict[str, Any],
                who: dict[str, Any] = BOB) -> str:
    """Click; the one ephemeral line the clicker was told."""
    before = len(fake.followups())
    await fake.dispatch("INTERACTION_CREATE", fake.click(custom_id, message, who=who))
    await settle(adapter)
    callback = fake.callbacks()[-1]
    [told] = fake.followups()[before:]
    assert told.json["flags"] & EPHEMERAL
    assert callback.json["type"] == DEFERRED_WITH_SOURCE and callback.json["data"]["flags"] & EPHEMERAL
    return told.content


async def test_an_answer_has_buttons_and_a_click_is_recorded_even_after_a_restart(
        discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[AIMessage("Deploy with `make deploy`.")]))
    mention = fake_discord.message(f"<@{BOT_ID}> how do I deploy?", mentions=[{"id": str(BOT_ID), "username":
                                                                             "confab", "discriminator": "0",
                                                                             "bot": True, "avatar": None}])
    await fake_discord.dispatch("MESSAGE_CREATE", mention)
    await settle(adapter)
    [posted] = fake_discord.posted()
    assert "make deploy" in posted.content
    answer = fake_discord.messages[GENERAL_ID][-1]
    assert custom_ids(answer) == ["confab:fb:up", "confab:fb:down"]
    assert await click(fake_discord, adapter, "confab:fb:up", answer) == "Thanks, I recorded your 👍 on this answer."
    assert await click(fake_discord, adapter, "confab:fb:down", answer) == "Changed your vote on this answer to 👎."
    [pair] = await pipeline.deps.store.feedback.pairs([KEY])
    assert pair.vote == "down" and pair.answer.message_id == answer["id"]
    assert pair.answer.question.endswith("how do I deploy?") and "make deploy" in pair.answer.answer
    # nothing about the buttons is kept in memory: a fresh client (a restart) answers the next click
    await adapter.close()
    again, _ = await discord_bot(ScriptedModel(steps=[]))
    assert await click(fake_discord, again, "confab:fb:down", answer) == "Took back your 👎 on this answer."
    assert await click(fake_discord, again, "confab:fb:up", answer, who=ALICE) == \
        "Thanks, I recorded your 👍 on this answer."
    [pair] = await pipeline.deps.store.feedback.pairs([KEY])
    assert pair.vote == "up"


async def test_forged_custom_ids_and_unknown_messages_get_a_short_answer(
        discord_bot: Any, fake_discord: FakeDiscord, caplog: Any) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[AIMessage("An answer.")]))
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(
        f"<@{BOT_ID}> a question?", mentions=[{"id": str(BOT_ID), "username": "confab", "discriminator": "0",
                                               "bot": True, "avatar": None}]))
    await settle(adapter)
    answer = fake_discord.messages[GENERAL_ID][-1]

    def forged(cid: str) -> dict[str, Any]:
        return {**answer, "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "custom_id": cid, "emoji": {"name": "👍"}}]}]}

    assert await click(fake_discord, adapter, "confab:fb:sideways", forged("confab:fb:sideways")) == BAD_VOTE
    assert await click(fake_discord, adapter, "confab:fb:up:../../etc", forged("confab:fb:up:../../etc")) == BAD_VOTE
    assert await click(fake_discord, adapter, "confab:fb:up:p0000dead", forged("confab:fb:up:p0000dead")) \
        == UNKNOWN_ANSWER
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.click("evil:button", forged("evil:button")))
    await settle(adapter)
    reply = fake_discord.callbacks()[-1]
    assert reply.json["type"] == 4 and reply.json["data"]["flags"] & EPHEMERAL
    assert "don't know that button" in reply.json["data"]["content"]
    assert "unknown component interaction" in caplog.text and "malformed vote" in caplog.text
    assert await pipeline.deps.store.feedback.pairs() == []


async def test_a_private_summary_carries_buttons_with_its_own_key(discord_bot: Any, fake_discord: FakeDiscord
                                                                  ) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    for text in ("We should ship the release on Friday.", "Agreed, Friday works. Bob writes the notes."):
        await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(text))
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("summarize"))
    await settle(adapter)
    [summary] = fake_discord.followups()
    assert summary.json["flags"] & EPHEMERAL
    ids = [b["custom_id"] for b in summary.buttons if "custom_id" in b]  # (beside the links to sources)
    assert ids[0].startswith("confab:fb:up:p") and ids[1].startswith("confab:fb:down:p")
    message = {**fake_discord.message("", author=fake_discord.guild()["members"][0]["user"]),
               "components": summary.components, "flags": summary.flags}
    assert await click(fake_discord, adapter, ids[0], message) == "Thanks, I recorded your 👍 on this answer."
    [pair] = await pipeline.deps.store.feedback.pairs([KEY])
    assert pair.answer.question.startswith("/summarize") and "Friday" in pair.answer.answer

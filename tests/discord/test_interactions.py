"""Application commands and context menus through the real discord.py CommandTree: deferred first
(ephemeral where private), answered by follow-ups that ping nobody, answered once however often delivered."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage

from agent.images.png import check_png
from tests.fakes.discord import BOB, GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.openai_server import FakeOpenAI, image_reply, png_bytes
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.waiting import until


def pings_nobody(request: Any) -> bool:
    mentions = request.json["allowed_mentions"]
    return mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles") \
        and not mentions.get("replied_user")
EPHEMERAL = 1 << 6
DEFERRED_WITH_SOURCE = 5


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


async def test_ask_is_deferred_then_answered_publicly_without_pings(discord_bot: Any,
                                                                    fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[AIMessage("Deploy with `make deploy`. @everyone")]))
    payload = fake_discord.interaction("ask", [option("question", "how do I deploy?")])
    await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await settle(adapter)
    [callback] = fake_discord.callbacks()
    assert callback.path == f"/interactions/{payload['id']}/{payload['token']}/callback"
    assert callback.json["type"] == DEFERRED_WITH_SOURCE
    assert not (callback.json.get("data") or {}).get("flags", 0) & EPHEMERAL
    [followup] = fake_discord.followups()
    assert followup.path == f"/webhooks/{payload['application_id']}/{payload['token']}"
    assert "Deploy with `make deploy`." in followup.content and "@everyone" not in followup.content
    assert pings_nobody(followup)
    assert not followup.json.get("flags", 0) & EPHEMERAL
    assert fake_discord.posted() == []  # answered through the interaction, not a channel message
    history = await pipeline.deps.store.messages.recent(f"discord:{GUILD_ID}:{GENERAL_ID}", limit=5)
    assert any(m.is_bot and "Deploy with" in m.text for m in history)  # remembered what it said


async def test_summarize_is_private_unless_public(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    for text in ("We should ship the release on Friday.", "Agreed, Friday works. Bob writes the notes."):
        await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(text))
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("summarize"))
    await settle(adapter)
    [callback] = fake_discord.callbacks()
    assert callback.json["data"]["flags"] & EPHEMERAL
    [summary] = fake_discord.followups()
    assert summary.json["flags"] & EPHEMERAL and pings_nobody(summary)
    assert "Friday" in summary.text
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("summarize", [option("public", True, kind=5)]))
    await settle(adapter)
    public = fake_discord.followups()[-1]
    assert not public.json.get("flags", 0) & EPHEMERAL and "Friday" in public.text


async def test_context_menu_summarize_from_here(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    old = fake_discord.message("Lunch plans: pizza or tacos?")
    await fake_discord.dispatch("MESSAGE_CREATE", old)
    await asyncio.sleep(0.01)  # time passing: the next messages' snowflakes (their times) come a millisecond later
    start = fake_discord.message("New topic: the database migration runs tonight at 22:00.")
    later = fake_discord.message("I'll watch the migration dashboards during the run.", author=BOB)
    for message in (start, later):
        await fake_discord.dispatch("MESSAGE_CREATE", message)
    await settle(adapter)
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("Summarize from here", kind=3, target=start))
    await settle(adapter)
    [summary] = fake_discord.followups()
    assert summary.json["flags"] & EPHEMERAL
    assert "migration" in summary.text and "pizza" not in summary.text


async def test_a_repeated_interaction_is_answered_once(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("One answer."), AIMessage("Two: a bug.")]))
    payload = fake_discord.interaction("ask", [option("question", "once?")])
    for _ in range(3):
        await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await settle(adapter)
    assert len(fake_discord.callbacks()) == 1
    assert [f.content.splitlines()[-1] for f in fake_discord.followups()] == ["One answer."]


async def test_settings_need_manage_server(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    change = [option("name", "spam_policy"), option("value", "off")]
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "settings", change, group="confab", who=BOB, permissions=1 << 11))
    await settle(adapter)
    refused = fake_discord.followups()[-1]
    assert refused.json["flags"] & EPHEMERAL and "Only admins" in refused.content
    key = f"discord:{GUILD_ID}:{GENERAL_ID}"
    assert await pipeline.deps.store.channel_settings.get(key, "spam_policy", "default") == "default"
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "settings", change, group="confab", permissions=(1 << 5) | (1 << 11)))
    await settle(adapter)
    assert "Set `spam_policy` to `off`" in fake_discord.followups()[-1].content
    assert await pipeline.deps.store.channel_settings.get(key, "spam_policy", "default") == "off"


async def test_a_failing_command_edits_the_thinking_message_without_pings(discord_bot: Any,
                                                                          fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))

    async def broken(command: Any) -> list[Any]:
        raise RuntimeError("boom")

    pipeline.handle_command = broken
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("ask", [option("question", "will this work?")]))
    await settle(adapter)
    [edit] = fake_discord.calls("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    assert "failed on my side" in edit.content and pings_nobody(edit)


async def test_imagine_posts_the_image_as_an_attachment(discord_bot: Any, fake_discord: FakeDiscord,
                                                        fake_openai: FakeOpenAI) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]), image_model="gpt-image-1",
                                   image_base_url=fake_openai.base_url, image_api_key="sk-img")
    fake_openai.images.append(image_reply(png_bytes(24, 12)))
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("imagine", [option("prompt", "a paper crane")]))
    await settle(adapter)
    [followup] = [f for f in fake_discord.followups() if f.files]
    [(filename, data)] = followup.files
    assert filename.endswith(".png") and check_png(data).width == 24
    assert pings_nobody(followup)
    assert followup.json["attachments"][0]["filename"] == filename


async def test_brainstorm_opens_a_thread_and_follows_it(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("brainstorm", [option("topic", "ways to cut CI time")]))
    await settle(adapter)
    [opening] = fake_discord.posted(GENERAL_ID)
    assert "Brainstorm: ways to cut CI time" in opening.content
    [thread] = fake_discord.calls("POST", rf"/channels/{GENERAL_ID}/messages/\d+/threads")
    thread_id = int(thread.path.split("/")[4])
    assert fake_discord.posted(thread_id), "the seeds go into the new thread"
    followed = await pipeline.deps.store.threads.followed(f"discord:{GUILD_ID}:{GENERAL_ID}", str(thread_id))
    assert followed is not None and followed[0] == "brainstorm"
    assert fake_discord.calls("DELETE", r"/webhooks/\d+/[^/]+/messages/@original")  # no stray "thinking…"


async def test_a_command_this_version_does_not_know_gets_a_short_private_answer(discord_bot: Any,
                                                                                fake_discord: FakeDiscord) -> None:
    """A stale registration (e.g. a command removed in an upgrade) still gets an answer, never silence."""
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    payload = fake_discord.interaction("dance", [option("style", "tango")])
    await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await settle(adapter)
    [callback] = fake_discord.callbacks()
    assert callback.json["type"] == 4  # an immediate message: nothing to defer
    data = callback.json["data"]
    assert data["flags"] & EPHEMERAL and "couldn't run that command" in data["content"]
    assert data["allowed_mentions"]["parse"] == []


async def test_a_command_cut_short_by_a_stop_says_so_instead_of_thinking_forever(discord_bot: Any,
                                                                                  fake_discord: FakeDiscord) -> None:
    model = ScriptedModel(steps=[AIMessage("too late")], delay_s=30)
    adapter, _ = await discord_bot(model)
    payload = fake_discord.interaction("ask", [option("question", "how do I deploy?")])
    await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await until(lambda: fake_discord.callbacks() and model.seen, what="the command to reach the model")
    await adapter.close(grace_s=0.1)
    [edit] = fake_discord.calls("PATCH", rf"/webhooks/\d+/{payload['token']}/messages/@original")
    assert "restarted before I could finish" in edit.content and pings_nobody(edit)

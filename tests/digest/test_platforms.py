"""``/digest`` on Slack (a signed slash command to the real bolt app, the digest posted with chat.postMessage and
Slack permalinks) and on Discord (the registered application command with its option, the digest a card in the
channel with link buttons), against the loopback fakes; nothing in either pings anyone."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from agent.storage.digest_store import digest_store
from bot.digests import DigestRunner
from tests.fakes.discord import BOB, GENERAL_ID, GUILD_ID, FakeDiscord
from tests.fakes.discord import settle as discord_settle
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import FakeSlackAPI, command_form, payload, post_event, post_form, settle

PING = re.compile(r"<[!@#]|(?<![\w@\u2060\u200b])@(channel|here|everyone)\b", re.I)
LINES = [("U0ALICE01", "We agreed: the beta ships on Friday <!channel>"),
         ("U0ALICE01", "<@U0BOB0001> can you write the beta announcement by Thursday?"),
         ("U0BOB0001", "sure, will do"),
         ("U0CAROL01", "does anyone know who owns the status page?")]


async def due_at(pipeline: Any, key: str) -> datetime:
    found = await digest_store(pipeline.deps.store).get(key)
    assert found is not None
    return datetime.fromtimestamp(found.next_run, UTC)


async def test_digest_on_slack(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    for uid, name, admin in [("U0ADMIN01", "ada", True), ("U0ALICE01", "alice", False), ("U0BOB0001", "bob", False),
                             ("U0CAROL01", "carol", False)]:
        fake_api.users[uid] = {"id": uid, "name": name, "is_admin": admin, "profile": {"display_name": name}}
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    base = time.time() - 60
    for i, (user, text) in enumerate(LINES):
        ts = f"{base + i:.6f}"
        await post_event(adapter, {**payload("message_channels"), "user": user, "text": text, "ts": ts,
                                   "event_ts": ts, "client_msg_id": f"c-{i}"})
    await post_form(adapter, command_form("/digest", "weekly fri 16:00 Europe/Berlin", fake_api.response_url()))
    await post_form(adapter, command_form("/digest", "weekly fri 16:00 Europe/Berlin", fake_api.response_url(),
                                          user_id="U0ADMIN01"))
    await settle(adapter)
    refused, accepted = fake_api.responses
    assert "Only admins can use `/digest`" in refused["text"] and refused["response_type"] == "ephemeral"
    assert "every Friday at 16:00 (Europe/Berlin)" in accepted["text"] and accepted["response_type"] == "ephemeral"
    key = "slack:T0TEAM001:C0GENERAL"
    assert await DigestRunner(pipeline.deps, pipeline.outbox).tick(await due_at(pipeline, key)) == 1
    [post] = fake_api.calls_to("chat.postMessage")
    text = post.params["text"]
    assert post.params["channel"] == "C0GENERAL" and "thread_ts" not in post.params
    assert "Weekly digest since" in text and "beta ships on Friday" in text and "status page" in text
    assert "beta announcement" in text and "Thursday" in text
    assert "https://confab-test.slack.com/archives/C0GENERAL/p" in text  # Slack permalinks to the messages
    assert not PING.search(text), text


async def test_digest_on_discord(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    [registered] = [c for c in fake_discord.calls("PUT", r"/applications/\d+(?:/guilds/\d+)?/commands")]
    [digest_command] = [c for c in registered.json if c["name"] == "digest"]
    assert [o["name"] for o in digest_command["options"]] == ["schedule"]
    for text, who in [("We agreed: the beta ships on Friday @everyone", None),
                      ("does anyone know who owns the status page?", BOB)]:
        await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(text, author=who))
    option = [{"name": "schedule", "type": 3, "value": "daily 08:30 America/Chicago"}]
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("digest", option, who=BOB,
                                                                               permissions=1 << 11))
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(  # Manage Server: an admin
        "digest", option, permissions=(1 << 5) | (1 << 11)))
    await discord_settle(adapter)
    refused, accepted = fake_discord.followups()[-2:]
    assert "Only admins" in refused.content and "every day at 08:30 (America/Chicago)" in accepted.content
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("digest", who=BOB,
                                                                               permissions=1 << 11))
    await discord_settle(adapter)
    assert "every day at 08:30 (America/Chicago)" in fake_discord.followups()[-1].content  # anyone may look
    key = f"discord:{GUILD_ID}:{GENERAL_ID}"
    assert await DigestRunner(pipeline.deps, pipeline.outbox).tick(await due_at(pipeline, key)) == 1
    [post] = fake_discord.posted(GENERAL_ID)
    assert "Daily digest since" in post.text and "beta ships on Friday" in post.text and "status page" in post.text
    assert f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/" in str(post.json)  # buttons to the messages
    assert post.json["allowed_mentions"]["parse"] == [] and "@everyone" not in post.text


async def test_confab_run_posts_a_digest_missed_while_it_was_down(tmp_path: Any, fake_api: FakeSlackAPI) -> None:
    """``confab run`` (bot.app.run_platforms, role ``all``) starts the digest loop: a digest due while Confab was down
    is posted once at start."""
    import asyncio

    from agent.memory.models import StoredMessage
    from agent.storage import open_storage
    from agent.storage.digests import DigestSchedule
    from bot.app import run_platforms
    from tests.fakes.slack import slack_settings
    from tests.fakes.waiting import until

    settings = slack_settings(tmp_path, fake_api, "http")
    key, now = "slack:T0TEAM001:C0GENERAL", time.time()
    store = await open_storage(settings)
    try:
        await store.messages.add(StoredMessage(key, "1700000001.000100", "U0ALICE01", "alice",
                                               "We agreed: the beta ships on Friday.",
                                               datetime.fromtimestamp(now - 3600, UTC)))
        await digest_store(store).put(DigestSchedule(key, "daily", "09:00", None, "UTC", now - 1800, now - 7200,
                                                     "U0ADMIN01", now - 86_400))
    finally:
        await store.close()
    runner = asyncio.create_task(run_platforms(settings, ["slack"]))
    try:
        await until(lambda: fake_api.calls_to("chat.postMessage"), 30, "the digest")
        await asyncio.sleep(0.5)
        [post] = fake_api.calls_to("chat.postMessage")
        assert post.params["channel"] == "C0GENERAL" and "beta ships on Friday" in post.params["text"]
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)

"""Authors are looked up on Slack (users.info) once for a while, not once per message: concurrent messages of one
person share a lookup, and with Redis what one replica looked up serves the others."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from redis.asyncio import Redis
from slack_sdk.web.async_client import AsyncWebClient

from agent.state.profiles import MemoryProfiles, RedisProfiles
from bot.events import Author
from bot.slack.authors import SlackAuthors
from tests.fakes.slack import FakeSlackAPI, RecordingHandler, payload, post_event, settle
from tests.services import RedisTarget


def message_from(user: str, n: int) -> dict[str, Any]:
    return {**payload("message_channels"), "user": user, "ts": f"1700000400.{n:06d}", "client_msg_id": f"a{n}"}


async def test_replicas_share_the_authors_they_looked_up(start_slack: Any, fake_api: FakeSlackAPI,
                                                         redis_target: RedisTarget) -> None:
    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": True,
                                   "profile": {"display_name": "Alice A."}}
    shared = {"redis_url": redis_target.url, "redis_prefix": redis_target.prefix}
    handlers = [RecordingHandler(), RecordingHandler()]
    replicas = [await start_slack(handler, **shared) for handler in handlers]
    for n, replica in enumerate(replicas * 2):  # each replica gets two messages from Alice
        assert (await post_event(replica, message_from("U0ALICE01", n)))[0] == 200
        await settle(replica)
    assert len(fake_api.calls_to("users.info")) == 1
    authors = [m.author for h in handlers for m in h.messages]
    assert len(authors) == 4 and all(a.name == "Alice A." and a.is_admin for a in authors)


async def test_one_lookup_for_a_burst_of_one_person(fake_api: FakeSlackAPI) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=fake_api.base + "/api/")
    authors = SlackAuthors(lambda: client, MemoryProfiles())
    found = await asyncio.gather(*(authors.author(Author("U0BURST01", "U0BURST01")) for _ in range(10)))
    assert len(fake_api.calls_to("users.info")) == 1
    assert {a.name for a in found} == {"user-T01"}


async def test_an_unreachable_cache_falls_back_to_slack(fake_api: FakeSlackAPI, caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=fake_api.base + "/api/")
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens there
    authors = SlackAuthors(lambda: client, RedisProfiles(redis, "confab-test:gone:"))
    try:
        with caplog.at_level(logging.WARNING, logger="agent.state.profiles"):
            found = await authors.author(Author("U0CAROL01", "U0CAROL01"))
    finally:
        await redis.aclose()
    assert found.name == "user-L01" and len(fake_api.calls_to("users.info")) == 1
    assert "profile cache unreachable; looking it up instead" in caplog.messages


async def test_a_damaged_shared_profile_is_looked_up_again(fake_api: FakeSlackAPI, redis_target: RedisTarget
                                                           ) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=fake_api.base + "/api/")
    redis = Redis.from_url(redis_target.url)
    try:
        await redis.set(f"{redis_target.prefix}profile:slack:U0DAVE001", '{"id": "U0OTHER01", "name": "Mallory"}')
        authors = SlackAuthors(lambda: client, RedisProfiles(redis, redis_target.prefix))
        found = await authors.author(Author("U0DAVE001", "U0DAVE001"))
    finally:
        await redis.aclose()
    assert found.id == "U0DAVE001" and found.name == "user-001"
    assert len(fake_api.calls_to("users.info")) == 1


async def test_people_mentioned_by_id_are_remembered_and_quoted_by_name(slack_bot: Any, fake_api: FakeSlackAPI
                                                                        ) -> None:
    """Slack writes every mention as a bare id (``<@U0BOB0001>``): what Confab remembers, quotes back and finds in
    /recall names the person (``@bob``), in messages and in their edits."""
    from tests.fakes.slack import BOT_USER_ID, command_form, post_form
    from tests.fakes.slack_pane import channel

    fake_api.users["U0BOB0001"] = {"id": "U0BOB0001", "name": "bob", "profile": {"display_name": "bob"}}
    fake_api.channels = {"C0GENERAL": channel("C0GENERAL", "general", ["U0ALICE01", "U0BOB0001"])}
    adapter, pipeline = await slack_bot(None)
    said = {**message_from("U0ALICE01", 1), "text": "<@U0BOB0001> owns the deploy runbook, ask him",
            "ts": "1800000000.000100"}
    await post_event(adapter, said)
    edited = {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "hidden": True,
              "ts": "1800000000.000300", "event_ts": "1800000000.000300", "previous_message": said,
              "message": {**said, "text": "<@U0BOB0001> and <@U0CAROL01> own the release checklist",
                          "edited": {"user": "U0ALICE01", "ts": "1800000000.000300"}}}
    await post_event(adapter, {**message_from("U0ALICE01", 2), "text": "<@U0BOB0001> owns the deploy runbook too",
                               "ts": "1800000000.000200"})
    await settle(adapter)
    stored = await pipeline.deps.store.messages.get("slack:T0TEAM001:C0GENERAL", "1800000000.000200")
    assert stored is not None and stored.text == "@bob owns the deploy runbook too"
    await post_event(adapter, {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> who owns the deploy runbook?",
                               "ts": "1800000000.000400"})
    await settle(adapter)
    [answer] = fake_api.calls_to("chat.postMessage")
    assert "@bob owns the deploy runbook" in answer.params["text"] and "U0BOB0001" not in answer.params["text"]
    await post_form(adapter, command_form("/recall", "deploy runbook", fake_api.response_url()))
    await settle(adapter)
    [found] = fake_api.responses
    assert "@bob owns the deploy runbook" in found["text"] and "U0BOB0001" not in found["text"]
    await post_event(adapter, edited)
    await settle(adapter)
    stored = await pipeline.deps.store.messages.get("slack:T0TEAM001:C0GENERAL", "1800000000.000100")
    assert stored is not None and stored.text == "@bob and @user-L01 own the release checklist"


async def test_a_first_summary_from_the_channel_history_names_people(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """Slack's history carries user ids and no profiles: the first /summarize in a channel Confab just joined
    named everyone by id ("U0ALICE01: we need to cut the branch", "U0CAROL01 asks U0BOB0001 to …")."""
    import time

    from tests.fakes.slack import command_form, post_form

    for uid, name in (("U0ALICE01", "alice"), ("U0BOB0001", "bob"), ("U0CAROL01", "carol")):
        fake_api.users[uid] = {"id": uid, "name": name, "profile": {"display_name": name}}
    start = int(time.time()) - 600
    said = [("U0ALICE01", "we need to cut the release branch by thursday"), ("U0BOB0001", "I can cut it on wednesday"),
            ("U0CAROL01", "<@U0BOB0001> please also bump the version"), ("U0BOB0001", "sure, will do")]
    fake_api.history["C0GENERAL"] = [{"type": "message", "user": user, "text": text, "ts": f"{start + n}.000100"}
                                     for n, (user, text) in reversed(list(enumerate(said)))]
    adapter, _ = await slack_bot(None)
    await post_form(adapter, command_form("/summarize", "", fake_api.response_url()))
    await settle(adapter)
    [summary] = fake_api.responses
    assert "alice" in summary["text"] and "*bob*" in summary["text"] and "carol" in summary["text"], summary["text"]
    assert "U0" not in summary["text"].replace("/archives/C0GENERAL/", ""), summary["text"]
    assert len(fake_api.calls_to("users.info")) <= 4  # one per person (and the asker), not one per message

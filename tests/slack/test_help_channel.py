"""Help-channel mode on Slack, through signed events, the real AsyncApp and the fake Web API: the automatic answer
in the post's thread (marked), the helper group pinged as ``<!subteam^…>`` and nothing else pinged, and a
``reaction_added`` :x: that opts a post out or deletes the answer (chat.delete)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

from bot.pipeline.helpdesk import help_source
from tests.fakes.slack import FakeSlackAPI, command_form, payload, post_event, post_form, settle
from tests.fakes.waiting import until
from tests.services import RedisTarget

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge"
KEY = "slack:T0TEAM001:C0GENERAL"
PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)


def post(ts: str, text: str, user: str = "U0ALICE01") -> dict[str, Any]:
    return {**payload("message_channels"), "ts": ts, "event_ts": ts, "text": text, "user": user,
            "client_msg_id": f"id-{ts}"}


def reaction(ts: str, user: str = "U0ALICE01", name: str = "x") -> dict[str, Any]:
    """A ``reaction_added`` event as Slack documents it."""
    return {"type": "reaction_added", "user": user, "reaction": name, "item_user": "U0ALICE01",
            "item": {"type": "message", "channel": "C0GENERAL", "ts": ts}, "event_ts": "1700000999.000100"}


async def help_bot(slack_bot: Any, tmp_path: Path, **overrides: Any) -> tuple[Any, Any]:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    adapter, pipeline = await slack_bot(**{"help_grace_s": 0, **overrides})
    await pipeline.deps.knowledge.prepare()
    await pipeline.deps.store.channel_settings.set(KEY, "help_channel", "on")
    return adapter, pipeline


async def test_answer_in_thread_marked_then_hidden_by_the_askers_x(slack_bot: Any, fake_api: FakeSlackAPI,
                                                                   tmp_path: Path) -> None:
    adapter, pipeline = await help_bot(slack_bot, tmp_path)
    await post_event(adapter, post("1700000300.000100", "How long do you keep messages?"))
    await settle(adapter)
    [answer] = fake_api.calls_to("chat.postMessage")
    assert answer.params["thread_ts"] == "1700000300.000100"
    assert answer.params["text"].startswith("_Answered automatically from the docs.")
    assert "CONFAB_RETENTION_DAYS" in answer.params["text"] and not PING.search(answer.params["text"])
    await post_event(adapter, reaction("1700000300.000100", user="U0BOB0001"))  # someone else: kept
    await settle(adapter)
    assert fake_api.calls_to("chat.delete") == []
    answer_ts = (await pipeline.deps.store.replies.claim(help_source(KEY, "1700000300.000100"), KEY, 0.0))[1]
    assert answer_ts
    await post_event(adapter, reaction(answer_ts, name="x::skin-tone-2"))
    await settle(adapter)
    [deleted] = fake_api.calls_to("chat.delete")
    assert deleted.params["ts"] == answer_ts and deleted.params["channel"] == "C0GENERAL"


async def test_not_covered_pings_the_helper_group_and_nobody_else(slack_bot: Any, fake_api: FakeSlackAPI,
                                                                 tmp_path: Path) -> None:
    adapter, pipeline = await help_bot(slack_bot, tmp_path)
    await pipeline.deps.store.channel_settings.set(KEY, "help_group", "S0HELPERS")
    question = "Who won the football world cup in 1998? <!channel> <@U0ADMIN01>"
    await post_event(adapter, post("1700000400.000100", question))
    await post_event(adapter, post("1700000400.000100", question))  # Slack's retry: one message
    await settle(adapter)
    [note] = fake_api.calls_to("chat.postMessage")
    assert note.params["thread_ts"] == "1700000400.000100"
    text = note.params["text"]
    assert text.startswith("<!subteam^S0HELPERS> ") and "docs don't cover" in text
    assert not PING.search(text.removeprefix("<!subteam^S0HELPERS>"))  # the one ping, nothing else


async def test_an_x_on_the_post_during_the_grace_stops_the_answer(slack_bot: Any, fake_api: FakeSlackAPI,
                                                                tmp_path: Path) -> None:
    adapter, pipeline = await help_bot(slack_bot, tmp_path, help_grace_s=1.0)
    await post_event(adapter, post("1700000500.000100", "How long do you keep messages?"))
    await asyncio.sleep(0.2)
    await post_event(adapter, reaction("1700000500.000100", user="U0BOB0001"))
    await settle(adapter)
    assert fake_api.calls_to("chat.postMessage") == []
    assert await pipeline.deps.store.pending.get(KEY, "1700000500.000100") is None


async def test_scaled_mode_a_post_delivered_to_two_replicas_gets_one_answer(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI, tmp_path: Path) -> None:
    """An ingress stores the post with its ``answer`` job; the worker (role ``all``) answers it from the docs, once,
    however many replicas Slack delivered it to."""
    # (the services first: they outlive the replicas at teardown)
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    scaled = {"database_url": postgres_url, "redis_url": redis_target.url, "redis_prefix": redis_target.prefix,
              "help_grace_s": 0}
    ingress, _ = await slack_bot(role="ingress", **scaled)
    worker, pipeline = await slack_bot(role="all", **scaled)
    assert pipeline.jobs is not None
    await pipeline.deps.knowledge.prepare()
    await pipeline.deps.store.channel_settings.set(KEY, "help_channel", "on")
    event = post("1700000600.000100", "How long do you keep messages?")
    for adapter in (ingress, worker, ingress):
        assert (await post_event(adapter, event, event_id="Ev0HELP0001"))[0] == 200
    await until(lambda: fake_api.calls_to("chat.postMessage"), 60, "the automatic answer")
    await asyncio.sleep(0.5)  # a moment for any duplicate to show
    [answer] = fake_api.calls_to("chat.postMessage")
    assert answer.params["thread_ts"] == "1700000600.000100"
    assert answer.params["text"].startswith("_Answered automatically from the docs.")
    assert await pipeline.store.pending.owed() == []


async def test_admins_set_it_with_the_slash_command(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """Slack sends the command's text unescaped: ``@helpers`` names no group there, its ID does."""
    fake_api.users["U0ADMIN01"] = {"id": "U0ADMIN01", "name": "ada", "is_admin": True, "profile": {}}
    adapter, pipeline = await slack_bot()
    for text, user in (("settings help_channel on", "U0ALICE01"), ("settings help_channel on", "U0ADMIN01"),
                       ("settings help_group @helpers", "U0ADMIN01"), ("settings help_group S0HELPERS", "U0ADMIN01")):
        await post_form(adapter, command_form("/confab", text, fake_api.response_url(), user_id=user))
        await settle(adapter)
    refused, on, unknown, group = (r["text"] for r in fake_api.responses)
    assert "Only admins" in refused and "Help-channel mode is on" in on
    assert "Copy group ID" in unknown and "user group `S0HELPERS`" in group and "<!subteam" not in group
    settings = pipeline.deps.store.channel_settings
    assert await settings.get(KEY, "help_channel") == "on" and await settings.get(KEY, "help_group") == "S0HELPERS"

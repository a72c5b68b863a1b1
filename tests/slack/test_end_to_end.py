"""Slack end to end: signed HTTP events -> real AsyncApp -> real Pipeline (bot.app.build_app) with a
scripted chat model -> replies recorded by the fake Slack Web API."""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import BOT_USER_ID, FakeSlackAPI, command_form, payload, post_event, post_form, settle
from tests.fakes.waiting import until
from tests.stored_rows import table_rows

PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)
HOSTILE = "<!channel> hey @here <@U123> and <!everyone> <!subteam^S1|@devs> <#C999>"


async def test_hostile_model_output_never_pings_anyone(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage(HOSTILE)]))
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [reply] = fake_api.calls_to("chat.postMessage")
    assert reply.params["thread_ts"] == "1700000100.000200"  # answered in a thread on the mention
    assert "hey" in reply.params["text"]
    assert not PING.search(reply.params["text"]), reply.params["text"]
    assert reply.params["unfurl_links"] is False


async def test_four_deliveries_one_reply_and_the_dedupe_is_persisted(slack_bot: Any, fake_api: FakeSlackAPI
                                                                   ) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("first"), AIMessage("second")]))
    for attempt in range(4):
        headers = {"X-Slack-Retry-Num": str(attempt)} if attempt else {}
        assert (await post_event(adapter, payload("app_mention"), event_id="Ev0DUP00001", headers=headers))[0] == 200
    await settle(adapter)
    assert [c.params["text"] for c in fake_api.calls_to("chat.postMessage")] == ["first"]
    # the message's own row is the persisted dedupe (written with the answer owed, before Slack was acked)
    rows = await table_rows(pipeline.deps, "SELECT id FROM messages WHERE channel_key = ? AND is_bot = 0",
                            ("slack:T0TEAM001:C0GENERAL",))
    assert rows == [(payload("app_mention")["ts"],)]


async def test_mention_seen_as_app_mention_and_as_message_is_answered_once(slack_bot: Any, fake_api: FakeSlackAPI
                                                                            ) -> None:
    """Slack sends both events for one @mention in a channel the app reads; they are one message."""
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("one"), AIMessage("two")]))
    mention = payload("app_mention")
    as_message = {**mention, "type": "message", "channel_type": "channel"}
    await post_event(adapter, as_message)
    await post_event(adapter, mention)
    await settle(adapter)
    assert [c.params["text"] for c in fake_api.calls_to("chat.postMessage")] == ["one"]


async def test_followed_thread_dm_edit_and_delete(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    model = ScriptedModel(steps=[AIMessage("staging answer"), AIMessage("production answer"), AIMessage("dm answer")])
    adapter, pipeline = await slack_bot(model)
    memory = pipeline.deps.store
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    await post_event(adapter, payload("message_thread_reply"))  # no mention, but the bot follows the thread
    await settle(adapter)
    await post_event(adapter, payload("message_im"))
    await settle(adapter)
    posts = fake_api.calls_to("chat.postMessage")
    assert [p.params["text"] for p in posts] == ["staging answer", "production answer", "dm answer"]
    assert posts[1].params["thread_ts"] == "1700000100.000200" and "thread_ts" not in posts[2].params
    await post_event(adapter, payload("message_channels"))
    await post_event(adapter, payload("message_changed"))
    await settle(adapter)
    stored = await memory.messages.get("slack:T0TEAM001:C0GENERAL", "1700000200.000300")
    assert stored is not None and stored.text == "Hello world, edited"
    await post_event(adapter, payload("message_deleted"))
    await settle(adapter)
    gone = await memory.messages.get("slack:T0TEAM001:C0GENERAL", "1700000200.000300")
    assert gone is None or gone.deleted
    assert len(fake_api.calls_to("chat.postMessage")) == 3  # plain channel chatter is remembered, not answered


async def test_ask_and_confab_commands(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("Deploy with `make deploy` <!here>")]))
    status, text = await post_form(adapter, command_form("/ask", "how do I deploy?", fake_api.response_url()))
    assert status == 200 and text == ""
    await settle(adapter)
    [post] = fake_api.calls_to("chat.postMessage")
    assert post.params["text"].startswith("> how do I deploy?")
    assert "`make deploy`" in post.params["text"] and not PING.search(post.params["text"])
    await post_form(adapter, command_form("/confab", "help", fake_api.response_url()))
    await settle(adapter)
    [help_reply] = fake_api.responses
    assert help_reply["response_type"] == "ephemeral" and "/ask" in help_reply["text"]


async def test_slow_answer_shows_progress_then_replaces_it(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """Where the thread status can't be set (here the app lacks the scope), the note shows progress."""
    model = ScriptedModel(steps=[AIMessage("the long answer")], delay_s=0.5)
    adapter, _ = await slack_bot(model, progress_after_s=0.05)
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [placeholder] = fake_api.calls_to("chat.postMessage")
    [update] = fake_api.calls_to("chat.update")
    assert "Working on it" in placeholder.params["text"]
    assert update.params["text"] == "the long answer" and update.params["ts"].startswith("17")
    assert fake_api.calls_to("chat.delete") == []


async def test_refused_update_posts_the_answer_and_removes_the_note(slack_bot: Any, fake_api: FakeSlackAPI
                                                                     ) -> None:
    model = ScriptedModel(steps=[AIMessage("answer")], delay_s=0.3)
    adapter, _ = await slack_bot(model, progress_after_s=0.05)
    fake_api.errors["chat.update"] = "cant_update_message"
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    note, answer = fake_api.calls_to("chat.postMessage")
    assert note.params["text"].startswith("_⏳") and answer.params["text"] == "answer"
    [delete] = fake_api.calls_to("chat.delete")
    assert delete.params["ts"].startswith("17")


async def test_progress_note_is_removed_when_no_answer_comes(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    import asyncio

    class SlowFlagger:
        async def screen(self, message: Any, adapter: Any, read: Any = None) -> bool:
            await asyncio.sleep(0.3)  # slow on purpose: longer than progress_after_s, so a note shows
            return True  # flagged: never reaches the agent

        async def rescreen_edit(self, edit: Any, adapter: Any) -> None:
            return None

    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("never said")]), progress_after_s=0.05)
    pipeline.moderator = SlowFlagger()
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [note] = fake_api.calls_to("chat.postMessage")
    [delete] = fake_api.calls_to("chat.delete")
    assert "Working on it" in note.params["text"] and delete.params["channel"] == "C0GENERAL"


@pytest.mark.slow
async def test_channel_text_full_of_mentions_is_summarized_without_pinging(slack_bot: Any, fake_api: FakeSlackAPI
                                                                           ) -> None:
    """The offline summarizer quotes what people wrote; what they wrote must not become a broadcast."""
    adapter, _ = await slack_bot(ScriptedModel(steps=[]))
    lines = ["<!channel> the deploy freeze starts on Friday at noon", "please ping <@U0BOSS001> about the freeze",
             "@here standup moves to 10:30 because of the freeze", "<!subteam^S0ONCALL|@oncall> owns the freeze",
             "the release notes for the freeze are in <#C0DOCS001|docs>"]
    for i, text in enumerate(lines):
        event = {**payload("message_channels"), "text": text, "ts": f"17000010{i:02d}.000100",
                 "user": f"U0PERSON{i}"}
        await post_event(adapter, event)
    await settle(adapter)
    await post_form(adapter, command_form("/summarize", "public", fake_api.response_url()))
    await settle(adapter)
    texts = [c.params["text"] for c in fake_api.calls_to("chat.postMessage")]
    assert texts and "freeze" in " ".join(texts).lower()
    for text in texts:
        assert not PING.search(text), text


@pytest.mark.slow
async def test_brainstorm_opens_a_followed_thread(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    await post_form(adapter, command_form("/brainstorm", "ways to cut CI time", fake_api.response_url()))
    await settle(adapter)
    opening, seeds = fake_api.calls_to("chat.postMessage")
    assert "Brainstorm" in opening.params["text"] and "thread_ts" not in opening.params
    root = seeds.params["thread_ts"]
    assert root.startswith("17") and seeds.params["text"].strip()
    followed = await pipeline.deps.store.threads.followed("slack:T0TEAM001:C0GENERAL", root)
    assert followed is not None and followed[0] == "brainstorm"
    reply = {**payload("message_thread_reply"), "text": "cache the docker layers", "thread_ts": root,
             "ts": "1800000000.000100"}
    await post_event(adapter, reply)
    await settle(adapter)
    stored = await pipeline.deps.store.messages.get("slack:T0TEAM001:C0GENERAL", "1800000000.000100")
    assert stored is not None and stored.thread == root
    # Slack takes no slash commands in threads: a mention carries the command there
    wrap = {**payload("message_thread_reply"), "text": f"<@{BOT_USER_ID}> /brainstorm wrap", "thread_ts": root,
            "ts": "1800000000.000200"}
    await post_event(adapter, wrap)
    await settle(adapter)
    wrapped = fake_api.calls_to("chat.postMessage")[-1].params
    assert wrapped["thread_ts"] == root and "wrap-up" in wrapped["text"] and "docker layers" in wrapped["text"]
    summarize = {**wrap, "text": f"<@{BOT_USER_ID}> /summarize", "ts": "1800000000.000300"}
    await post_event(adapter, summarize)
    await settle(adapter)
    [private] = fake_api.calls_to("chat.postEphemeral")  # only the asker sees it, as with the slash command
    assert private.params["thread_ts"] == root and "docker layers" in private.params["text"]


async def test_confab_settings_need_a_slack_admin(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.users["U0ADMIN01"] = {"id": "U0ADMIN01", "name": "ada", "is_admin": True, "profile": {}}
    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": False, "profile": {}}
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    await post_form(adapter, command_form("/confab", "settings spam_policy off", fake_api.response_url()))
    await post_form(adapter, command_form("/confab", "settings spam_policy delete", fake_api.response_url(),
                                          user_id="U0ADMIN01"))
    await settle(adapter)
    refused, accepted = fake_api.responses
    assert "Only admins" in refused["text"] and "Set `spam_policy`" in accepted["text"]
    assert await pipeline.deps.store.channel_settings.get("slack:T0TEAM001:C0GENERAL", "spam_policy") == "delete"


async def test_socket_mode_end_to_end(slack_bot: Any, fake_api: FakeSlackAPI, fake_socket: Any) -> None:
    from tests.fakes.slack import event_body

    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage(HOSTILE)]), mode="socket")
    await fake_socket.connected.wait()
    await fake_socket.wait_ack(await fake_socket.push("events_api", event_body(payload("message_im"))))
    await settle(adapter)
    [reply] = fake_api.calls_to("chat.postMessage")
    assert reply.params["channel"] == "D0DMALICE" and "hey" in reply.params["text"]
    assert not PING.search(reply.params["text"])


async def test_confab_run_wiring_starts_slack(tmp_path: Path, fake_api: FakeSlackAPI) -> None:
    """``confab run --platform slack`` goes through bot.app.run_platforms -> SlackAdapter on the pipeline."""
    import asyncio

    import aiohttp

    from bot.app import run_platforms
    from tests.fakes.slack import post_event as post_to
    from tests.fakes.slack import slack_settings

    settings = slack_settings(tmp_path, fake_api, "http")
    runner = asyncio.create_task(run_platforms(settings, ["slack"]))
    url = f"http://127.0.0.1:{settings.slack_http_port}/slack/events"
    async def serving() -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(url) as resp:
                return bool(resp.status)
        except aiohttp.ClientConnectionError:
            return False

    try:
        await until(serving, 20, "the HTTP endpoint to come up")

        class Port:
            http_port = settings.slack_http_port

        assert gc.get_freeze_count() > 0  # startup's objects are out of the collector's full passes
        assert (await post_to(Port(), payload("message_im")))[0] == 200
        await until(lambda: fake_api.calls_to("chat.postMessage"), 20, "the answer")  # another process's task
        [reply] = fake_api.calls_to("chat.postMessage")
        assert reply.params["channel"] == "D0DMALICE" and reply.params["text"]
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


@pytest.mark.slow
async def test_summarize_thread_shortcut_answers_privately(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("staging is deployed with make deploy")]))
    await post_event(adapter, payload("app_mention"))
    for i, text in enumerate(["production needs a change ticket first", "and the on-call must approve it",
                              "the ticket template lives in the wiki"]):
        reply = {**payload("message_thread_reply"), "text": text, "ts": f"17000003{i:02d}.000500"}
        await post_event(adapter, reply)
    await settle(adapter)
    shortcut = {**payload("message_shortcut"), "response_url": fake_api.response_url()}
    await post_form(adapter, {"payload": json.dumps(shortcut)})
    await settle(adapter)
    [summary] = fake_api.responses
    assert summary["response_type"] == "ephemeral" and "ticket" in summary["text"]
    assert fake_api.calls_to("conversations.replies")[0].params["ts"] == "1700000100.000200"


async def test_spam_flag_actions_reach_slack(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """What a moderator does with the adapter on Slack: a flag reaction and a note in the mods' channel."""
    from bot.events import ChannelRef, Reply

    class Flagger:  # stands in for bot.moderation.Moderator: same calls, trivial judgement
        async def screen(self, message: Any, adapter: Any, read: Any = None) -> bool:
            if "FREE CRYPTO" not in message.text:
                return False
            await adapter.react(message.channel, message.id, "🚩")
            mods = ChannelRef("slack", message.channel.workspace, "C0MODS001")
            await adapter.send(Reply(mods, f"Flagged a message by {message.author.name}: {message.text} <!here>"))
            return True

        async def rescreen_edit(self, edit: Any, adapter: Any) -> None:
            return None

    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("never")]))
    pipeline.moderator = Flagger()
    spam = {**payload("app_mention"), "text": "<@UBOT00001> FREE CRYPTO at <https://scam.example|here> <!channel>"}
    await post_event(adapter, spam)
    await settle(adapter)
    [reaction] = fake_api.calls_to("reactions.add")
    assert reaction.params == {"channel": "C0GENERAL", "timestamp": "1700000100.000200",
                               "name": "triangular_flag_on_post"}
    [note] = fake_api.calls_to("chat.postMessage")
    assert note.params["channel"] == "C0MODS001" and not PING.search(note.params["text"])


async def test_the_real_moderator_flags_phishing_on_slack(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("never")]))
    channel = payload("message_channels")
    await pipeline.deps.store.channel_settings.set(f"slack:{channel['team']}:{channel['channel']}", "mod_channel",
                                               "C0MODS001")
    spam = {**channel, "text": "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc <!here>"}
    await post_event(adapter, spam)
    await settle(adapter)
    [reaction] = fake_api.calls_to("reactions.add")
    assert reaction.params["timestamp"] == channel["ts"] and reaction.params["name"] == "triangular_flag_on_post"
    [note] = fake_api.calls_to("chat.postMessage")
    assert note.params["channel"] == "C0MODS001" and "phishing domain" in note.params["text"]
    assert not PING.search(note.params["text"])


async def test_a_summary_of_a_channel_asked_for_in_a_dm_says_where_to_ask(slack_bot: Any,
                                                                          fake_api: FakeSlackAPI) -> None:
    """"what did I miss in #general?" in a DM summarized the DM ("nothing to summarize here"): Confab had not read
    its list of conversations yet, so it could not tell that this was no #general."""
    from tests.fakes.slack_pane import channel, im

    fake_api.channels.update({"C0GENERAL": channel("C0GENERAL", "general", ["U0ALICE01"]),
                              "D0DMALICE": im("D0DMALICE", "U0ALICE01")})
    adapter, _ = await slack_bot()
    await post_event(adapter, {**payload("message_channels"), "text": "the deploy is done", "ts": "1700000300.000100"})
    await post_event(adapter, {**payload("message_im"), "text": "what did I miss in #general?"})
    await settle(adapter)
    [reply] = [c for c in fake_api.calls_to("chat.postMessage") if c.params["channel"] == "D0DMALICE"]
    assert "so not #general from here: run `/summarize` in #general" in reply.params["text"], reply.params["text"]
    # asked in #general itself, the channel is summarized
    await post_event(adapter, {**payload("message_channels"), "text": f"<@{BOT_USER_ID}> summarize #general",
                               "ts": "1700000500.000100", "client_msg_id": "x5"})
    await settle(adapter)
    [summary] = [c for c in fake_api.calls_to("chat.postMessage") if c.params["channel"] == "C0GENERAL"]
    assert "Summary of this channel" in summary.params["text"] and "deploy is done" in summary.params["text"]


async def test_a_brainstorm_asked_for_in_a_mention_is_held_in_its_thread(slack_bot: Any,
                                                                         fake_api: FakeSlackAPI) -> None:
    """"@confab brainstorm names for the dashboard" opened the brainstorm as a new top-level post, while people
    answered in the mention's thread, where Confab had replied: their ideas were never counted and "@confab
    brainstorm wrap" there said "This isn't a brainstorm thread"."""
    adapter, pipeline = await slack_bot()
    mention = {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> brainstorm names for the dashboard"}
    await post_event(adapter, mention)
    await settle(adapter)
    [opened] = [c for c in fake_api.calls_to("chat.postMessage") if "Brainstorm: names" in c.params["text"]]
    assert opened.params["thread_ts"] == mention["ts"]
    followed = await pipeline.deps.store.threads.followed(f"slack:T0TEAM001:{mention['channel']}", mention["ts"])
    assert followed is not None and followed[0] == "brainstorm"

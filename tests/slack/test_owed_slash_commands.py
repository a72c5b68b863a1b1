"""Slash commands are recorded with their response URL before Slack gets its acknowledgement and settled
once answered; after a restart, an owed one is answered through that URL while it lasts, else let go."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage

from agent.storage.ports import PendingCommand
from bot import messages as say
from bot.events import Author, ChannelRef, Command
from bot.pipeline.owed_commands import command_to_json
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import TEAM_ID, FakeSlackAPI, command_form, post_form, settle

HERE = ChannelRef("slack", TEAM_ID, "C0GENERAL")


async def _owe(pipeline: Any, url: str, age_s: float, name: str = "ask", args: str = "how do I deploy?") -> None:
    command = Command(name, args, HERE, Author("U0ALICE01", "alice"), id=f"trigger-{age_s}")
    assert await pipeline.deps.store.pending_commands.owe(
        PendingCommand(HERE.key, str(command.id), command_to_json(command), url, time.time() - age_s))


async def test_a_command_is_recorded_before_its_acknowledgement_and_settled_when_answered(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("Use `make deploy`.")], delay_s=0.3))
    url = fake_api.response_url()
    status, _ = await post_form(adapter, command_form("/ask", "how do I deploy?", url))
    assert status == 200
    [owed] = await pipeline.deps.store.pending_commands.owed()  # already there when Slack got its 200
    assert owed.route == url and owed.channel_key == HERE.key and '"how do I deploy?"' in owed.payload
    await settle(adapter)
    [answer] = fake_api.calls_to("chat.postMessage")
    assert "make deploy" in answer.params["text"]
    assert await pipeline.deps.store.pending_commands.owed() == []


async def test_an_owed_command_is_answered_after_a_restart_through_its_response_url(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    await _owe(pipeline, fake_api.response_url(), age_s=60, name="help", args="")
    assert await pipeline.resume() == 1
    await settle(adapter)
    [answer] = fake_api.responses  # help is private: through the response URL
    assert answer["response_type"] == "ephemeral" and "/ask" in answer["text"]
    assert await pipeline.deps.store.pending_commands.owed() == []
    assert await pipeline.resume() == 0


async def test_an_owed_command_too_old_to_run_gets_one_note_while_its_url_lasts(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    model = ScriptedModel(steps=[])
    adapter, pipeline = await slack_bot(model)  # CONFAB_RESUME_MAX_AGE_S is 900 s
    await _owe(pipeline, fake_api.response_url(), age_s=20 * 60)  # the URL lasts 10 minutes more
    await _owe(pipeline, fake_api.response_url(), age_s=31 * 60)  # expired: nothing is sent
    assert await pipeline.resume() == 0
    await settle(adapter)
    assert fake_api.responses == [{"text": say.STOPPED_BEFORE_ANSWER, "response_type": "ephemeral"}]
    assert not model.seen and not fake_api.calls_to("chat.postMessage")
    assert await pipeline.deps.store.pending_commands.owed() == []

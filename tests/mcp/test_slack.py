"""On Slack, through the real slack-bolt AsyncApp with signed HTTP requests and the fake Web API: the confirmation
request reaches the thread without pings; ``/confab confirm`` is refused for a member and runs the call once
for a workspace admin, its output posted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from tests.fakes.scripted_model import ScriptedModel, tool_call
from tests.fakes.slack import FakeSlackAPI, command_form, payload, post_event, post_form, settle, slack_settings
from tests.mcp.conftest import ToolServer
from tests.slack.conftest import fake_api

__all__ = ["fake_api"]

PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)


async def test_an_admin_confirms_on_slack(tmp_path: Path, bot_factory: Any, fake_api: FakeSlackAPI,
                                          tool_server: ToolServer) -> None:
    from bot.slack.adapter import SlackAdapter

    fake_api.users["U0ADMIN01"] = {"id": "U0ADMIN01", "name": "ada", "is_admin": True, "profile": {}}
    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": False, "profile": {}}
    create = tool_call("tickets_create_ticket", {"title": "<!channel> printer", "priority": "high"})
    settings = slack_settings(tmp_path, fake_api, "http", model="openai:gpt-4.1-mini",
                              mcp_servers=tool_server.write(), stream_answers=False)
    adapter = SlackAdapter(settings, http_host="127.0.0.1", progress_after_s=None)
    await bot_factory(ScriptedModel(steps=[AIMessage("", tool_calls=[create]), AIMessage("Asked.")]),
                      settings=settings, adapter=adapter)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [request] = fake_api.calls_to("chat.postMessage")
    text = request.params["text"]
    assert not PING.search(text), text
    found = re.search(r"/confab confirm ([A-Z0-9]{6})", text)
    assert found, text
    assert tool_server.calls() == []

    await post_form(adapter, command_form("/confab", f"confirm {found.group(1)}", fake_api.response_url(),
                                          user_id="U0ALICE01"))
    await settle(adapter)
    assert "Only admins" in fake_api.responses[-1]["text"] and tool_server.calls() == []
    await post_form(adapter, command_form("/confab", f"confirm {found.group(1)}", fake_api.response_url(),
                                          user_id="U0ADMIN01"))
    await settle(adapter)
    done = [*fake_api.responses, *(c.params for c in fake_api.calls_to("chat.postMessage"))]
    [ran] = [d["text"] for d in done if "Created ticket T-100" in d["text"]]  # posted for the channel to see
    assert "ran" in ran and not PING.search(ran)
    assert len(tool_server.calls("create_ticket")) == 1

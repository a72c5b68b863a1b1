"""Tool servers on the configured-LLM path: ``init_chat_model`` -> ``langchain-openai`` -> the ``openai`` SDK over
HTTP to the loopback fake OpenAI server, with the loopback MCP server behind the tools. The model is offered the
allowed tools with the server's own JSON schema, and what it reads back is the delimited output."""

from __future__ import annotations

from typing import Any

from tests.fakes.harness import open_bot
from tests.fakes.openai_server import FakeOpenAI, call, text_reply, tool_reply
from tests.mcp.conftest import ToolServer

COMPLETIONS = "/v1/chat/completions"


async def test_the_model_sees_the_servers_schema_and_reads_the_output_as_data(
        tmp_path: Any, fake_openai: FakeOpenAI, tool_server: ToolServer) -> None:
    fake_openai.chat.append(tool_reply(call("tickets_lookup_ticket", {"ticket_id": "T-42"})))
    fake_openai.chat.append(text_reply("T-42: out of toner, open."))
    async with open_bot(tmp_path, model="openai:gpt-4.1-mini", openai_base_url=fake_openai.base_url,
                        openai_api_key="sk-test-secret", mcp_servers=tool_server.write(), moderator=None) as bot:
        assert await bot.say("@confab what about ticket T-42?") == "T-42: out of toner, open."
    first, second = (r.json for r in fake_openai.requests_to(COMPLETIONS) if "tools" in r.json)
    offered = {t["function"]["name"]: t["function"] for t in first["tools"]}
    lookup = offered["tickets_lookup_ticket"]
    assert lookup["parameters"]["required"] == ["ticket_id"]
    assert lookup["parameters"]["properties"]["ticket_id"]["type"] == "string"
    assert lookup["description"].startswith("(tool server `tickets`) Look up a support ticket")
    assert "admin to confirm" in offered["tickets_create_ticket"]["description"]
    assert "tickets_delete_everything" not in offered and "search_knowledge" in offered
    [result] = [m for m in second["messages"] if m["role"] == "tool"]
    assert '<tool_result server="tickets" tool="lookup_ticket">' in result["content"]
    assert [c["args"] for c in tool_server.calls()] == [{"ticket_id": "T-42"}]

"""The configured-LLM path end to end: the real pipeline, agent loop, ``init_chat_model`` ->
``langchain-openai`` -> ``openai`` SDK over HTTP to the loopback fake OpenAI server."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ModelGarbage, ModelTimeout, ModelUnavailable
from tests.fakes.harness import Bot, Chat, open_bot
from tests.fakes.openai_server import FakeOpenAI, call, error_reply, garbage_reply, text_reply, tool_reply

COMPLETIONS = "/v1/chat/completions"


def llm_chat(tmp_path: Path, base_url: str, **overrides: Any) -> AbstractAsyncContextManager[Bot]:
    return open_bot(tmp_path, model="openai:gpt-4.1-mini", openai_base_url=base_url,
                    openai_api_key="sk-test-secret", **overrides)


@pytest.fixture
async def bot(tmp_path: Path, fake_openai: FakeOpenAI) -> AsyncIterator[Chat]:
    async with llm_chat(tmp_path, fake_openai.base_url) as chat:
        yield chat


def answer_tools_own_calls(fake: FakeOpenAI, text: str) -> None:
    """Tools such as the summarizer call the model themselves (without tools): answer those apart."""
    fake.responders.append(lambda body: text_reply(text) if "tools" not in body else None)


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


async def test_a_tool_call_round_trip(bot: Chat, fake_openai: FakeOpenAI) -> None:
    await bot.say("we decided to ship the beta on friday", user="alice")
    await bot.say("bob owns the release notes", user="carol")
    answer_tools_own_calls(fake_openai, "- Decided: the beta ships on Friday (alice)")
    fake_openai.chat.append(tool_reply(call("summarize_conversation", {"scope": ""})))
    fake_openai.chat.append(text_reply("Beta ships Friday; Bob writes the notes."))

    assert await bot.say("@confab what did we decide?", user="dave") == "Beta ships Friday; Bob writes the notes."

    first, second = (r.json for r in fake_openai.requests_to(COMPLETIONS) if "tools" in r.json)
    assert first["model"] == "gpt-4.1-mini"
    assert "summarize_conversation" in {t["function"]["name"] for t in first["tools"]}
    system = first["messages"][0]
    assert system["role"] == "system" and "DATA" in system["content"]
    # the channel's own messages reach the model as delimited data, the question last
    assert any("ship the beta on friday" in str(m["content"]) for m in first["messages"][:-1])
    assert "what did we decide?" in first["messages"][-1]["content"]
    # the tool ran for real and its result went back, tied to the call
    [result] = tool_messages(second)
    assert result["tool_call_id"] == second["messages"][-2]["tool_calls"][0]["id"]
    assert "friday" in result["content"].lower()
    auth = fake_openai.requests_to(COMPLETIONS)[0].headers
    assert auth.get("Authorization") == "<redacted>"


async def test_parallel_tool_calls_all_answered(bot: Chat, fake_openai: FakeOpenAI) -> None:
    await bot.say("ideas for the offsite: a hike, a cooking class", user="alice")
    answer_tools_own_calls(fake_openai, "- a hike\n- a cooking class")
    fake_openai.chat.append(tool_reply(call("summarize_conversation", {"scope": "today"}),
                                       call("brainstorm_ideas", {"topic": "team offsite"})))
    fake_openai.chat.append(text_reply("Here is a summary and some ideas."))
    assert await bot.say("@confab summarize and suggest offsite ideas") == "Here is a summary and some ideas."
    second = [r.json for r in fake_openai.requests_to(COMPLETIONS) if "tools" in r.json][1]
    asked = {c["id"] for c in second["messages"][-3]["tool_calls"]}
    answered = {m["tool_call_id"] for m in tool_messages(second)}
    assert len(asked) == 2 and answered == asked


async def test_streaming_tool_calls_and_usage_parse(fake_openai: FakeOpenAI) -> None:
    from langchain.chat_models import init_chat_model

    model = init_chat_model("gpt-4.1-mini", model_provider="openai", base_url=fake_openai.base_url,
                            api_key="sk-test", stream_usage=True)
    fake_openai.chat.append(tool_reply(call("search_knowledge", {"query": "how to deploy", "k": 3})))
    merged: Any = None
    async for chunk in model.astream("how do I deploy?"):
        merged = chunk if merged is None else merged + chunk
    assert merged.tool_calls[0]["name"] == "search_knowledge"
    assert merged.tool_calls[0]["args"] == {"query": "how to deploy", "k": 3}
    assert merged.usage_metadata["total_tokens"] > 0
    assert fake_openai.requests_to(COMPLETIONS)[0].json["stream"] is True


async def test_openai_embeddings_through_the_sdk(fake_openai: FakeOpenAI) -> None:
    from agent.embeddings import OpenAIEmbedder

    embedder = await asyncio.to_thread(OpenAIEmbedder, "text-embedding-3-small", "sk-test", fake_openai.base_url)
    vectors = await embedder.aembed(["deploy with docker", "deploy with docker compose", "lunch menu"])
    assert vectors.shape == (3, fake_openai.embedding_dim) and embedder.dim == fake_openai.embedding_dim
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


async def test_malformed_tool_call_is_a_clear_reply(bot: Chat, fake_openai: FakeOpenAI,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    fake_openai.chat.append(tool_reply(call("summarize_conversation", '{"scope": "today"')))
    with caplog.at_level(logging.WARNING):
        reply = await bot.say("@confab summarize please")
    assert reply == ModelGarbage.user_message
    assert any("invalid tool calls" in r.getMessage() or "invalid tool calls" in str(r.__dict__)
               for r in caplog.records)
    # stored, and the next turn works
    stored = await bot.pipeline.deps.store.messages.recent("test:T1:general")
    assert any(m.text == "@confab summarize please" for m in stored)
    fake_openai.chat.append(text_reply("Back to normal."))
    assert await bot.say("@confab hello again") == "Back to normal."


async def test_garbage_and_server_errors_are_clear_replies(bot: Chat, fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.append(garbage_reply())
    assert await bot.say("@confab hi") in (ModelGarbage.user_message, ModelUnavailable.user_message)
    fake_openai.chat.extend([error_reply(500, "boom", "server_error", "server_error")] * 2)
    assert await bot.say("@confab hi again") == ModelUnavailable.user_message
    fake_openai.chat.append(error_reply(401, "Incorrect API key provided", "invalid_api_key"))
    reply = await bot.say("@confab and again")
    assert reply == ModelUnavailable.user_message and "sk-test-secret" not in reply


async def test_a_slow_model_times_out_with_a_clear_reply(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.extend([text_reply("too late", delay_s=2.0)] * 2)
    async with llm_chat(tmp_path, fake_openai.base_url, agent_model_timeout_s=0.3) as chat:
        assert await chat.say("@confab are you there?") == ModelTimeout.user_message
        assert await chat.deps.store.messages.count() >= 1


async def test_a_model_endpoint_that_is_down(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with llm_chat(tmp_path, f"http://127.0.0.1:{port}/v1") as chat:
        assert await chat.say("@confab hello?") == ModelUnavailable.user_message


async def test_hostile_model_output_pings_nobody(bot: Chat, fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.append(text_reply("@everyone @here <!channel> <@U123> <@&456> free nitro"))
    reply = await bot.say("@confab say something")
    for ping in ("@everyone", "@here", "<!channel>", "<@U123>", "<@&456>"):
        assert ping not in reply
    assert "free nitro" in reply


async def test_secrets_never_reach_the_logs(bot: Chat, fake_openai: FakeOpenAI,
                                            caplog: pytest.LogCaptureFixture) -> None:
    fake_openai.chat.append(error_reply(401, "Incorrect API key provided: sk-test-secret", "invalid_api_key"))
    with caplog.at_level(logging.DEBUG):
        await bot.say("@confab hi")
    assert "sk-test-secret" not in caplog.text
    assert "sk-test-secret" not in repr(bot.pipeline.deps.settings)
    assert json.dumps(fake_openai.requests[0].headers).count("sk-test-secret") == 0


def test_secrets_in_exception_text_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    from bot.logs import register_secrets

    register_secrets(["xoxb-very-secret-token"])
    log = logging.getLogger("confab.test")
    with caplog.at_level(logging.INFO):
        try:
            raise RuntimeError("auth failed for xoxb-very-secret-token")
        except RuntimeError:
            log.exception("call failed with %s", "xoxb-very-secret-token")
    assert "xoxb-very-secret-token" not in caplog.text and "[secret]" in caplog.text

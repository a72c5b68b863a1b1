"""The edges of the Slack HTTP endpoint, against the real AsyncApp: a bad signature is logged as a
bounded, escaped summary (never the body), a non-numeric timestamp is a 401, and signed payloads
with wrongly typed fields get 400 (or are ignored), never a 500, while the endpoint keeps serving."""

from __future__ import annotations

import copy
import json
import logging
import random
import time
import urllib.parse
from typing import Any

import aiohttp
import pytest

from bot.logs import KeyValueFormatter
from tests.fakes.slack import (
    SECRET,
    FakeSlackAPI,
    RecordingHandler,
    command_form,
    event_body,
    payload,
    post,
    post_event,
    settle,
)

FORMAT = KeyValueFormatter("%(levelname)s %(name)s: %(message)s")


def formatted(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [FORMAT.format(record) for record in caplog.records]


async def raw_post(adapter: Any, body: bytes, headers: dict[str, str]) -> int:
    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as resp:
        return resp.status


async def test_a_bad_signature_logs_a_bounded_escaped_summary_not_the_body(start_slack: Any,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    forged = "\n2026-11-29 12:00:00 INFO bot.pipeline: admin granted to mallory\n"
    body = json.dumps(event_body(payload("app_mention"))) + " " + (forged + "x" * 1000) * 900  # ~0.95 MB
    caplog.set_level(logging.INFO)
    status, _ = await post(adapter, body, "application/json", secret="not-the-secret")
    assert status == 401
    lines = formatted(caplog)
    rejected = [line for line in lines if "bad signature" in line]
    assert len(rejected) == 1 and "bytes=" in rejected[0]
    assert all("\n" not in line and len(line) < 1000 for line in lines)
    assert not any(line.startswith("2026-11-29") or "Invalid request signature" in line for line in lines)
    await settle(adapter)
    assert handler.messages == []


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", " 1700000000", "١٢٣"])
async def test_a_non_numeric_timestamp_is_401_not_500(start_slack: Any, timestamp: str) -> None:
    adapter = await start_slack(RecordingHandler())
    body = json.dumps(event_body(payload("app_mention"))).encode()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": "v0=" + "0" * 64}
    assert await raw_post(adapter, body, headers) == 401


async def test_a_body_that_is_not_utf8_is_400(start_slack: Any) -> None:
    adapter = await start_slack(RecordingHandler())
    status = await raw_post(adapter, b'{"type": "\xff\xfe"}', {"Content-Type": "application/json",
                                                               "X-Slack-Request-Timestamp": str(int(time.time())),
                                                               "X-Slack-Signature": "v0=00"})
    assert status == 400


@pytest.mark.parametrize("body", [
    {"event": "x"}, {"event": 5}, {"event": None}, {"event": [1, 2]},
    {"authorizations": "x"}, {"authorizations": [5]},
])
async def test_signed_events_with_a_wrongly_typed_envelope_are_400(start_slack: Any, body: dict[str, Any]) -> None:
    adapter = await start_slack(RecordingHandler())
    status, _ = await post(adapter, json.dumps({**event_body(payload("app_mention")), **body}), "application/json")
    assert status == 400


@pytest.mark.parametrize("value", ["[1]", "5", "null", '"x"', "{bad"])
async def test_signed_non_object_json_and_bad_form_payloads_are_400(start_slack: Any, value: str) -> None:
    adapter = await start_slack(RecordingHandler())
    assert (await post(adapter, value, "application/json"))[0] == 400
    assert (await post(adapter, urllib.parse.urlencode({"payload": value}),
                       "application/x-www-form-urlencoded"))[0] == 400


async def test_signed_shortcut_with_wrongly_typed_fields_is_400(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    adapter = await start_slack(RecordingHandler())
    for field, value in (("channel", 5), ("user", None), ("team", "x"), ("message", [1])):
        shortcut = {**payload("message_shortcut"), "response_url": fake_api.response_url(), field: value}
        status, _ = await post(adapter, urllib.parse.urlencode({"payload": json.dumps(shortcut)}),
                               "application/x-www-form-urlencoded")
        assert status in (200, 400), (field, status)


VALUES: list[Any] = ["x", 5, None, {"a": 1}, [1, 2], True, 1.5, "", -1, {"id": 5}, [{"x": None}]]
EVENTS = ["app_mention", "message_channels", "message_thread_reply", "message_im", "message_changed",
          "message_deleted", "bot_message"]


def _mutate(obj: Any, rnd: random.Random, depth: int = 0) -> None:
    """Give one field (maybe nested) a value of another type; response URLs stay on the loopback fake."""
    if isinstance(obj, dict) and obj:
        key = rnd.choice(sorted(obj))
        if isinstance(obj[key], (dict, list)) and obj[key] and rnd.random() < 0.5 and depth < 3:
            _mutate(obj[key], rnd, depth + 1)
        elif key != "response_url":
            obj[key] = copy.deepcopy(rnd.choice(VALUES))
    elif isinstance(obj, list) and obj:
        index = rnd.randrange(len(obj))
        if isinstance(obj[index], (dict, list)) and rnd.random() < 0.5:
            _mutate(obj[index], rnd, depth + 1)
        else:
            obj[index] = copy.deepcopy(rnd.choice(VALUES))


def _fuzzed_request(rnd: random.Random, fake_api: FakeSlackAPI) -> tuple[str, str]:
    kind = rnd.random()
    if kind < 0.55:  # an Events API delivery
        body = event_body(copy.deepcopy(payload(rnd.choice(EVENTS))))
        for _ in range(rnd.randint(1, 3)):
            _mutate(body, rnd)
        return json.dumps(body), "application/json"
    if kind < 0.62:  # JSON that is not an object
        return json.dumps(rnd.choice([*VALUES, [{"type": "event_callback"}]])), "application/json"
    if kind < 0.8:  # a slash command's form with a field dropped or garbled
        form = command_form("/" + rnd.choice(["ask", "summarize", "confab", "nope"]), "hi", fake_api.response_url())
        key = rnd.choice(sorted(k for k in form if k != "response_url"))
        if rnd.random() < 0.5:
            del form[key]
        else:
            form[key] = rnd.choice(["", "[]", "{", "x", "5"])
        return urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
    shortcut = {**copy.deepcopy(payload("message_shortcut")), "response_url": fake_api.response_url()}
    for _ in range(rnd.randint(1, 3)):
        _mutate(shortcut, rnd)
    value = rnd.choice([json.dumps(shortcut)] * 4 + ["{bad", "[1]", "5", json.dumps(rnd.choice(VALUES))])
    return urllib.parse.urlencode({"payload": value}), "application/x-www-form-urlencoded"


async def test_fuzzed_signed_payloads_never_get_a_500_and_the_endpoint_keeps_serving(
        start_slack: Any, fake_api: FakeSlackAPI) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    rnd = random.Random(20261129)
    statuses: dict[int, int] = {}
    server_errors = []
    for _ in range(300):
        body, content_type = _fuzzed_request(rnd, fake_api)
        status, _ = await post(adapter, body, content_type)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            server_errors.append(body[:300])
    assert server_errors == [], (statuses, server_errors[:5])
    assert statuses.get(400, 0) > 0 and statuses.get(200, 0) > 0
    await settle(adapter)
    before = len(handler.messages)
    fresh = {**payload("message_channels"), "ts": "1700009999.000001"}  # a message none of the fuzz reused
    status, _ = await post_event(adapter, fresh)
    await settle(adapter)
    assert status == 200 and len(handler.messages) == before + 1
    assert handler.messages[-1].id == fresh["ts"]


async def test_bolts_own_rejection_line_is_bounded_too(start_slack: Any, caplog: pytest.LogCaptureFixture) -> None:
    await start_slack(RecordingHandler())  # installs the filter
    caplog.set_level(logging.INFO)
    logging.getLogger("slack_bolt.AsyncRequestVerification").info(
        "Invalid request signature detected (signature: v0=1, timestamp: 1, body: %s)", "line\nforged " * 50_000)
    [line] = [FORMAT.format(r) for r in caplog.records if r.name == "slack_bolt.AsyncRequestVerification"]
    assert "\n" not in line and len(line) < 400 and SECRET not in line


async def test_a_disguised_link_in_an_answer_shows_its_real_domain_on_slack(fake_api: FakeSlackAPI,
                                                                           slack_bot: Any) -> None:
    from langchain_core.messages import AIMessage

    from tests.fakes.scripted_model import ScriptedModel

    model = ScriptedModel(steps=[AIMessage("Log in at [discord.com/login](https://disc0rd.example/a) and "
                                           "<https://disc0rd.example/b|discord.com/verify>.")])
    adapter, _ = await slack_bot(model)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [reply] = fake_api.calls_to("chat.postMessage")
    text = reply.params["text"]
    assert "<https://disc0rd.example/a|discord.com/login (disc0rd.example)>" in text
    assert "|discord.com/verify>" not in text  # Slack syntax from the model is shown as text, never as a link

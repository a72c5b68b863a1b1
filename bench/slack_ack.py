"""Slack acknowledgement latency while the model is slow, redelivery dedupe, and broadcast safety.

Runs the real SlackAdapter (bolt AsyncApp, HTTP mode) on the real pipeline against the loopback
fake Slack Web API of tests/fakes/slack.py, with a chat model that takes ``--model-seconds`` to answer and
always answers with text full of broadcast mentions. Then:

1. ``--commands`` signed ``/ask`` requests (distinct users and channels, ``--concurrency`` in flight):
   acknowledgement latency (request sent -> HTTP 200) p50 / p99 / max. ``--command summarize`` runs the
   real offline summarizer instead (CPU work in the same process) to see whether it delays acks;
   ``--command mention`` sends ``app_mention`` events instead, whose acknowledgement waits until the
   message and its owed answer are stored (durable delivery) and the author looked up (users.info).
2. One ``app_mention`` delivered four times with the same ``event_id`` (Slack's retries): replies.
3. Every text posted (chat.postMessage / chat.update / chat.postEphemeral / response_url): broadcast
   or user mentions found (must be 0).

    python -m bench.slack_ack [--commands 200] [--concurrency 20] [--model-seconds 30]
                              [--mode http|socket] [--command ask|summarize|mention] [--json]

In socket mode the latency is envelope pushed -> ack received by the (loopback) Socket Mode server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp

from bench.slow_model import SlowHostileModel, percentile

HOSTILE = "Sure! <!channel> heads up @here, ask <@U0BOSS001> or <!subteam^S0ONCALL|@oncall> in <#C0SECRET1> @everyone"
PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)


SEED_LINES = [
    "<!channel> the deploy freeze starts on Friday at noon", "ping <@U0BOSS001> before merging anything big",
    "@here standup moves to 10:30 tomorrow", "the staging database migration finished without errors",
    "we should cache docker layers in CI, builds take 14 minutes", "<!subteam^S0ONCALL|@oncall> owns the pager",
    "release notes are in <#C0DOCS001|docs>", "who reviews the billing PR? it touches invoices",
]


async def _seed(memory: Any, channels: int, per_channel: int) -> None:
    """Channel history for /summarize to read (with mention-laden lines people might write)."""
    from datetime import UTC, datetime, timedelta

    from agent.memory.models import StoredMessage

    now = datetime.now(UTC)
    rows = [StoredMessage(channel_key=f"slack:T0TEAM001:C0BENCH{c:03d}", id=f"{1700000000 + j}.{c:06d}",
                          author_id=f"U0P{j % 5}", author_name=f"person{j % 5}", text=SEED_LINES[j % len(SEED_LINES)],
                          created_at=now - timedelta(minutes=per_channel - j), thread=None, is_bot=False)
            for c in range(channels) for j in range(per_channel)]
    await asyncio.gather(*(memory.add(r) for r in rows))


async def run(commands: int, concurrency: int, model_seconds: float, mode: str, command: str,
              workdir: Path) -> dict[str, Any]:
    from bot.app import build_app, freeze_long_lived_objects
    from bot.settings import load_settings
    from bot.slack.adapter import SlackAdapter
    from tests.fakes.slack import (
        SECRET,
        FakeSlackAPI,
        FakeSocketMode,
        command_form,
        event_body,
        free_port,
        payload,
        sign,
    )

    api = FakeSlackAPI()
    await api.start()
    socket_server = FakeSocketMode() if mode == "socket" else None
    if socket_server is not None:
        api.ws_url = await socket_server.start()
    (workdir / "knowledge").mkdir(exist_ok=True)
    settings = load_settings(
        data_dir=workdir / "data", knowledge_dir=workdir / "knowledge", knowledge_watch=False,
        slack_bot_token="xoxb-bench", slack_app_token="xapp-bench",  # noqa: S106 - fake tokens for the loopback fake
        slack_mode=mode, slack_signing_secret=SECRET, slack_http_port=free_port(),
        slack_api_base_url=api.base + "/api/", agent_model_timeout_s=model_seconds + 30,
        agent_deadline_s=model_seconds + 60)
    deps, pipeline = await build_app(settings, chat_model=SlowHostileModel(seconds=model_seconds, text=HOSTILE))
    if command == "summarize":
        await _seed(deps.store.messages, commands, 40)
    freeze_long_lived_objects()  # as run_platforms does once the app is built
    adapter = SlackAdapter(settings, http_host="127.0.0.1")
    pipeline.attach(adapter)
    runner = asyncio.create_task(adapter.start(pipeline, pipeline.outbox))
    await asyncio.wait_for(adapter.ready.wait(), 10)
    if socket_server is not None:
        await asyncio.wait_for(socket_server.connected.wait(), 10)
    url = f"http://127.0.0.1:{settings.slack_http_port}/slack/events"
    latencies: list[float] = []
    statuses: list[int] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(commands):
        queue.put_nowait(i)

    async def deliver(session: aiohttp.ClientSession, kind: str, body: dict[str, Any],
                      extra: dict[str, str] | None = None, attempt: int = 0) -> tuple[int, float]:
        """One delivery the way Slack makes it; returns (status, seconds until Slack had its ack)."""
        started = time.perf_counter()
        if socket_server is not None:
            envelope = await socket_server.push("slash_commands" if kind == "command" else "events_api", body,
                                                retry_attempt=attempt)
            await socket_server.wait_ack(envelope)
            return 200, time.perf_counter() - started
        if kind == "command":
            text, ctype = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
        else:
            text, ctype = json.dumps(body), "application/json"
        headers = {"Content-Type": ctype, **sign(SECRET, text), **(extra or {})}
        async with session.post(url, data=text.encode(), headers=headers) as resp:
            await resp.read()
            return resp.status, time.perf_counter() - started

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            if command == "mention":
                ts = f"1700001000.{i:06d}"
                event = {**payload("app_mention"), "ts": ts, "event_ts": ts, "channel": f"C0BENCH{i:03d}",
                         "user": f"U0BENCH{i:03d}", "client_msg_id": f"bench{i}",
                         "text": f"<@UBOT00001> question number {i}: how do we deploy?"}
                status, seconds = await deliver(session, "event", event_body(event, event_id=f"Ev0BENCHM{i:05d}"))
                statuses.append(status)
                latencies.append(seconds)
                continue
            text = f"question number {i}: how do we deploy?" if command == "ask" else "public"
            form = command_form(f"/{command}", text, api.response_url(), user_id=f"U0BENCH{i:03d}",
                                channel_id=f"C0BENCH{i:03d}")
            status, seconds = await deliver(session, "command", form)
            statuses.append(status)
            latencies.append(seconds)

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        mention = event_body(payload("app_mention"), event_id="Ev0BENCH0001")
        for attempt in range(4):  # Slack's first delivery and its three retries
            retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"} if attempt else {}
            status, _ = await deliver(session, "event", mention, retry, attempt)
            statuses.append(status)
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    acked_in = time.perf_counter() - started
    await asyncio.sleep(0.2)
    await adapter.drain()  # every answer (each waits for the slow model) has gone out
    answered_in = time.perf_counter() - started
    mention_replies = [c for c in api.calls_to("chat.postMessage") if c.params.get("thread_ts") == "1700000100.000200"]
    texts = api.posted_texts()
    pings = sum(len(PING.findall(t)) for t in texts)
    await adapter.close()
    await runner
    await pipeline.drain()
    await deps.close()
    if socket_server is not None:
        await socket_server.stop()
    await api.stop()
    return {
        "mode": mode, "command": command,
        "commands": commands, "concurrency": concurrency, "model_seconds": model_seconds,
        "ack_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "ack_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "ack_max_ms": round(max(latencies) * 1000, 1),
        "non_200": sum(1 for s in statuses if s != 200),
        "all_acked_s": round(acked_in, 2), "all_answered_s": round(answered_in, 2),
        "answers_posted": len(api.calls_to("chat.postMessage")),
        "replies_to_event_delivered_4x": len(mention_replies),
        "texts_checked": len(texts), "broadcast_or_user_mentions": pings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--model-seconds", type=float, default=30.0)
    parser.add_argument("--mode", choices=("http", "socket"), default="http")
    parser.add_argument("--command", choices=("ask", "summarize", "mention"), default="ask",
                        help="ask: the slow model answers; summarize: the real offline summarizer (CPU) "
                             "over 40 seeded messages per channel; mention: app_mention events (durable ack)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.commands, args.concurrency, args.model_seconds, args.mode, args.command,
                                 Path(tmp)))
    if args.json:
        print(json.dumps(result))
        return
    work = (f"model answers after {result['model_seconds']:.0f} s" if args.command in ("ask", "mention")
            else "offline extractive summaries of 40 messages each")
    what = "app_mention events" if args.command == "mention" else f"/{args.command} commands"
    print(f"{result['commands']} {what} over {args.mode}, {result['concurrency']} in flight, {work}")
    print(f"  ack latency   p50 {result['ack_p50_ms']} ms   p99 {result['ack_p99_ms']} ms   "
          f"max {result['ack_max_ms']} ms   (target p99 <= 200 ms)   non-200: {result['non_200']}")
    print(f"  all acked in {result['all_acked_s']} s; all answered in {result['all_answered_s']} s "
          f"({result['answers_posted']} chat.postMessage)")
    print(f"  one app_mention delivered 4 times -> {result['replies_to_event_delivered_4x']} reply (target 1)")
    print(f"  broadcast/user mentions in {result['texts_checked']} posted texts: "
          f"{result['broadcast_or_user_mentions']} (target 0)")


if __name__ == "__main__":
    main()

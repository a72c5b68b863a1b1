"""Visible progress and streamed answers on Slack and Discord, with a model that streams its answer slowly.

Runs the real SlackAdapter (slack-bolt, HTTP mode) and the real DiscordAdapter (discord.py) on the real
pipeline, against the loopback fakes of tests/fakes (Slack Web API with chat streaming and thread status,
Discord gateway + REST) and the fake OpenAI-compatible server streaming ``--words`` words (about a token each)
over ``--seconds`` seconds, with mentions (``<!channel>``, ``<@U…>``, ``@everyone``, ``<@123>``) and a disguised
link sprinkled through the text. For each of ``--mentions`` mentions, asked one after another:

- first visible progress: from delivering the mention (Slack: the signed POST sent; Discord: MESSAGE_CREATE
  sent) to the first thing a person sees in the channel: Slack's thread status, the stream's first text or a
  note; Discord's typing indicator or the first message;
- the acknowledgement: Slack's HTTP 200 for the event;
- the pace of updates: Slack's ``chat.appendStream`` calls of one stream (its ``stopStream`` with the final
  answer follows the last one at once), Discord's edits of the answer's message: the shortest time between two,
  and the most in any one second;
- pings: streamed chunks (Slack ``chat.*Stream``) and messages and edits (Discord) whose text would ping, and
  Discord requests whose ``allowed_mentions`` would let anything ping. All must be 0.

    python -m bench.stream_progress [--mentions 3] [--words 400] [--seconds 8] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.slow_model import percentile

SLACK_PING = re.compile(r"<[!@]|(?<![\w@\u2060\u200b])@(channel|here|everyone)\b", re.I)
DISCORD_PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")
HOSTILE = ["<!channel>", "<@U0BOB0001>", "@everyone", "<@1400000000000000002>", "@here",
           "[discord.com/login](https://disc0rd.example/a)"]


def hostile_answer(words: int, seed: int) -> str:
    rng = random.Random(seed)
    vocabulary = ("deploy the service from the repository root then watch logs for errors and roll back if the "
                  "health check fails after five minutes").split()
    text = [rng.choice(vocabulary) for _ in range(words)]
    for i in range(0, words, max(1, words // 12)):
        text[i] = rng.choice(HOSTILE)
    return " ".join(text) + "."


async def slack_run(mentions: int, words: int, seconds: float, workdir: Path) -> dict[str, Any]:
    from bot.slack.adapter import SlackAdapter
    from tests.fakes.harness import open_bot
    from tests.fakes.openai_server import serving, text_reply
    from tests.fakes.slack import FakeSlackAPI, payload, post_event, settle, slack_settings

    api = FakeSlackAPI()
    await api.start()
    first, acks, pings = [], [], 0
    try:
        async with serving() as model, AsyncExitStack() as stack:
            settings = slack_settings(workdir, api, "http", model="openai:gpt-4.1-mini", openai_base_url=model.base_url,
                                      openai_api_key="sk-bench", rate_user_per_min=1000)
            adapter = SlackAdapter(settings, http_host="127.0.0.1")
            await stack.enter_async_context(open_bot(workdir, settings=settings, adapter=adapter))
            for n in range(mentions):
                model.chat.append(text_reply(hostile_answer(words, n), chunk_delay_s=seconds / words))
                ts = f"{int(time.time())}.{n:06d}"
                event = {**payload("app_mention"), "ts": ts, "event_ts": ts, "client_msg_id": f"bench{n}"}
                sent = time.monotonic()
                status, _ = await post_event(adapter, event, event_id=f"EvBENCH{n:04d}")
                acks.append((time.monotonic() - sent) * 1000)
                assert status == 200
                await settle(adapter, within_s=seconds * 4 + 30)
                shown = [c.at for c in api.calls if _in_thread(c.params, ts) and c.method in (
                    "assistant.threads.setStatus", "chat.startStream", "chat.postMessage")]
                first.append((min(shown) - sent) * 1000 if shown else float("inf"))
            for call in api.calls:
                if call.method in ("chat.startStream", "chat.appendStream", "chat.stopStream", "chat.postMessage",
                                   "chat.update"):
                    text = str(call.params.get("markdown_text") or call.params.get("text") or "")
                    pings += bool(SLACK_PING.search(text))
        streamed = sum(c.method == "chat.appendStream" for c in api.calls)
        updates: dict[str, list[float]] = {}  # each stream's appends, by the stream's ts
        for call in api.calls:
            if call.method == "chat.appendStream":
                updates.setdefault(str(call.params.get("ts")), []).append(call.at)
        gaps = [(b - a) * 1000 for times in updates.values() for a, b in itertools.pairwise(times)]
        busiest = max((sum(t <= u < t + 1.0 for u in times) for times in updates.values() for t in times), default=0)
    finally:
        await api.stop()
    return {"first_visible_ms_p50": round(percentile(first, 50), 1), "first_visible_ms_max": round(max(first), 1),
            "ack_ms_p50": round(percentile(acks, 50), 1), "ack_ms_max": round(max(acks), 1),
            "stream_appends": streamed, "min_ms_between_updates": round(min(gaps), 1) if gaps else None,
            "most_updates_in_a_second": busiest, "pings": pings}


def _in_thread(params: dict[str, Any], ts: str) -> bool:
    return ts in (str(params.get("thread_ts")), str(params.get("ts")))


async def discord_run(mentions: int, words: int, seconds: float, workdir: Path) -> dict[str, Any]:
    import discord.gateway
    import yarl

    from bot.discord.adapter import DiscordAdapter
    from tests.fakes.discord import BOT_USER, GENERAL_ID, FakeDiscord, discord_settings, settle
    from tests.fakes.harness import open_bot
    from tests.fakes.openai_server import serving, text_reply

    fake = FakeDiscord()
    await fake.start()
    saved = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    first, gaps, busiest, pings, open_mentions = [], [], 0, 0, 0
    try:
        async with serving() as model, AsyncExitStack() as stack:
            settings = discord_settings(workdir, fake, model="openai:gpt-4.1-mini", openai_base_url=model.base_url,
                                        openai_api_key="sk-bench", rate_user_per_min=1000)
            adapter = DiscordAdapter(settings, guild_ready_timeout=0.05)
            await stack.enter_async_context(open_bot(workdir, settings=settings, adapter=adapter))
            for n in range(mentions):
                model.chat.append(text_reply(hostile_answer(words, n), chunk_delay_s=seconds / words))
                before = len(fake.requests)
                asked = fake.message(f"<@{BOT_USER['id']}> how do I deploy? ({n})", mentions=[BOT_USER])
                sent = time.perf_counter()
                await fake.dispatch("MESSAGE_CREATE", asked)
                await settle(adapter, within_s=seconds * 4 + 30)
                mine = fake.requests[before:]
                shown = [r.at for r in mine if r.method == "POST" and r.path in (
                    f"/channels/{GENERAL_ID}/typing", f"/channels/{GENERAL_ID}/messages")]
                first.append((min(shown) - sent) * 1000 if shown else float("inf"))
                edits = [r.at for r in mine if r.method == "PATCH"]
                gaps += [(b - a) * 1000 for a, b in itertools.pairwise(edits)]
                busiest = max([busiest, *(sum(t <= e < t + 1.0 for e in edits) for t in edits)])
            for request in fake.requests:
                if request.method in ("POST", "PATCH") and "/messages" in request.path and request.json is not None:
                    pings += bool(DISCORD_PING.search(request.content))
                    mentions_allowed = request.json.get("allowed_mentions")
                    open_mentions += mentions_allowed is None or bool(
                        mentions_allowed.get("parse") or mentions_allowed.get("users")
                        or mentions_allowed.get("roles") or mentions_allowed.get("replied_user"))
    finally:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await fake.stop()
    return {"first_visible_ms_p50": round(percentile(first, 50), 1), "first_visible_ms_max": round(max(first), 1),
            "edits": len(gaps) + mentions, "min_ms_between_edits": round(min(gaps), 1) if gaps else None,
            "most_edits_in_a_second": busiest, "pings": pings, "requests_allowing_pings": open_mentions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=3)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "slack").mkdir()
        (Path(tmp) / "discord").mkdir()
        slack = asyncio.run(slack_run(args.mentions, args.words, args.seconds, Path(tmp) / "slack"))
        discord_ = asyncio.run(discord_run(args.mentions, args.words, args.seconds, Path(tmp) / "discord"))
    if args.json:
        print(json.dumps({"slack": slack, "discord": discord_}))
        return
    print(f"slack   : first visible p50 {slack['first_visible_ms_p50']} ms (max {slack['first_visible_ms_max']}), "
          f"ack p50 {slack['ack_ms_p50']} ms (max {slack['ack_ms_max']}), {slack['stream_appends']} stream appends, "
          f"min {slack['min_ms_between_updates']} ms between a stream's updates, at most "
          f"{slack['most_updates_in_a_second']} in a second, {slack['pings']} pings")
    print(f"discord : first visible p50 {discord_['first_visible_ms_p50']} ms (max {discord_['first_visible_ms_max']}),"
          f" {discord_['edits']} edits, min {discord_['min_ms_between_edits']} ms between edits, at most "
          f"{discord_['most_edits_in_a_second']} in a second, {discord_['pings']} pings, "
          f"{discord_['requests_allowing_pings']} requests allowing pings")


if __name__ == "__main__":
    main()

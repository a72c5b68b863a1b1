"""Discord interaction deferral while the model is slow, redelivery dedupe, and ping safety.

Runs the real DiscordAdapter (discord.py client, CommandTree) on the real pipeline against the
loopback fake gateway + REST API of tests/fakes/discord.py, with a chat model that takes ``--model-seconds``
to answer and answers with text full of mentions. Then:

1. ``--commands`` ``/ask`` interactions (distinct users and channels) pushed over the gateway in one
   burst: deferral latency (INTERACTION_CREATE sent -> the fake receives the type-5 callback)
   p50 / p99 / max. ``--command summarize`` runs the real offline summarizer (CPU work in the same
   process) instead of the slow model.
2. One mention MESSAGE_CREATE delivered four times, and one interaction delivered twice: replies.
3. Every message and follow-up the bot sent: mention syntax left in the text, and requests whose
   ``allowed_mentions`` would let anything ping (both must be 0).

``--voice-seconds N`` (issue 24's target): a voice message of N seconds (OGG/Opus, from the fake CDN) is
posted in a channel that shows transcripts just before the burst, and transcribed (PyAV in a worker thread, then
the fake OpenAI server's ``/v1/audio/transcriptions``, which answers after ``--stt-seconds``) while the
interactions are deferred; run it with and without to compare the deferral figures.

    python -m bench.discord_defer [--commands 200] [--model-seconds 30] [--command ask|summarize]
                                  [--voice-seconds 60 [--stt-seconds 3]] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.slow_model import SlowHostileModel, percentile

HOSTILE = "Sure! @everyone @here ask <@1400000000000000002> or <@&1500000000000000001> in <#1300000000000000002>"
PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")


def can_ping(request: Any) -> bool:
    mentions = (request.json or {}).get("allowed_mentions")
    return mentions is None or bool(mentions.get("parse") or mentions.get("users") or mentions.get("roles")
                                    or mentions.get("replied_user"))


async def run(commands: int, model_seconds: float, command: str, workdir: Path, voice_seconds: float = 0.0,
              stt_seconds: float = 3.0) -> dict[str, Any]:
    from tests.fakes.openai_server import serving, transcript_reply

    async with serving() as fake_openai:
        fake_openai.transcriptions.append(transcript_reply("Ship the release on Friday.", delay_s=stt_seconds))
        return await _run(commands, model_seconds, command, workdir, voice_seconds, stt_seconds, fake_openai.base_url)


async def _run(commands: int, model_seconds: float, command: str, workdir: Path, voice_seconds: float,
               stt_seconds: float, stt_base_url: str) -> dict[str, Any]:
    import discord.gateway
    import yarl

    from agent.memory.models import StoredMessage
    from bot.app import build_app, freeze_long_lived_objects
    from bot.discord.adapter import DiscordAdapter
    from bot.settings import load_settings
    from tests.fakes.discord import BOT_USER, GENERAL_ID, GUILD_ID, FakeDiscord, user
    from tests.fakes.file_host import LOOPBACK_FILES
    from tests.speech.clips import clip

    fake = FakeDiscord()
    await fake.start()
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    (workdir / "knowledge").mkdir(exist_ok=True)
    settings = load_settings(
        data_dir=workdir / "data", knowledge_dir=workdir / "knowledge", knowledge_watch=False,
        discord_token="fake-discord-token", discord_api_base_url=fake.api_base,  # noqa: S106 - the loopback fake's
        agent_model_timeout_s=model_seconds + 30, agent_deadline_s=model_seconds + 60,
        stt_model="whisper-1" if voice_seconds else None, stt_base_url=stt_base_url, openai_api_key="sk-bench",
        stt_timeout_s=stt_seconds + 30)
    deps, pipeline = await build_app(settings, chat_model=SlowHostileModel(seconds=model_seconds, text=HOSTILE))
    freeze_long_lived_objects()  # as run_platforms does once the app is built
    adapter = DiscordAdapter(settings, guild_ready_timeout=0.1, file_hosts=LOOPBACK_FILES)
    pipeline.attach(adapter)
    runner = asyncio.create_task(adapter.start(pipeline, pipeline.outbox))
    await asyncio.wait_for(adapter.ready.wait(), 20)
    channels = [1_300_000_000_000_100_000 + i for i in range(commands)]
    if command == "summarize":
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        await asyncio.gather(*(deps.store.messages.add(StoredMessage(
            channel_key=f"discord:{GUILD_ID}:{cid}", id=str(fake.next_id()), author_id=str(j % 5),
            author_name=f"person{j % 5}", text=f"point {j}: the deploy freeze starts Friday @everyone, "
            f"ping <@1400000000000000002> before merging", created_at=now - timedelta(minutes=40 - j))) for cid in
            channels for j in range(40)))

    voice_key = f"discord:{GUILD_ID}:{GENERAL_ID}"
    voice: dict[str, Any] = {}
    if voice_seconds:
        await deps.store.channel_settings.set(voice_key, "voice_transcripts", "on")
        body = clip("ogg", voice_seconds)
        url = fake.file_host.put("voice-message.ogg", body, "audio/ogg")
        voice = fake.message("", attachments=[{
            "id": str(fake.next_id()), "filename": "voice-message.ogg", "size": len(body), "url": url,
            "proxy_url": url, "content_type": "audio/ogg", "duration_secs": voice_seconds, "waveform": "AAAAAAAA"}],
            flags=1 << 13)  # IS_VOICE_MESSAGE
    started = time.perf_counter()
    if voice:
        await fake.dispatch("MESSAGE_CREATE", voice)
    sent_at: dict[str, float] = {}
    for i, cid in enumerate(channels):
        options = [{"name": "question", "type": 3, "value": f"question {i}: how do we deploy?"}] \
            if command == "ask" else [{"name": "public", "type": 5, "value": True}]
        payload = fake.interaction(command, options, who=user(1_400_000_000_000_100_000 + i, f"user{i}"),
                                   channel_id=cid)
        sent_at[payload["id"]] = time.perf_counter()
        await fake.dispatch("INTERACTION_CREATE", payload)
    mention = fake.message(f"<@{BOT_USER['id']}> are you there?", mentions=[BOT_USER])
    for _ in range(4):
        await fake.dispatch("MESSAGE_CREATE", mention)
    twice = fake.interaction("ask", [{"name": "question", "type": 3, "value": "once?"}],
                             who=user(1_400_000_000_000_200_000, "twice"), channel_id=1_300_000_000_000_200_000)
    for _ in range(2):
        await fake.dispatch("INTERACTION_CREATE", twice)
    while len(fake.callbacks()) < commands + 1 and time.perf_counter() - started < 120:  # noqa: ASYNC110 - polls the fake
        await asyncio.sleep(0.01)
    deferred_in = time.perf_counter() - started
    transcribed_in = None
    while voice and time.perf_counter() - started < stt_seconds + voice_seconds + 120:
        row = await deps.store.messages.get(voice_key, voice["id"])
        if row is not None and "[voice transcript]" in row.text:
            transcribed_in = time.perf_counter() - started
            break
        await asyncio.sleep(0.05)
    latencies = [r.at - sent_at[r.path.split("/")[2]] for r in fake.callbacks() if r.path.split("/")[2] in sent_at]
    await asyncio.sleep(0.2)
    await adapter.drain()
    answered_in = time.perf_counter() - started
    sent = fake.posted() + fake.followups() + fake.calls("PATCH", r"/webhooks/.+")
    mention_replies = [r for r in fake.posted() if (r.json.get("message_reference") or {}).get("message_id")
                       == int(mention["id"])]
    twice_callbacks = [r for r in fake.callbacks() if r.path.split("/")[2] == twice["id"]]
    result = {
        "command": command, "commands": commands, "model_seconds": model_seconds,
        "defer_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "defer_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "defer_max_ms": round(max(latencies) * 1000, 1), "deferred": len(latencies),
        "all_deferred_s": round(deferred_in, 2), "all_answered_s": round(answered_in, 2),
        "followups": len(fake.followups()),
        "replies_to_mention_delivered_4x": len(mention_replies),
        "callbacks_for_interaction_delivered_2x": len(twice_callbacks),
        "requests_checked": len(sent),
        "mention_syntax_left": sum(len(PING.findall(r.content)) for r in sent),
        "requests_that_could_ping": sum(1 for r in sent if can_ping(r)),
        "voice_seconds": voice_seconds,
        "voice_transcript_stored_s": None if transcribed_in is None else round(transcribed_in, 2),
        "voice_transcript_shown": sum(1 for r in fake.posted(GENERAL_ID) if r.content.startswith("🎙️")),
    }
    await adapter.close()
    await runner
    await pipeline.drain()
    await deps.close()
    await fake.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--model-seconds", type=float, default=30.0)
    parser.add_argument("--command", choices=("ask", "summarize"), default="ask",
                        help="ask: the slow model answers; summarize: the real offline summarizer (CPU) over 40 "
                             "seeded messages per channel")
    parser.add_argument("--voice-seconds", type=float, default=0.0,
                        help="a voice message this long is transcribed while the interactions are deferred")
    parser.add_argument("--stt-seconds", type=float, default=3.0, help="the fake transcription endpoint's delay")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.commands, args.model_seconds, args.command, Path(tmp), args.voice_seconds,
                                 args.stt_seconds))
    if args.json:
        print(json.dumps(result))
        return
    work = (f"model answers after {result['model_seconds']:.0f} s" if args.command == "ask"
            else "offline extractive summaries of 40 messages each")
    print(f"{result['commands']} /{args.command} interactions in one gateway burst, {work}")
    print(f"  deferred      p50 {result['defer_p50_ms']} ms   p99 {result['defer_p99_ms']} ms   "
          f"max {result['defer_max_ms']} ms   (target p99 <= 500 ms)   deferred: {result['deferred']}")
    print(f"  all deferred in {result['all_deferred_s']} s; all answered in {result['all_answered_s']} s "
          f"({result['followups']} follow-ups)")
    print(f"  one mention delivered 4 times -> {result['replies_to_mention_delivered_4x']} reply (target 1); "
          f"one interaction delivered 2 times -> {result['callbacks_for_interaction_delivered_2x']} callback")
    print(f"  {result['requests_checked']} messages/follow-ups/edits: mention syntax left "
          f"{result['mention_syntax_left']}, allowed_mentions that could ping {result['requests_that_could_ping']}"
          " (target 0)")
    if args.voice_seconds:
        print(f"  a {args.voice_seconds:.0f} s voice message: transcript stored after "
              f"{result['voice_transcript_stored_s']} s (STT answers after {args.stt_seconds:.0f} s), shown "
              f"{result['voice_transcript_shown']}x")


if __name__ == "__main__":
    main()

"""A 60 s voice clip transcribed while 200 other messages flow: Slack acknowledgement latency with and without it.

Runs the real SlackAdapter (bolt AsyncApp, HTTP mode) on the real pipeline against the loopback fake Slack Web API
(with its files host) and the loopback fake OpenAI server, whose ``/v1/audio/transcriptions`` answers after
``--stt-seconds``. Twice, on a fresh app each time: 200 signed channel messages (``--messages``, ``--concurrency``
in flight) alone, then the same with one ``app_mention`` carrying a 60 s OGG/Opus clip (``--clip-seconds``) sent
first. Reported: ack p50 / p99 / max of the 200 in both runs, and for the clip its own ack, the seconds until its
transcript was stored and shown, and that the transcript reached storage. The clip is decoded (PyAV, in a worker
thread) and sent as WAV while the other messages are acknowledged.

    python -m bench.voice_ack [--messages 200] [--concurrency 20] [--clip-seconds 60] [--stt-seconds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.slow_model import percentile


async def run(messages: int, concurrency: int, clip_seconds: float, stt_seconds: float, with_clip: bool,
              workdir: Path) -> dict[str, Any]:
    from bot.app import build_app
    from bot.settings import load_settings
    from bot.slack.adapter import SlackAdapter
    from tests.fakes.file_host import LOOPBACK_FILES
    from tests.fakes.openai_server import serving, transcript_reply
    from tests.fakes.slack import BOT_USER_ID, SECRET, FakeSlackAPI, event_body, free_port, payload, sign
    from tests.speech.clips import clip

    api = FakeSlackAPI()
    await api.start()
    (workdir / "knowledge").mkdir(exist_ok=True)
    body = clip("ogg", clip_seconds)
    async with serving() as fake_openai:
        fake_openai.transcriptions.append(transcript_reply("Ship the release on Friday.", delay_s=stt_seconds))
        settings = load_settings(
            data_dir=workdir / "data", knowledge_dir=workdir / "knowledge", knowledge_watch=False,
            slack_bot_token="xoxb-bench", slack_mode="http", slack_signing_secret=SECRET,  # noqa: S106 - fake
            slack_http_port=free_port(), slack_api_base_url=api.base + "/api/", stt_model="whisper-1",
            stt_base_url=fake_openai.base_url, openai_api_key="sk-bench", stt_timeout_s=stt_seconds + 30)
        deps, pipeline = await build_app(settings)
        adapter = SlackAdapter(settings, http_host="127.0.0.1", file_hosts=LOOPBACK_FILES)
        pipeline.attach(adapter)
        runner = asyncio.create_task(adapter.start(pipeline, pipeline.outbox))
        await asyncio.wait_for(adapter.ready.wait(), 10)
        url = f"http://127.0.0.1:{settings.slack_http_port}/slack/events"
        latencies: list[float] = []

        async def deliver(session: aiohttp.ClientSession, event: dict[str, Any], event_id: str) -> float:
            text = json.dumps(event_body(event, event_id=event_id))
            started = time.perf_counter()
            async with session.post(url, data=text.encode(),
                                    headers={"Content-Type": "application/json", **sign(SECRET, text)}) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            return time.perf_counter() - started

        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(messages):
            queue.put_nowait(i)

        async def worker(session: aiohttp.ClientSession) -> None:
            while not queue.empty():
                i = queue.get_nowait()
                ts = f"1700002000.{i:06d}"
                event = {**payload("message_channels"), "ts": ts, "event_ts": ts, "user": f"U0FLOW{i % 50:03d}",
                         "client_msg_id": f"flow{i}", "text": f"status update {i}: the build is green"}
                latencies.append(await deliver(session, event, f"Ev0FLOW{i:05d}"))

        clip_ts = "1700001999.000100"
        clip_ack = 0.0
        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            if with_clip:
                served = api.file_host.put("voice.ogg", body, "audio/ogg")
                entry = {"id": "F0VOICE01", "name": "voice.ogg", "mimetype": "audio/ogg", "subtype": "slack_audio",
                         "size": len(body), "url_private": served, "url_private_download": served}
                event = {**payload("app_mention"), "ts": clip_ts, "event_ts": clip_ts,
                         "text": f"<@{BOT_USER_ID}> listen", "files": [entry]}
                clip_ack = await deliver(session, event, "Ev0VOICE001")
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
            acked_in = time.perf_counter() - started
            stored_in = None
            while with_clip and time.perf_counter() - started < stt_seconds + clip_seconds + 60:
                row = await deps.store.messages.get("slack:T0TEAM001:C0GENERAL", clip_ts)
                if row is not None and "[voice transcript]" in row.text:
                    stored_in = time.perf_counter() - started
                    break
                await asyncio.sleep(0.05)
        await adapter.drain()
        shown = [c for c in api.calls_to("chat.postMessage") + api.calls_to("chat.update")  # or in the progress note
                 if str(c.params.get("text", "")).startswith("🎙️")]
        await adapter.close()
        await runner
        await pipeline.drain()
        await deps.close()
    await api.stop()
    return {"with_clip": with_clip, "messages": messages, "ack_p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "ack_p99_ms": round(percentile(latencies, 99) * 1000, 1), "ack_max_ms": round(max(latencies) * 1000, 1),
            "all_acked_s": round(acked_in, 2), "clip_ack_ms": round(clip_ack * 1000, 1) if with_clip else None,
            "transcript_stored_s": None if stored_in is None else round(stored_in, 2),
            "transcript_shown": len(shown)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--clip-seconds", type=float, default=60.0)
    parser.add_argument("--stt-seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for with_clip in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(asyncio.run(run(args.messages, args.concurrency, args.clip_seconds, args.stt_seconds,
                                           with_clip, Path(tmp))))
    if args.json:
        print(json.dumps(results))
        return
    for r in results:
        label = f"with a {args.clip_seconds:.0f} s clip" if r["with_clip"] else "alone"
        print(f"{r['messages']} messages {label:18} ack p50 {r['ack_p50_ms']:7.1f} ms  p99 {r['ack_p99_ms']:7.1f} ms  "
              f"max {r['ack_max_ms']:7.1f} ms  (all acked in {r['all_acked_s']} s)")
        if r["with_clip"]:
            print(f"  the clip: acked in {r['clip_ack_ms']} ms, transcript stored after {r['transcript_stored_s']} s "
                  f"(STT answers after {args.stt_seconds:.0f} s), shown {r['transcript_shown']}x")


if __name__ == "__main__":
    main()

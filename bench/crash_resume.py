"""Durable delivery: acknowledged mentions survive ``kill -9``, and so do spam screens.

Starts ``confab run`` (a real process, Slack HTTP mode) against the loopback fake Slack Web API and a
fake OpenAI-compatible model that takes ``--model-seconds`` to answer; sends ``--mentions`` signed
``app_mention`` events (each acknowledged with HTTP 200 only once stored with its owed answer), waits
until every one is being answered and its "Working on it…" note is showing, then sends ``--spam`` signed
phishing messages from as many people at once (plain channel messages: acknowledged once stored, screened
just after) and kills the process with SIGKILL the moment the last one is acknowledged, so some are stored
and not yet screened. It starts the process again, and counts: mentions answered, answered more than once,
progress notes left behind, the time from the restart to the last answer, and spam messages flagged (a 🚩
reaction) before the kill, after the restart, or never, and moderators' notes posted twice for one message.

    python -m bench.crash_resume [--mentions 20] [--spam 200] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from tests.fakes.openai_server import serving, text_reply
from tests.fakes.slack import FakeSlackAPI, payload, post_event
from tests.slack.confab_process import (
    PROGRESS,
    answers_given,
    mentions_in_flight,
    notes_left,
    start_confab,
    statuses_showing,
    until,
)

SPAM = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"


SPAM_SECOND = str(int(time.time()))  # today's (retention would prune an old message at the restart)


async def spam_burst(port: int, count: int, at_once: int = 32) -> None:
    """``count`` phishing messages from different people, ``at_once`` in flight; returns once all are acked."""
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> None:
        ts = f"{SPAM_SECOND}.{i:06d}"
        event = {**payload("message_channels"), "user": f"U0SPAM{i:04d}", "ts": ts, "event_ts": ts,
                 "client_msg_id": f"spam{i}", "text": f"{SPAM} ({i})"}
        async with gate:
            status, _ = await post_event(SimpleNamespace(http_port=port), event, event_id=f"EvSPAM{i:05d}")
        assert status == 200

    await asyncio.gather(*(one(i) for i in range(count)))


def flagged(api: FakeSlackAPI) -> set[str]:
    """Spam messages with a 🚩 reaction."""
    return {str(c.params.get("timestamp")) for c in api.calls_to("reactions.add")
            if str(c.params.get("timestamp", "")).startswith(f"{SPAM_SECOND}.")}


def notes(api: FakeSlackAPI) -> Counter[str]:
    """Moderators' notes per spam message (a reply in its thread: no moderators' channel is set)."""
    return Counter(str(c.params.get("thread_ts")) for c in api.calls_to("chat.postMessage")
                   if str(c.params.get("thread_ts", "")).startswith(f"{SPAM_SECOND}."))


async def run_once(count: int, workdir: Path, spam: int = 0) -> dict[str, float]:
    api = FakeSlackAPI(keep_posts=True)  # as Slack keeps what the bot posted, with its metadata
    await api.start()
    async with serving() as model:
        model.chat.extend(text_reply("never delivered", delay_s=300) for _ in range(count))
        process, port = await start_confab(workdir, api, model, grace_s=30)
        acked = time.perf_counter()
        await mentions_in_flight(port, model, count)
        acked = time.perf_counter() - acked
        # progress showing: a thread status (or a note where a status can't be set)
        await until(lambda: statuses_showing(api) + sum(PROGRESS in c.params["text"]
                                                          for c in api.calls_to("chat.postMessage")) >= count, 30)
        await spam_burst(port, spam)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        before_kill = len(flagged(api))
        model.chat.extend(text_reply(f"answer number {i}") for i in range(count))
        restarted = time.perf_counter()
        process, _ = await start_confab(workdir, api, model, grace_s=30)

        def answers() -> list[str]:
            return answers_given(api)

        await until(lambda: len(answers()) >= count and notes_left(api) == 0 and len(flagged(api)) >= spam, 120)
        answered_in = time.perf_counter() - restarted
        await asyncio.sleep(2.0)  # anything answered twice would arrive by now
        process.send_signal(signal.SIGTERM)
        await process.communicate()

        seen = Counter(answers())
        result = {"acked": count, "acked_in_s": round(acked, 2), "answered": len(seen),
                  "duplicates": sum(n - 1 for n in seen.values()), "orphan_notes": notes_left(api),
                  "restart_to_last_answer_s": round(answered_in, 2),
                  "model_calls": len(model.requests_to("/v1/chat/completions")),
                  "spam_acked": spam, "spam_flagged_before_kill": before_kill,
                  "spam_flagged_after_restart": len(flagged(api)) - before_kill,
                  "spam_noted_twice": sum(n > 1 for n in notes(api).values()),
                  "spam_never_flagged": spam - len(flagged(api))}
    await api.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=20)
    parser.add_argument("--spam", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            r = asyncio.run(run_once(args.mentions, Path(tmp), args.spam))
        print(f"run {run + 1}: {r['acked']} mentions acked (in {r['acked_in_s']} s), kill -9, restart: "
              f"{r['answered']} answered, {r['duplicates']} duplicates, {r['orphan_notes']} orphan notes; "
              f"last answer {r['restart_to_last_answer_s']} s after the restart began "
              f"({r['model_calls']} model calls: {r['acked']} cut short + the resumed ones); "
              f"{r['spam_acked']} spam messages acked: flagged {r['spam_flagged_before_kill']} before the kill, "
              f"{r['spam_flagged_after_restart']} after the restart, {r['spam_never_flagged']} never; "
              f"{r['spam_noted_twice']} noted to moderators twice")


if __name__ == "__main__":
    main()

"""Durable delivery: acknowledged mentions survive ``kill -9``.

Starts ``confab run`` (a real process, Slack HTTP mode) against the loopback fake Slack Web API and a
fake OpenAI-compatible model that takes ``--model-seconds`` to answer; sends ``--mentions`` signed
``app_mention`` events (each acknowledged with HTTP 200 only once stored with its owed answer), waits
until every one is being answered and its "Working on it…" note is showing, kills the process with
SIGKILL, starts it again, and counts: mentions answered, answered more than once, progress notes left
behind, and the time from the restart to the last answer.

    python -m bench.crash_resume [--mentions 20] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.fakes.openai_server import serving, text_reply
from tests.fakes.slack import FakeSlackAPI
from tests.slack.confab_process import PROGRESS, mentions_in_flight, notes_left, start_confab, until


async def run_once(count: int, workdir: Path) -> dict[str, float]:
    api = FakeSlackAPI(keep_posts=True)  # as Slack keeps what the bot posted, with its metadata
    await api.start()
    async with serving() as model:
        model.chat.extend(text_reply("never delivered", delay_s=300) for _ in range(count))
        process, port = await start_confab(workdir, api, model, grace_s=30)
        acked = time.perf_counter()
        await mentions_in_flight(port, model, count)
        acked = time.perf_counter() - acked
        await until(lambda: sum(PROGRESS in c.params["text"] for c in api.calls_to("chat.postMessage")) >= count, 30)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        model.chat.extend(text_reply(f"answer number {i}") for i in range(count))
        restarted = time.perf_counter()
        process, _ = await start_confab(workdir, api, model, grace_s=30)

        def answers() -> list[str]:
            return [str(c.params.get("text", "")) for c in api.calls
                    if c.method in ("chat.postMessage", "chat.update")
                    and str(c.params.get("text", "")).startswith("answer number")]

        await until(lambda: len(answers()) >= count and notes_left(api) == 0, 120)
        answered_in = time.perf_counter() - restarted
        await asyncio.sleep(2.0)  # anything answered twice would arrive by now
        process.send_signal(signal.SIGTERM)
        await process.communicate()
        seen = Counter(answers())
        result = {"acked": count, "acked_in_s": round(acked, 2), "answered": len(seen),
                  "duplicates": sum(n - 1 for n in seen.values()), "orphan_notes": notes_left(api),
                  "restart_to_last_answer_s": round(answered_in, 2),
                  "model_calls": len(model.requests_to("/v1/chat/completions"))}
    await api.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            r = asyncio.run(run_once(args.mentions, Path(tmp)))
        print(f"run {run + 1}: {r['acked']} mentions acked (in {r['acked_in_s']} s), kill -9, restart: "
              f"{r['answered']} answered, {r['duplicates']} duplicates, {r['orphan_notes']} orphan notes; "
              f"last answer {r['restart_to_last_answer_s']} s after the restart began "
              f"({r['model_calls']} model calls: {r['acked']} cut short + the resumed ones)")


if __name__ == "__main__":
    main()

"""Speed of the offline spam path (normalisation + signals + text model) on real messages.

    python -m bench.spam_speed --data ../shared/eval/spam/sms_spam_collection/SMSSpamCollection [--json]

Each message goes through ``SpamClassifier.classify`` one at a time, as in the pipeline, with
behaviour tracking on (authors rotate over 200 ids, channels over 20; every other author a member the
platform vouches for, so the standing is worked out too). One process, one core.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from agent.classify.spam import SpamClassifier
from agent.classify.standing import Sender
from agent.classify.train import read_sms

MEMBER = Sender(True, "a full member of this workspace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts, _ = read_sms(args.data)
    classifier = SpamClassifier()
    classifier.classify("warm up")
    timings = []
    started = time.perf_counter()
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        classifier.classify(text, f"u{i % 200}", f"c{i % 20}", sender=MEMBER if i % 2 else None)
        timings.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    timings.sort()
    result = {"messages": len(texts), "messages_per_s": round(len(texts) / total, 1),
              "p50_ms": round(timings[len(timings) // 2] * 1000, 3),
              "p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 3)}
    print(json.dumps(result) if args.json else
          f"{result['messages']} messages: {result['messages_per_s']:.0f} messages/s on one core, "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms per message")


if __name__ == "__main__":
    main()

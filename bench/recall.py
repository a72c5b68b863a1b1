"""Conversation search (agent/recall) over a generated year of team chat (bench/recall_data.py) in SQLite, with
the real local embedder: indexing rate, restart, query time, freshness, permissions and decision recall.

    .venv/bin/python -m bench.recall [--messages 200000] [--threads 1] [--recall-only] [--misses]
                                     [--development-only] [--fresh-from F]

``--threads``: cores the embedder's inference uses, 1 by default (the indexing target is per core), 0 for all.
(``--messages 20000 --recall-only``: a quick run for tuning, a few minutes; ``--misses`` prints the development
questions (both sets) missed with their first 5 hits, never the held-out ones nor, among the hits, a held-out
decision or a line naming a held-out topic; ``--development-only`` reports recall on the development questions
alone, for tuning; ``--fresh-from`` indexes the ``text`` of a JSONL file's rows as the fresh messages instead of
the generated ticket notes: real chat of real lengths.)

- indexing: the whole history embedded and stored (repeated chat lines are embedded once), and separately
  500 fresh messages with unique text (no embedder cache can help; ticket notes of 25 tokens) through the
  change feed, beside the embedder alone on 500 others of the same kind;
- restart: a new service reading the stored vectors back (how many messages it embedded again);
- query: p50 / p95 of ``RecallService.search`` including the query's embedding, the access check and the
  read-back of the hits from the store, over the 149 decision questions and 150 topic queries;
- freshness: a message stored while the service follows the store (every 1 s), until it is searchable;
- permissions: 1,000 queries by one asker from channels she may read (public, private she is in, her DM) over 50
  channels (30 public, 10 private of which she is in 5, 8 DMs of which one is hers, 2 public she left), each
  channel holding lines only it has; a leaked line is a hit (or a reply shown beneath one) the reply may not quote
  (the platform's answer is a table here: the Slack and Discord checks are tested against their fakes in
  tests/recall);
- recall@5: the deciding message among the first 5 hits of its question (or shown beneath one of them as the
  reply that settled it, agent/recall/settling.py), asked where every line may be quoted,
  for the 50 development questions (used while tuning the ranking), the 28 held-out ones, the 30 of the second
  held-out set and the 41 of the second development set (bench/recall_closing.py) apart.

Figures (2 shared cores, SQLite, the local MiniLM embedder). Runs a and b (2026-11-30 06:04 and 06:14, busy
machine: load 3-5) were on the first history (50 topics, no held-out set):

    run                                  a (dense+BM25)          b (decision ranking)
    the embedder alone, unique texts     133 texts/s             59 texts/s
    indexing, whole history (200,100)    5,217 msg/s             2,866 msg/s     (3,135 distinct texts: chat repeats)
    indexing, 500 fresh unique           103 msg/s (77%)         62 msg/s (105% of the embedder's own rate)
    restart (200,600 messages)           13.6 s, 0 embedded      20.3 s, 0 embedded
    query p50 / p95                      61 / 94 ms              180 / 256 ms
    recall@5, 50 decision questions      0.52                    0.80
    new message searchable               0.66 s                  0.66 s
    permissions, 1,000 queries           0 lines leaked          0 lines leaked, 0 forbidden canaries in replies

With the held-out set (78 topics in the history, 4,059 distinct texts; 2026-11-30 11:12-11:21, load about 2.3):
c is run b's ranking (commit ffcba5c, ``--recall-only``), d the ranking with decisions recognised in more forms
and ranked against the talk the question matches (pseudo-relevance feedback, agent/recall/index.py):

    run                                  c (b's ranking)         d (feedback)
    recall@5, development (50)           41/50 = 0.82            47/50 = 0.94
    recall@5, held-out (28)              10/28 = 0.36            15/28 = 0.54
    query p50 / p95                      30.9 / 54.9 ms          36.5 / 55.4 ms
    the embedder alone, unique texts                             420 texts/s
    indexing, whole history (200,100)                            9,927 msg/s
    indexing, 500 fresh unique                                   332 msg/s (79% of the embedder's own rate)
    restart (200,600 messages)                                   7.6 s, 0 embedded
    new message searchable                                       0.65 s
    permissions, 1,000 queries                                   0 lines leaked, 0 forbidden canaries in replies

At 20,000 messages (``--messages 20000 --recall-only``): c 0.82 / 0.36, d 0.96 / 0.50 (development / held-out).
The decision recogniser of run d (``decides``, a word list) marks all 50 development decisions but only 14 of the
28 held-out ones (worded as people close a thread without its markers), and an unmarked decision competes as
plain talk. Run e (commit d3efdbf, 2026-11-30 12:10-12:12, a busy machine: load 3.3-4, the embedder at half
run d's rate) recognises decisions by a model as well: a logistic regression over the message's stored local
vector and its hashed words (agent/recall/decisions.py), trained on 765 hand-written chat lines on other topics
(agent/recall/data/decision_train/); a message is a decision when the word list or the model (P >= 0.85) says
so. A line said many times takes one place among the marked rows ranked by the talk (agent/recall/index.py):

    run                                  d (word list)           e (word list or model)
    recall@5, development (50)           47/50 = 0.94            47/50 = 0.94
    recall@5, held-out (28)              15/28 = 0.54            19/28 = 0.68
    query p50 / p95                      36.5 / 55.4 ms          122.1 / 527.6 ms (load; see below)
    the embedder alone, unique texts     420 texts/s             233 texts/s
    indexing, whole history (200,100)    9,927 msg/s             6,320 msg/s
    indexing, 500 fresh unique           332 msg/s (79%)         157 msg/s (67% of the embedder's own rate)
    restart (200,600 messages)           7.6 s, 0 embedded       14.1 s, 0 embedded
    new message searchable               0.65 s                  0.65 s
    permissions, 1,000 queries           0 leaked, 0 canaries    0 lines leaked, 0 forbidden canaries in replies

At 20,000 messages: d 0.96 / 0.50, e 0.96 / 0.68 (48/50, 19/28), query p50 13.5 ms.
Query time follows the machine's load, not the model: three runs back to back at 200,000 messages
(``--recall-only``, 12:12-12:15, load 2.8-2.9) gave p50 52.9 ms with the model, 96.9 ms without (the word list
alone) and 35.4 ms with it again. A profile puts the model's extra work (1,842 marked messages instead of 64,
ranked by the talk's words and meaning) at about 10 ms per query; the product of the query with all 200,000
vectors, unchanged, took 60 to 140 ms per query as the load moved.
The threshold was chosen on the development set alone (at 20,000 messages: 0.7 gives 0.88, 0.8 0.92, 0.85 and
0.9 0.96 with the word list; with the word list switched off, as if no development decision had its markers,
the model alone finds 33, 30, 29 and 23 of 50, against 11 of 50 with nothing marked). The held-out set was
scored five times while this was built, never to choose anything: once by mistake with a first, vector-only
model at P >= 0.5 (0.32: it marked a fifth of the history), then for run e's model before and after the
one-place change (0.68 both at 20,000 messages; 0.64 and 0.68 at 200,000). The model marks 121 distinct texts
of the 4,059 (64 by the word list: exactly the decisions it knows); the others are talk about a topic (votes,
doubts, work updates) it takes for decisions. The held-out figure is still far below the target: the model
recognises about half the decisions the word list misses (cross-validated on its own lines at 0.85: precision
0.93, recall 0.37). The development misses are vocabulary gaps the embedder does not bridge ("bot in front of
support" / "support chatbot", "merging the repositories" / "monorepo", and at 200,000 messages "documentation"
/ "docs").
Runs a and b used the embedder on both cores (and its rate alone on 200 longer texts). On one core
(``--messages 20000 --threads 1``, load average 1.3-2, 2026-11-30 11:25): fresh unique messages indexed at
252 msg/s with batches padded to multiples of 16 tokens (the embedder alone 263 texts/s), 280 msg/s with the
40 padded lengths (287 texts/s alone; 97%). The indexing target (300 msg/s per core) is bound by the embedder:
on one core MiniLM-L6 costs ~21 MFLOP a token, ~86% of it in its matrix products, which already run at
~190 GFLOP/s in bfloat16 here: about 7,500-8,600 tokens/s, so 290-330 of these 25-token messages a second
on one core (310 texts/s measured at load average ~1), 13-token chat lines about twice that
(bench/embed_backends.py --chat). Query time is mostly the query's embedding and the two dense passes; it
doubled with the machine's load.

Quiet machine, final code (2026-11-30 12:31, load 1.1, one core): run f at 200,000 messages: query p50 / p95
33.0 / 49.1 ms, recall@5 0.94 / 0.68, fresh ticket notes 285 msg/s (the embedder alone 306 texts/s), restart
8.3 s with 0 embedded again, searchable after 0.64 s, 0 leaked. Real chat instead of ticket notes
(``--messages 20000 --fresh-from ../shared/eval/sentiment/goemotions/goemotions.dev.jsonl``: 500 Reddit comments,
19 tokens on average), two runs alternating with two of the ticket notes (271 and 291 msg/s): 368 and 356 msg/s,
95-96 % of the embedder's 383 and 374 texts/s: over the 300 target for messages of chat's own length.

A second held-out set (HELD_OUT_2, 30 topics, bench/recall_data.py) was written by another session before its
changes and before any run on it; it joins the history (108 topics, 4,966 distinct texts at 200,000 messages,
so run f's figures moved: the development and first held-out sets are scored on a new history). Run g
(2026-11-30 14:39-14:46, load 3.1-4.6 from other sessions' work; commit 0faa170): the decision model reads the
message's form too (the words common to many training lines kept, the topic masked), 287 new training lines on
other topics (threads closed without decision words, and the same forms not closing anything), threshold 0.8,
a decision raised in the channel where the talk the question matches was held, and votes, preferences and
options laid out never decisions (agent/recall/decisions.py, agent/recall/index.py). Before: commit d2a04ec
(run f's ranking on the new history):

    run                                  before (d2a04ec)        g (0faa170)
    recall@5, development (50)           47/50 = 0.94            47/50 = 0.94
    recall@5, held-out (28)              19/28 = 0.68            23/28 = 0.82
    recall@5, held-out 2 (30)            9/30 = 0.30             14/30 = 0.47
    at 20,000 messages (--recall-only)   0.96 / 0.68 / 0.37      0.98 / 0.82 / 0.57
    query p50 / p95, back to back        109.0 / 291.4 ms        28.8 / 36.3 ms  (load 3.6-4.6; --recall-only)
    query p50 / p95, the full run                                141.0 / 427.4 ms (load 3.6-4.2)
    the embedder alone, unique texts                             307 texts/s
    indexing, whole history (200,100)                            4,794 msg/s
    indexing, 500 fresh unique                                   294 msg/s (96% of the embedder's own rate)
    restart (200,600 messages)                                   10.0 s, 0 embedded
    new message searchable                                       0.65 s
    permissions, 1,000 queries                                   0 lines leaked, 0 forbidden canaries in replies

(``python -m bench.recall`` for g's column; ``--recall-only`` for the before column; the query time follows the
other sessions' load, 28.8 to 141 ms for the same code within minutes.) Each step was chosen on the development
set alone (``--development-only``), also with the word list switched off as if no development decision had its
markers: recall@5 38/50 (the new model at 0.85) -> 41/50 at 20,000 messages; the model alone recognises 40 of
the 50 development decisions at 0.8 while marking none of the 1,600 talk lines the generator writes about those
topics and none of its 1,365 work updates (run f's model at its 0.85: 28 decisions, 8 talk lines, 41 updates).
Run g is still below the 0.9 target on both held-out sets: the development set's decisions carry the word list's
markers ("Decision:", "we agreed"), the held-out ones mostly do not, and the model finds 6 in 10 decisions
(cross-validated on its own lines at 0.8: precision 0.92, recall 0.60); an unmarked decision competes as plain talk,
against dozens of lines that name the topic and its options. Both held-out sets were scored only to report
(HELD_OUT_2: at 20,000 messages before, after the place change and for run g, at 200,000 before, after the place
change (0.40) and for run g; its misses were never printed). The change after that 0.40 (votes are no decisions)
came from the development misses at 200,000 messages, whose hits showed votes and option lists marked as decisions.
The generator's talk is twelve templates, three of them votes, preferences or option lists, so that rule helps on
this bench more than it would in real chat.

Run h (2026-11-30 21:55-22:08, load 1.6-3.6 from other sessions' work; branch recall-heldout). The first
development set was saturated (0.98) and its decisions carry the word list's markers; a second development set
(DEVELOPMENT_2, bench/recall_closing.py: 41 threads closed without them, "X it is", "👍 X then", "merged: …",
"Dramatiq. done.", plans stated as fact, non-native English) joins the history (149 topics, 4,271 distinct texts
at 20,000 messages, 6,300 at 200,000: the other sets are scored on a new history again). Its misses showed why
such decisions are lost: the model gives many of them 0.2-0.8, under the threshold, and an unmarked decision
competes as plain talk against dozens of lines naming its topic, while the decision rankings, made of marked rows
only, fill the first places with other topics' decisions. Every message now keeps its likelihood (the word list's
1, a question's 0, else the model's probability; agent/recall/decisions.py ``likelihoods``), and a question about
a decision ranks the rows at least 0.2 likely with the marked ones, by meaning raised by half their likelihood
and by the talk's words (agent/recall/index.py ``CANDIDATE_FLOOR``, ``LIKELY_WEIGHT``; 8% of the rows at 20,000
messages). Chosen on the development sets alone (at 20,000 messages, development / development 2: floor 0.2 with
weights 0.1-2 all 47 / 28, 0.3 47 / 24, 0.1 47 / 28-29, every row 42-46 / 11-20); larger feedback (20 hits, 16
terms) changed nothing; 154 new training lines in the same terse forms (on other topics) moved development 2 by
0 to +1 with this ranking and were not kept. Before: commit 07adcf6 (this history, the ranking of run g);
``--recall-only``, back to back:

    run                                  before (07adcf6)        h
    at 20,000 messages (21:56-22:00)
    recall@5, development (50)           47/50 = 0.94            47/50 = 0.94
    recall@5, held-out (28)              22/28 = 0.79            25/28 = 0.89
    recall@5, held-out 2 (30)            17/30 = 0.57            20/30 = 0.67
    recall@5, development 2 (41)         19/41 = 0.46            28/41 = 0.68
    query p50 / p95                      26.0 / 32.6 ms          34.1 / 50.1 ms
    at 200,000 messages (22:02-22:08)
    recall@5, development (50)           47/50 = 0.94            46/50 = 0.92
    recall@5, held-out (28)              23/28 = 0.82            24/28 = 0.86
    recall@5, held-out 2 (30)            14/30 = 0.47            17/30 = 0.57
    recall@5, development 2 (41)         16/41 = 0.39            22/41 = 0.54
    query p50 / p95                      184.8 / 459.7 ms        73.1 / 146.0 ms (the load moved: see run g)

The full run of h at 20,000 messages (``--messages 20000``, 22:11-22:14, load 3-3.5): 0 lines leaked and 0 forbidden
canaries in 1,000 queries, a new message searchable after 0.67 s, restart 0 embedded again, recall@5 as above.

On the history without the second development set (commit ba72dfb, untouched, 21:55, 20,000 messages): 0.98 / 0.82
/ 0.57, p50 28.8 ms. The held-out sets were scored only for this table, the untouched checkout at 21:24 (the same
figures) and once at 21:25 with a first draft of the set; their misses were never printed. The target (0.9) is
still missed on both held-out sets: the remaining development 2 misses are questions whose words match another
topic's talk ("which event are we having a stand at?" finds the standing desks and the analytics events),
decisions that do not name the topic or an option the talk nearest the question names ("merged: every rep gets
their own sandbox"), and decisions the model reads as talk ("Mapbox. Google's new pricing would cost us 4k a
month": 0.08). While building the set, --misses printed held-out decisions among a development question's hits
(another topic's lines), and a diagnostic printed some held-out talk lines; --misses now hides both, and nothing
was chosen from them.

Run i (2026-12-01 02:55-03:25, load 3.2-9.7 from other sessions' work; branch recall-settle): a hit that asks (a
question, a proposal) is shown with the reply that settled it beneath it, the last decision in its thread or, with
no thread, in the next 8 messages of its channel on its subject, else a yes to the proposal
(agent/recall/settling.py), and such a reply counts toward recall@5. Before: commit 4acaa5e (``--messages 20000
--recall-only``, from an export of the commit); i: the same, then the full run (``--messages 20000``):

    run                                  before (4acaa5e)        i
    recall@5, development (50)           47/50 = 0.94            47/50 = 0.94
    recall@5, held-out (28)              25/28 = 0.89            25/28 = 0.89
    recall@5, held-out 2 (30)            20/30 = 0.67            20/30 = 0.67
    recall@5, development 2 (41)         28/41 = 0.68            28/41 = 0.68
    query p50 / p95                      38.2 / 76.3 ms          35.5 / 48.0 ms (full run: 57.3 / 100.6, load 3-4)
    the embedder alone, unique texts                             58 texts/s (a busy machine)
    restart (20,600 messages)                                    3.7 s, 0 embedded
    new message searchable                                       0.67 s
    permissions, 1,000 queries                                   0 lines leaked (replies beneath hits included),
                                                                 0 forbidden canaries in replies

Unchanged, as this history has no threads and puts each decision at a random place in its topic's channel, not
after a question on it. Over the first 5 hits of the 91 development questions and the 150 topic queries (a
diagnostic run on the development sets only), 18 of 1,203 hits had a reply beneath them (7 distinct pairs): 8 a
decision on the question's topic that followed it ("does bean-to-cup even work for the office coffee machine?" ->
"bean-to-cup it is ☕ ordered, arrives Tuesday"), 1 a held-out topic's pair (not printed), 9 a "+1" or "sounds
good" the generator happened to put right after "should we go with X for Y?" (what the summary reads as a yes, as
it would be in real chat). No development
miss had among its first 5 hits a question whose reply was its decision: their hits are other topics' decisions
and talk that asks nothing ("my vote on …", "I'd rather not …"). Nothing was tuned; the held-out sets were scored
three times, once before and twice after (--recall-only and the full run), only for this table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from agent.embeddings import LocalEmbedder
from agent.memory.models import StoredMessage
from agent.recall.access import Visibility, shown_in
from agent.recall.answer import render
from agent.recall.service import RecallService
from agent.storage.recall_store import recall_store
from agent.storage.sqlite import SqliteStorage
from agent.storage.sqlite.messages import adding
from bench.recall_data import ALL_TOPICS, DEVELOPMENT_2, HELD_OUT, HELD_OUT_2, TOPICS, history, unique_messages

W = "slack:T1:"
FRESH = 500  # unique messages through the change feed
# the question sets in ALL_TOPICS' order: the development sets are for tuning, the held-out ones only to report
SETS = [("development", TOPICS), ("held-out", HELD_OUT), ("held-out 2", HELD_OUT_2), ("development 2", DEVELOPMENT_2)]


def held_out(text: str) -> bool:
    """A held-out set's decision, or a line naming one of its topics: ``--misses`` never prints them (a
    development question's hits may be another topic's lines)."""
    lowered = text.lower()
    return any(text == decision or topic.lower() in lowered for topic, _, decision, _ in HELD_OUT + HELD_OUT_2)


def developing(n: int) -> bool:
    """Is ALL_TOPICS[n] a development question (its misses may be printed)?"""
    start = 0
    for name, topics in SETS:
        if n < start + len(topics):
            return name.startswith("development")
        start += len(topics)
    return False


def key(i: int) -> str:
    return f"{W}C{i:03d}"


class Table:
    def __init__(self, table: Mapping[str, Visibility]) -> None:
        self.table = dict(table)

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        return {k: self.table.get(k) for k in channel_keys}

    async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        return dict.fromkeys(threads, True)

    def link(self, channel_key: str, thread: str | None, message_id: str) -> str | None:
        return f"https://example.slack.com/archives/{channel_key.rsplit(':', 1)[-1]}/p{message_id}"

    def label(self, channel_key: str) -> str | None:
        return "#" + channel_key.rsplit(":", 1)[-1]


def alice_table() -> dict[str, Visibility]:
    table: dict[str, Visibility] = {key(i): "public" for i in range(30)}
    table.update({key(i): "private" for i in range(30, 35)})  # 35-39: private, not hers
    table[key(40)] = "dm"  # 41-47: other people's DMs; 48-49: public channels she left
    return table


async def store_lines(store: SqliteStorage, lines: Sequence[tuple[str, str, str, str, float]]) -> None:
    statements = [adding(StoredMessage(k, mid, f"U{who}", who, text, datetime.fromtimestamp(at, UTC)))
                  for k, mid, who, text, at in lines]
    for start in range(0, len(statements), 5000):
        part = statements[start:start + 5000]
        await store.db.write_many(part[0][0], [params for _, params in part])


def fresh_texts(path: Path | None) -> list[str]:
    """2 x FRESH distinct texts for the fresh-indexing run: the generated ticket notes, or the ``text`` of a
    JSONL file's rows (real chat, e.g. ../shared/eval/sentiment/goemotions/goemotions.dev.jsonl)."""
    if path is None:
        return unique_messages(2 * FRESH)
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    texts = list(dict.fromkeys(str(row["text"]).strip() for row in rows if str(row.get("text", "")).strip()))
    if len(texts) < 2 * FRESH:
        raise SystemExit(f"{path}: {len(texts)} distinct texts, {2 * FRESH} needed")
    return texts[:2 * FRESH]


async def main(total: int, threads: int, recall_only: bool = False, misses: bool = False,
               fresh_from: Path | None = None, development_only: bool = False) -> None:
    folder = Path(tempfile.mkdtemp(prefix="confab-recall-bench-"))
    store = await SqliteStorage.open(folder / "bench.db")
    lines = history(total)
    rows = [(key(line.channel), f"{1_760_000_000 + i}.000100", line.author, line.text, line.at)
            for i, line in enumerate(lines)]
    # lines only each non-public channel has: what the permission run must never show elsewhere
    canaries = [(key(c), f"9{c:03d}{n}.000100", "zed", f"zebra marmalade canary-{c:03d} export cap budget note {n}",
                 lines[-1].at) for c in range(30, 50) for n in range(5)]
    rows += canaries
    t0 = time.perf_counter()
    await store_lines(store, rows)
    print(f"stored {len(rows):,} messages in {time.perf_counter() - t0:.1f} s")

    embedder = LocalEmbedder(model_cache_dir=folder / "models", cache_size=20_000,  # a year of "ok" and "lgtm"
                             threads=threads or None)
    await asyncio.to_thread(embedder.warm_up)
    recall = RecallService(recall_store(store), lambda: embedder)
    t0 = time.perf_counter()
    await recall.load()
    took = time.perf_counter() - t0
    print(f"indexing, whole history: {len(rows):,} messages in {took:.1f} s = {len(rows) / took:,.0f} msg/s "
          f"({len({r[3] for r in rows}):,} distinct texts)")

    if not recall_only:
        texts = fresh_texts(fresh_from)
        fresh = [(key(i % 30), f"17{i:08d}.000200", "omar", text, lines[-1].at + i)
                 for i, text in enumerate(texts[:FRESH])]
        alone = texts[FRESH:]  # as many others of the same kind
        t0 = time.perf_counter()
        embedder.embed(alone)
        raw = len(alone) / (time.perf_counter() - t0)
        print(f"the embedder alone, unique texts: {raw:,.0f} texts/s ({threads or 'all'} cores)")
        await store_lines(store, fresh)
        t0 = time.perf_counter()
        applied = await recall.sync()
        took = time.perf_counter() - t0
        print(f"indexing, fresh unique messages: {applied:,} in {took:.1f} s = {applied / took:,.0f} msg/s "
              f"({applied / took / raw:.0%} of the embedder's own rate)")

        again = RecallService(recall_store(store), lambda: embedder)
        t0 = time.perf_counter()
        await again.load()
        print(f"restart: {len(again.index or []):,} messages loaded in {time.perf_counter() - t0:.1f} s, "
              f"{again.embedded} embedded again")

    everything = Table({key(i): "public" for i in range(50)} | {key(40): "dm"})
    here = key(40)
    rng = random.Random(7)
    queries = [q for _, _, _, q in ALL_TOPICS] + [f"{rng.choice(TOPICS)[0]} {rng.choice(['update', 'options', 'risk'])}"
                                                  for _ in range(150)]
    times, hit = [], []
    deciding = {line.topic: f"{1_760_000_000 + i}.000100" for i, line in enumerate(lines) if line.topic is not None}
    for n, query in enumerate(queries):
        t0 = time.perf_counter()
        result = await recall.search(query, here, everything)
        times.append((time.perf_counter() - t0) * 1000)
        if n < len(ALL_TOPICS):
            # the first 5 hits, each with the reply that settled it when it asked something (shown beneath it)
            ids = [e.message_id for h in result.hits[:5] for e in (h.entry, h.settled) if e is not None]
            hit.append(deciding[n] in ids)
            if misses and developing(n) and not hit[-1]:  # the development sets only: the held-out stay unseen
                print(f"MISS {query!r} (decision: {ALL_TOPICS[n][2]!r})")
                for h in result.hits[:5]:
                    shown = "(a held-out topic's line)" if held_out(h.entry.text) else repr(h.entry.text)
                    print(f"    {h.decision:d} {h.similarity:.2f} {shown}")
                    if h.settled is not None:
                        print("      settled by " + ("(a held-out topic's line)" if held_out(h.settled.text)
                                                     else repr(h.settled.text)))
    times.sort()
    print(f"query over {len(recall.index or []):,} messages: p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * len(times))]:.1f} ms ({len(times)} queries, embedding included)")
    scored, start = [], 0
    for name, topics in SETS:
        found = sum(hit[start:start + len(topics)])
        if not development_only or name.startswith("development"):
            scored.append(f"{name} {found}/{len(topics)} = {found / len(topics):.2f}")
        start += len(topics)
    print(f"recall@5 of the deciding message: {', '.join(scored)}")
    if recall_only:
        await store.close()
        return

    runner = asyncio.create_task(recall.run(every_s=1.0))
    waits = []
    for i in range(5):
        mid = f"18{i:08d}.000300"
        await asyncio.sleep(0.37)
        t0 = time.perf_counter()
        await store.messages.add(StoredMessage(key(3), mid, "Upia", "pia", f"brand new remark number {i} about kites",
                                               datetime.now(UTC)))
        while (recall.index is None or recall.index.get(key(3), mid) is None) \
                and time.perf_counter() - t0 < 30:  # noqa: ASYNC110 (polling the index is what is measured)
            await asyncio.sleep(0.01)
        waits.append(time.perf_counter() - t0)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    print(f"new message searchable after: max {max(waits):.2f} s, mean {statistics.mean(waits):.2f} s (5 messages)")

    table = alice_table()
    alice = Table(table)
    places = list(table)
    leaked = leaked_text = 0
    forbidden = {f"canary-{c:03d}" for c in range(30, 50)}
    for _ in range(1000):
        where = rng.choice(places)
        query = rng.choice([rng.choice(TOPICS)[3], "zebra marmalade export cap", "canary budget note",
                            rng.choice(TOPICS)[0]])
        result = await recall.search(query, where, alice)
        for line in [e for hit in result.hits for e in (hit.entry, hit.settled) if e is not None]:
            if not shown_in(where, table.get(where), line.channel_key, table.get(line.channel_key)):
                leaked += 1
        text = render(result, alice, where, decision=False)
        allowed = {f"canary-{c:03d}" for c in range(30, 50) if shown_in(where, table.get(where), key(c),
                                                                        table.get(key(c)))}
        leaked_text += sum(1 for word in forbidden - allowed if word in text)
    print(f"permissions: 1000 queries over 50 channels: {leaked} lines leaked, {leaked_text} forbidden canaries "
          "in the replies")
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000, help="history size (20000 for a quick run)")
    parser.add_argument("--threads", type=int, default=1, help="cores the embedder uses (0: all)")
    parser.add_argument("--recall-only", action="store_true",
                        help="index the history and measure query time and recall only")
    parser.add_argument("--misses", action="store_true", help="print the development questions missed, with hits")
    parser.add_argument("--development-only", action="store_true",
                        help="report recall on the development questions only (tuning: the held-out stay unseen)")
    parser.add_argument("--fresh-from", type=Path, help="JSONL whose rows' \"text\" are the fresh messages (real chat)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.threads, arguments.recall_only, arguments.misses,
                     arguments.fresh_from, arguments.development_only))

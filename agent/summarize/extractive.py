"""The offline summarizer: speaker-aware extractive selection over local sentence embeddings.

Messages are split into sentence units and embedded. A unit's salience is its centrality (cosine to the
conversation's centroid and to its nearest neighbours) weighted by how much content it carries; maximal
marginal relevance (MMR) then picks units that are salient but not redundant, with a bonus for speakers
not yet heard from. The TL;DR is the top picks (within a word budget) retold in the third person; key
points, decisions, action items and open questions keep the ids of the messages they come from.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from agent.embeddings import SHORT_TEXT_MAX_CHARS, Embedder
from agent.memory.models import StoredMessage
from agent.summarize import signals
from agent.summarize.actions import collect_actions
from agent.summarize.model import ActionItem, Coverage, Point, Summary
from agent.summarize.questions import agreed_proposals, open_questions
from agent.summarize.rewrite import reported, third_person, without_connective
from agent.summarize.topic import about, relevance
from agent.text import after_thanks, clip, sentences

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9#@])")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_STOP = signals.STOP_WORDS
MAX_UNITS_PER_MESSAGE = 6
_FILLER = re.compile(r"(?i)(?<![\w'-])(?:mm-?hmm|uh-?huh|u+h+|u+m+|uhm|erm|hm+|m{2,})(?![\w'-])[,.]?")
_EH = re.compile(r"(?i)(?<![\w'-])eh(?![\w'-])[,.]?")
# a word or two said again as people do when they talk ("I I I saw", "the the file", "we 're we 're recording")
_SAID_WORD = r"[\w']+(?: '[a-z]+)?"  # a word, with a transcript's split contraction ("we 're")
_STUTTER = re.compile(rf"(?i)(?<![\w'-])(?!(?:had|that) \w)({_SAID_WORD}(?: {_SAID_WORD})?)(?:,? \1)+(?![\w'-])")
_SPLIT_CONTRACTION = re.compile(r"(?i)(?<=\w) ('(?:s|re|ve|ll|d|m|t)|n't)\b")  # transcripts' "we 're", "do n't"
NEIGHBOUR_POOL = 2000
POINT_CHARS = 220  # a decision or open question, at most
LIST_LIMIT = 10  # decisions / action items / open questions shown (the newest); the rest are counted
EMBED_LIMIT = 500  # longer windows: a lexical (TF-IDF) pass picks this many candidates to embed (speed)
TLDR_FRACTION = 0.25  # TL;DR length as a share of the conversation's words, within the bounds below
TLDR_MIN_WORDS = 25
TLDR_MAX_WORDS = 60
TLDR_LONG_FROM = 50  # messages: a longer conversation gets a longer TL;DR, growing with the log of its length
TLDR_LONG_GROWTH = 1.0  # extra share of TLDR_MAX_WORDS per tenfold messages beyond TLDR_LONG_FROM
TLDR_LONGEST = 150  # words
TLDR_UNIT_WORDS = 15  # a TL;DR holds up to budget / this many sentences (at least 4)
TLDR_DIVERSITY = 0.35
TLDR_LONGEST_PICK = 0.5  # share of the TL;DR's words one sentence may take
POSITION_PRIOR = 1.0  # weight of a preference for units that open a short conversation (its topic)
PRIOR_SPAN = 40  # the prior fades for longer windows: a busy channel's first lines are not its topic
_GROUP = re.compile(r"\b(?:(?:hi|hey|hello|thanks|thank you|morning|ok|okay) (?:all|everyone|everybody|team|folks|"
                    r"guys|y'all|people)\b|you (?:all|guys|folks|both|two)\b|y'all\b)", re.I)
SUBSTANTIAL = 3  # content words a unit needs to be a TL;DR candidate (when enough units have them)


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    index: int  # message position in the input
    content: int  # number of content words


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


def split_units(messages: Sequence[StoredMessage]) -> list[Unit]:
    units: list[Unit] = []
    for index, message in enumerate(messages):
        pieces = [p for p in (without_fillers(p) for p in _SENTENCE.split(" ".join(message.text.split()))) if p]
        for piece in pieces[:MAX_UNITS_PER_MESSAGE]:
            units.append(Unit(piece, index, len(content_words(piece))))
    return units


def without_fillers(text: str) -> str:
    """``text`` without spoken fillers ("uh", "um", "hmm"): transcribed speech and chat written as people talk
    carry them, and a summary that quotes them reads badly."""
    return " ".join(_FILLER.sub(" ", text).split()).strip(" ,")


def fluent(text: str) -> str:
    """A transcribed sentence as it is retold: without "eh", words said twice ("I I I saw the the file") and the
    transcripts' split contractions ("we 're"). Only what is shown: which sentences a summary picks is decided on
    the words as said (cleaned before the choice, QMSum's ROUGE-1 fell from 25.90 to 25.13: other sentences won)."""
    text = _SPLIT_CONTRACTION.sub(r"\1", " ".join(_EH.sub(" ", text).split()))
    return _STUTTER.sub(r"\1", text).strip(" ,")


def lexical_candidates(units: Sequence[Unit], limit: int, topic: str | None = None) -> list[Unit]:
    """The ``limit`` units most central by TF-IDF (times content), in conversation order; with a ``topic``, half
    of them are the units closest to it by TF-IDF instead."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([u.text for u in units])
    except ValueError:  # nothing but stop words / symbols
        return list(units[:limit])
    centroid = np.asarray(matrix.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid)) or 1.0
    central = matrix @ (centroid / norm)
    content = np.array([u.content for u in units], dtype=np.float64)
    score = central * np.minimum(1.0, np.log1p(content) / np.log1p(8.0))
    keep = [int(k) for k in np.argsort(-score, kind="stable")[:limit]]
    if topic is not None:
        wanted = vectorizer.transform([topic])
        near = np.asarray((matrix @ wanted.T).todense()).ravel()
        closest = [int(k) for k in np.argsort(-near, kind="stable")[: limit // 2] if near[k] > 0]
        keep = list(dict.fromkeys([*closest, *keep]))[:limit]
    return [units[i] for i in sorted(keep)]


def salience(vectors: np.ndarray, weights: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Centrality: cosine to the weighted centroid plus mean cosine to the nearest neighbours."""
    centroid = (vectors * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(centroid)) or 1.0
    to_centroid = vectors @ (centroid / norm)
    if len(vectors) > 1:
        # neighbours among a fixed sample keeps this O(n) for very long channels
        pool = vectors if len(vectors) <= NEIGHBOUR_POOL else vectors[
            np.random.default_rng(0).choice(len(vectors), NEIGHBOUR_POOL, replace=False)]
        k = min(neighbours, len(pool) - 1)
        local = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), 1024):
            sims = vectors[start: start + 1024] @ pool.T
            sims[sims > 0.9999] = -1.0  # the unit itself (or an exact copy)
            local[start: start + 1024] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    else:
        local = np.ones(len(vectors), dtype=np.float32)
    return np.asarray(0.6 * to_centroid + 0.4 * local, dtype=np.float64)


def mmr(vectors: np.ndarray, scores: np.ndarray, speakers: Sequence[str], limit: int,
        budget_words: int | None = None, words: Sequence[int] = (), diversity: float = 0.35,
        speaker_bonus: float = 0.05, exclude: set[int] | None = None) -> list[int]:
    """Maximal marginal relevance with a bonus for speakers not yet represented (vectorised)."""
    n = len(scores)
    names = {name: i for i, name in enumerate(dict.fromkeys(speakers))}
    speaker_ids = np.array([names[s] for s in speakers], dtype=np.int64)
    heard = np.zeros(len(names), dtype=bool)
    length = np.asarray(words if len(words) else np.zeros(n), dtype=np.float64)
    open_ = np.ones(n, dtype=bool)
    if exclude:
        open_[list(exclude)] = False
    max_sim = np.zeros(n, dtype=np.float64)
    chosen: list[int] = []
    used = 0.0
    while len(chosen) < limit:
        allowed = open_.copy()
        if budget_words is not None and chosen:
            allowed &= used + length <= budget_words
        if not allowed.any():
            break
        values = (1 - diversity) * scores - diversity * max_sim + speaker_bonus * ~heard[speaker_ids]
        best = int(np.argmax(np.where(allowed, values, -np.inf)))
        chosen.append(best)
        open_[best] = False
        heard[speaker_ids[best]] = True
        used += length[best]
        max_sim = np.maximum(max_sim, np.clip(vectors @ vectors[best], 0.0, None))
        if budget_words is not None and used >= budget_words:
            break
    return chosen


def _addressee(messages: Sequence[StoredMessage], index: int, names: Sequence[str],
               loose: bool = False) -> str | None:
    """Whom a message's "you" means: the person it names (``@bob``, ``bob, …``); in a two-person exchange
    the other person; "everyone" when it greets the group; with ``loose``, else the last other person to
    speak (chat replies to the last speaker)."""
    named, _ = signals.address(messages[index].text, names)
    if named is not None:
        return named
    speaker = messages[index].author_name
    for step in (-1, 1, -2, 2):
        j = index + step
        if 0 <= j < len(messages) and messages[j].author_name != speaker:
            others = {m.author_name for m in messages[max(0, index - 3): index + 4]} - {speaker}
            if len(others) == 1:
                return messages[j].author_name
            break
    if _GROUP.search(messages[index].text):  # "thanks all, see you …", "can you all …"
        return "everyone"
    if loose:
        for j in range(index - 1, max(-1, index - 4), -1):
            if messages[j].author_name != speaker:
                return messages[j].author_name
    return None


def summarize_extractive(messages: Sequence[StoredMessage], embedder: Embedder,
                         coverage: Coverage | None = None, max_points: int | None = None,
                         bot_name: str | None = None, topic: str | None = None,
                         to_bot: Collection[str] = ()) -> Summary:
    """``bot_name``: messages addressed to the bot are content too ("@confab remind us to …" is an action
    item), and a question put to it is answered by it. ``to_bot``: ids of messages the bot answered though they
    don't name it (a follow-up in its thread). ``topic``: only what is about it (topic.py)."""
    messages = with_names([m for m in messages if m.text.strip() and not m.deleted and not m.is_bot])
    coverage = coverage or describe_coverage(messages)
    participants = Counter(m.author_name for m in messages).most_common()
    numbers = {m.id: i + 1 for i, m in enumerate(messages)}
    if not messages:
        return Summary(tldr="There is nothing to summarize yet.", coverage=coverage, numbers=numbers)
    if max_points is None:  # 3 points for a short exchange, up to 8 for a busy day
        max_points = min(8, max(3, round(2 * np.log10(len(messages) + 1)) + 2))
    names = [name for name, _ in participants]
    everyone = [*names, *([bot_name] if bot_name and bot_name not in names else [])]
    put_to_bot = {i for i, m in enumerate(messages) if m.id in to_bot} if bot_name else set()
    you = [bot_name if i in put_to_bot else _addressee(messages, i, everyone, loose=True)
           for i in range(len(messages))]
    units = split_units(messages)
    if len(units) > EMBED_LIMIT:
        units = lexical_candidates(units, EMBED_LIMIT, topic)
    # a long sentence is embedded by its start (speed) and shown whole
    vectors = embedder.embed([u.text[:SHORT_TEXT_MAX_CHARS] for u in units])
    content = np.array([u.content for u in units], dtype=np.float64)
    # content-poor units ("ok", "thanks!") carry little; long ones are capped so they don't win by length
    info = np.minimum(1.0, np.log1p(content) / np.log1p(8.0))
    scores = salience(vectors, np.maximum(content, 0.5)) * info
    off_topic: set[int] = set()
    if topic is not None:
        on_topic = _about(topic, units, vectors, embedder)
        if not on_topic.any():
            return Summary(tldr=f"Nothing in these messages is about {topic}.", coverage=coverage, numbers=numbers,
                           participants=participants)
        off_topic = {i for i in range(len(units)) if on_topic[i] == 0.0}
        scores = np.asarray(scores * (0.25 + 0.75 * on_topic), dtype=np.float64)
    if POSITION_PRIOR:
        weight = POSITION_PRIOR * min(1.0, PRIOR_SPAN / len(messages))
        position = np.array([u.index / max(1, len(messages) - 1) for u in units])
        scores = scores * (1 + weight * (1 - position))
    speakers = [messages[u.index].author_name for u in units]
    words = [len(u.text.split()) for u in units]
    total_words = sum(words)
    budget = int(min(tldr_words(len(messages)), max(TLDR_MIN_WORDS, TLDR_FRACTION * total_words), 0.6 * total_words))
    thin = {i for i, u in enumerate(units) if u.content < SUBSTANTIAL}
    # a rambling turn (a transcript's run-on sentence) would fill the TL;DR alone: it holds several picks instead
    rambling = {i for i, n in enumerate(words) if n > TLDR_LONGEST_PICK * budget}
    left = len(units) - len(off_topic)  # the units the TL;DR may tell (all of them without a topic)
    keep_out = thin | rambling if left - len((thin | rambling) - off_topic) >= 2 else thin
    if left - len(keep_out - off_topic) < 2:  # too few would be left: thin and rambling ones may go in
        keep_out = set()
    skipped = keep_out | off_topic  # off-topic units never: a summary about a topic tells nothing else
    tldr_ids = mmr(vectors, scores, speakers, limit=max(4, budget // TLDR_UNIT_WORDS), budget_words=budget,
                   words=words, diversity=TLDR_DIVERSITY, exclude=skipped or None)
    picked = [(units[i], float(scores[i])) for i in tldr_ids]
    kept = {units[i].index for i in range(len(units)) if i not in off_topic}  # messages the summary is about
    salient: dict[int, float] | None = None  # a long conversation's: each message's best unit score
    if len(messages) > TLDR_LONG_FROM:
        salient = {}
        for unit, score in zip(units, scores, strict=True):
            salient[unit.index] = max(salient.get(unit.index, 0.0), float(score))
    agreed = agreed_proposals(messages)
    decision = _tldr_decision(messages, salient, agreed)
    if decision is not None and (topic is None or decision.index in kept) and not any(
            u.index == decision.index and (signals.is_decision(u.text) or u.index in agreed) for u, _ in picked):
        # the decision is what a team needs first: it goes in, the least salient picks make room
        while picked and sum(len(u.text.split()) for u, _ in picked) + len(decision.text.split()) > budget:
            picked.remove(min(picked, key=lambda pick: pick[1]))
        picked.append((decision, float("inf")))
    picked.sort(key=lambda pick: (pick[0].index, units.index(pick[0]) if pick[0] in units else 0))
    tldr = " ".join(_retell(messages, u, everyone, you, put_to_bot) for u, _ in picked)
    tldr_sources = tuple(dict.fromkeys(messages[u.index].id for u, _ in picked))
    substantial = len(units) - len(thin) >= min(max_points, len(units))
    point_ids = mmr(vectors, scores, speakers, limit=max_points, diversity=0.5,
                    exclude=(thin if substantial else set()) | off_topic or None)
    point_ids.sort()
    key_points = [Point(_retell(messages, units[i], everyone, you, put_to_bot), (messages[units[i].index].id,))
                  for i in point_ids]
    decisions, actions, questions = _signals(messages, vectors, units, names, bot_name, you, put_to_bot, agreed)
    if topic is not None:
        ids = {messages[i].id for i in kept}
        decisions = [p for p in decisions if p.sources[0] in ids]
        questions = [p for p in questions if p.sources[0] in ids]
        actions = [a for a in actions if set(a.sources) & ids]
    # long lists keep their newest items; the rest are counted, never silently dropped
    more = {"decisions": max(0, len(decisions) - LIST_LIMIT), "action items": max(0, len(actions) - LIST_LIMIT),
            "open questions": max(0, len(questions) - LIST_LIMIT)}
    return Summary(tldr=tldr, tldr_sources=tldr_sources, key_points=key_points, decisions=decisions[-LIST_LIMIT:],
                   action_items=actions[-LIST_LIMIT:], open_questions=questions[-LIST_LIMIT:],
                   participants=participants, coverage=coverage, numbers=numbers,
                   more={k: v for k, v in more.items() if v})


def tldr_words(messages: int) -> int:
    """The longest TL;DR for a conversation of ``messages``: TLDR_MAX_WORDS up to TLDR_LONG_FROM messages, then
    growing with the log of the length (a meeting of 900 turns covers more than a thread of 30), up to
    TLDR_LONGEST."""
    if messages <= TLDR_LONG_FROM:
        return TLDR_MAX_WORDS
    grown = TLDR_MAX_WORDS * (1 + TLDR_LONG_GROWTH * np.log10(messages / TLDR_LONG_FROM))
    return int(min(TLDR_LONGEST, grown))


def _about(topic: str, units: Sequence[Unit], vectors: np.ndarray, embedder: Embedder) -> np.ndarray:
    """Each unit's weight in a summary about ``topic`` (0: not about it; topic.py)."""
    wanted = set(content_words(topic))
    found = [set(content_words(u.text)) for u in units]
    scores = relevance(embedder.embed([topic[:SHORT_TEXT_MAX_CHARS]])[0], vectors, wanted, found)
    return about(scores, [bool(wanted & words) for words in found])


def with_names(messages: Sequence[StoredMessage]) -> list[StoredMessage]:
    """Mentions by user id (``@U024BE7LH``) of people who speak in the window read as their names."""
    names_by_id = {m.author_id: m.author_name for m in messages if m.author_id != m.author_name}
    return [m if "@" not in m.text else replace(m, text=signals.name_mentions(m.text, names_by_id))
            for m in messages]


def _tldr_decision(messages: Sequence[StoredMessage], salient: dict[int, float] | None = None,
                   agreed: dict[int, tuple[int, str]] | None = None) -> Unit | None:
    """The sentence stating the team's decision ("we agreed", "decision: …", "we're going with …", a yes to a
    proposal that says what happens: "should we roll back?" "yes, rolling back to v2.31 now"): in a thread,
    the latest one (a later decision revises an earlier one); in a long conversation (``salient``: its messages'
    salience), the most central one, since a meeting or a day decides several things and its last "as we agreed"
    is not what it was about (QMSum val ROUGE-1/2/L 25.88 / 4.24 / 14.61 -> 26.13 / 4.34 / 14.75). Weaker cues
    ("approved", "let's do") stay in the decisions list but don't displace the TL;DR's picks."""
    said_yes = {i: rest for i, (_, rest) in (agreed or {}).items() if len(rest.split()) >= 2}
    strong = sorted({i for i, m in enumerate(messages) if signals.decision_strength(" ".join(m.text.split())) == 2}
                    | set(said_yes))
    if not strong:
        return None
    index = strong[-1] if salient is None else max(strong, key=lambda i: (salient.get(i, 0.0), i))
    if index in said_yes and not signals.is_decision(messages[index].text):
        return Unit(said_yes[index], index, len(content_words(said_yes[index])))
    pieces = [p for p in (without_fillers(p) for p in _SENTENCE.split(" ".join(messages[index].text.split()))) if p]
    text = next((p for p in pieces if signals.is_decision(p)), pieces[0] if pieces else messages[index].text)
    return Unit(text, index, len(content_words(text)))


def _retell(messages: Sequence[StoredMessage], unit: Unit, names: Sequence[str],
            you: Sequence[str | None], put_to_bot: Collection[int] = ()) -> str:
    message = messages[unit.index]
    named, text = signals.address(unit.text, names)  # "@dave can you …": dave is "you", and not a vocative
    named = named or signals.address(message.text, names)[0]
    if named is not None and text.split() and text.split()[0].lower() in signals.IMPERATIVE:
        text = "Please " + text[:1].lower() + text[1:]  # "bob, … Run the backfill" asks bob to run it
    if unit.index in put_to_bot:
        named = named or you[unit.index]  # a follow-up the bot answered: it was put to the bot
    named = named or _addressee(messages, unit.index, names)
    return clip(reported(fluent(text), message.author_name, named, you=you[unit.index], others=tuple(names)), 300,
                keep_lines=True)


def _signals(messages: Sequence[StoredMessage], vectors: np.ndarray, units: Sequence[Unit], names: Sequence[str],
             bot_name: str | None, you: Sequence[str | None], put_to_bot: set[int],
             agreed: dict[int, tuple[int, str]]) -> tuple[list[Point], list[ActionItem], list[Point]]:
    everyone = [*names, *([bot_name] if bot_name and bot_name not in names else [])]
    decisions: list[Point] = []
    for index, (message, addressee) in enumerate(zip(messages, you, strict=True)):
        text = " ".join(message.text.split())
        if index in agreed and not signals.is_decision(text):  # "should we roll back?" "yes, rolling back now"
            proposal = messages[agreed[index][0]]
            asked = reported((sentences(after_thanks(proposal.text)) or [proposal.text])[-1], proposal.author_name)
            said = third_person(text, message.author_name, proposal.author_name)
            decisions.append(Point(f"{asked.rstrip('.')}; {message.author_name}: {clip(said, POINT_CHARS)}",
                                   (proposal.id, message.id)))
        elif signals.is_decision(text):
            _, body = signals.address(text, everyone)
            # the decision, not a question after it ("… any objections?", "…, bob can you book it?")
            body = " ".join(part for part in sentences(body) if not signals.is_question(part)) or body
            said = third_person(body, message.author_name, addressee)
            decisions.append(Point(f"{message.author_name}: {clip(said, POINT_CHARS, keep_lines=True)}", (message.id,)))
    confident = [_addressee(messages, i, everyone) for i in range(len(messages))]
    actions, requests = collect_actions(messages, names, bot_name, confident)
    by_message: dict[int, list[int]] = {}
    for u, unit in enumerate(units):
        by_message.setdefault(unit.index, []).append(u)
    questions = []
    for index in open_questions(messages, vectors, by_message, names, bot_name, requests | put_to_bot):
        message = messages[index]
        named, body = signals.address(" ".join(message.text.split()), everyone)
        body = without_connective(after_thanks(body))  # "Great, found them. Also, should we …?"
        direct = body[:1].upper() + body[1:]
        if third_person(direct, message.author_name, named or you[index]) != direct:
            # "I" or "you" had to become names ("how do I deploy it?"): told as reported speech, which orders
            # the words for them ("alice asks how alice deploys it"), not quoted ("how do alice deploy it?")
            said = reported(body, message.author_name, named, you=you[index])
            questions.append(Point(clip(said, POINT_CHARS, keep_lines=True), (message.id,)))
            continue
        lead = f"{message.author_name} asks {named}" if named else message.author_name
        questions.append(Point(f"{lead}: {clip(direct, POINT_CHARS, keep_lines=True)}", (message.id,)))
    return decisions, actions, questions


def describe_coverage(messages: Sequence[StoredMessage], **extra: object) -> Coverage:
    times = [m.created_at for m in messages]
    return Coverage(messages=len(messages), people=len({m.author_id for m in messages}),
                    start=min(times) if times else None, end=max(times) if times else None,
                    **extra)  # type: ignore[arg-type]

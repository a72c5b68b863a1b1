"""Small text helpers shared by the agent's features and the platform edge."""

from __future__ import annotations

import re


def clip(text: str, limit: int, *, keep_lines: bool = False) -> str:
    """``text`` on one line (runs of whitespace, line breaks included, become one space; ``keep_lines``
    leaves them as they are), cut to at most ``limit`` characters and ending in "…" when cut."""
    if not keep_lines:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_WORD = re.compile(r"[^\W_]")


def how_many(n: int, noun: str) -> str:
    """"1 idea", "2 ideas", "1,200 ideas" (a noun made plural with -s)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def has_word(text: str) -> bool:
    """Does ``text`` hold a word at all (a letter or digit of any script)? "?", "??!" and "🤔" don't."""
    return _WORD.search(text) is not None


def strip_mention(text: str, bot_name: str) -> str:
    """``text`` without the bot's ``@name`` (and the ":" or "," after it), wherever it stands."""
    return re.sub(rf"(?i)(^|\s)@{re.escape(bot_name)}\b[:,]?", " ", text).strip()


# a sentence ends at ". ", "! " or "? " (not after "e.g." or "Mr."); a comma opens a new one where a request to
# someone begins ("ok, Thursday then, carol can you finish the docs?" states a decision, then asks carol), unless
# what comes before is itself a question ("are we going with Thursday, or can you not make it?")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)\s+")
REQUEST_CLAUSE = re.compile(r",\s+(?=(?:@?[\w.\-]+,?\s+)?(?:can|could|would|will) you\b)", re.I)
QUESTION_OPENER = re.compile(r"^(who|what|when|where|why|how|which|whose|should|shall|can|could|would|will|do|"
                             r"does|did|is|are|was|were|has|have|had|any|anyone|anybody)\b", re.I)


def sentences(text: str) -> list[str]:
    """``text``'s sentences, a request that follows a statement after a comma counted as a sentence of its own."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        first, *rest = REQUEST_CLAUSE.split(sentence)
        if rest and QUESTION_OPENER.match(first):
            first, rest = sentence, []
        out.extend(part.strip() for part in (first, *rest))
    return [part for part in out if part]


_QUOTE = re.compile(r"^\s*>")  # "> …" quotes a line (Slack, Discord, Markdown); Discord's ">>> …" the rest


def without_quotes(text: str) -> str:
    """``text`` without the lines it quotes: words said before (by someone else, or by Confab), not the writer's."""
    own: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith(">>>"):
            break
        if not _QUOTE.match(line):
            own.append(line)
    return "\n".join(own).strip()


_ACKNOWLEDGEMENT = re.compile(r"^(?:thanks|thank you|thx|ty|great|cool|nice|perfect|awesome|sweet|ok(?:ay)?|got it|"
                              r"gotcha)\b", re.I)
ACKNOWLEDGEMENT_WORDS = 4  # "great, found them." is an acknowledgement; "ok, the build is red again." is not


def after_thanks(text: str) -> str:
    """``text`` without the short thanks or acknowledgement it opens with ("thanks bob! can we …?", "great, found
    them. should we …?"): what it goes on to ask or say is the message's point."""
    said = sentences(" ".join(text.split()))
    dropped = 0
    while len(said) > dropped + 1 and _ACKNOWLEDGEMENT.match(said[dropped]) \
            and len(said[dropped].split()) <= ACKNOWLEDGEMENT_WORDS and not said[dropped].endswith("?"):
        dropped += 1
    # joined again only when something went: sentences() splits "Ben, can you check?" at its comma
    return " ".join(said[dropped:]) if dropped else text

"""Follow-ups: what a question that leans on the conversation before it leans on, offline.

A follow-up ("where does it keep its data then?", "how many can I make a day?", "can I change it?") is searched
together with the question it follows (:func:`followed_question`), its quotes chosen for its own words; an answer
found that way is kept only when it is about the follow-up (:func:`on_topic`), else the follow-up's search alone
answers ("does it need an API key?" after a systemd answer is about Confab, not systemd).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from agent.intents import ACKNOWLEDGEMENT, GREETING, THANKS
from agent.text import strip_mention
from agent.words import content_words

# a follow-up that says it carries on from the answer before, whoever asked that ("and on Discord?")
CARRIES_ON = re.compile(r"^(and|also|but|so|what about|how about)\b", re.I)
# a question that points back ("it", "that", "then") or leaves its subject out ("how many can I make?",
# "and on Discord?") only makes sense with the conversation before it; "how long are messages kept?" names its own
POINTS_BACK = re.compile(
    r"\b(it|its|it's|that|this|these|those|they|them|their|there|then|one|ones|same)\b"
    rf"|{CARRIES_ON.pattern}"
    r"|^how (many|much|often|long)\s+(can|could|do|does|did|should|will|would)\s+(i|we|you|people)\b", re.I)
# words that only ask back about the answer just given ("is that right?", "what do you mean?", "really?", "are you
# sure?"): a follow-up of these alone has no words of its own and is searched with the question it follows
ASKS_BACK = tuple("right correct true sure really exactly mean meant explain again seriously certain wrong".split())
RECENT_ANSWER = 3  # outside a thread, a follow-up refers to the bot's answer among the last lines only
# a verb acting on what the follow-up points back at ("change it", "turn it off", "delete them"); "this" and
# "that" are left out, being as often a determiner ("on call this weekend") as the thing pointed at
_ACTS_ON_IT = re.compile(r"\b([a-z][a-z'-]*)\s+(?:it|them)\b(?:\s+(on|off|up|down|back|out|over|again)\b)?", re.I)


def on_topic(answer: str, question: str) -> bool:
    """Does the first quote of an answer found with the conversation's context hold at least half of the
    follow-up's own words? ("where does it keep its data then?": "The service keeps its data in …", but not
    "how do I set it up on Discord?": "put your settings in …"). A follow-up without words of its own is, and so
    is one whose own words only say what to do to what it points back at ("can I change it?" after the retention
    period: "Set it to 0 to keep everything" answers it without the word "change")."""
    if acts_on_what_it_follows(question):
        return True
    quoted = answer.split(" [1]")[0]
    own, found = own_words(question), set(content_words([quoted])[0])
    return 2 * len(own & found) >= len(own)


def acts_on_what_it_follows(question: str) -> bool:
    """"can I change it?", "how do I turn it off?", "can we delete them?": every content word of the question is
    the verb (and its particle) acting on "it" or "them"; no topic of its own, so the topic is the conversation's.
    Not "can I run it on Windows?" (Windows is a topic) nor "does it need an API key?"."""
    own = own_words(question)
    acted: set[str] = set()
    for match in _ACTS_ON_IT.finditer(question):
        acted.update(content_words([" ".join(filter(None, match.groups()))])[0])
    return bool(own) and own <= acted


def own_words(question: str) -> set[str]:
    """The question's content words (stemmed), but those that only ask back about the answer just given."""
    return set(content_words([question])[0]) - stemmed(ASKS_BACK)


@cache
def stemmed(words: tuple[str, ...]) -> frozenset[str]:
    """A word list (ASKS_BACK, STATUS_WORDS) as questions' words are compared (stemmed), worked out once."""
    return frozenset(word for stems in content_words(list(words)) for word in stems)


def followed_question(conversation: Sequence[str], in_thread: bool, bot_name: str, asker: str | None = None,
                      carries_on: bool = False) -> str | None:
    """What a follow-up follows: the last question the bot answered (a line that got no answer, such as "ok,
    I'll set it up tomorrow", is no context, nor an "ok" or one that only asked back), and in a thread its
    first question too, which names the topic the thread's later follow-ups lean on ("how do I run it under
    systemd?" … "and how do I see its logs?").
    Outside threads only when the bot has just answered (a DM, or a channel where it has just replied), and only
    the ``asker``'s own question, unless the follow-up ``carries_on`` ("and on Discord?", "is that right?"): in a
    channel, another person's "@confab does it keep our messages forever?" asks about Confab, not about the
    question someone else asked just before."""
    def leaned_on(line: str) -> bool:
        author, _, text = line.partition(": ")
        if line.startswith("(bot) ") or not asks(without_mention(text, bot_name)):
            return False
        return in_thread or carries_on or asker is None or author == asker

    people = [i for i, line in enumerate(conversation) if leaned_on(line)]
    answers = [i for i, line in enumerate(conversation) if line.startswith("(bot) ")]
    if not in_thread and (not answers or answers[-1] < len(conversation) - RECENT_ANSWER):
        return None
    answered = [i for i in people if answers and i < answers[-1]]  # the lines before the bot's last answer
    last = answered[-1] if answered else (people[-1] if in_thread and people else None)
    if last is None:
        return None
    first = people[0] if in_thread else last
    return " ".join(conversation[i].partition(": ")[2] for i in dict.fromkeys((first, last))).strip() or None


def asks(text: str) -> bool:
    """Is a line a question of its own, one a follow-up can lean on? Not "is that right?" (asked back), "ok" or
    "thanks!"."""
    return bool(own_words(text)) and not (ACKNOWLEDGEMENT.match(text) or THANKS.match(text) or GREETING.match(text))


def without_mention(text: str, bot_name: str) -> str:
    """The text without the mention of the bot, its spaces collapsed."""
    return " ".join(strip_mention(text, bot_name).split())

"""What a message asks, as conversation search reads it: whether it is a request to Confab (never a hit),
whether it asks what was decided, and whether a line says anything at all."""

from __future__ import annotations

import re

from agent.intents import ACKNOWLEDGEMENT, GREETING, THANKS
from agent.text import strip_mention
from agent.words import content_words

# a question about what was decided, or about how things are now ("which … did we pick?", "how long do we keep
# logs?", "what's our refund policy?"): the message that settled it is what the asker is after
ASKS_DECISION = re.compile(
    r"\b(decide|decided|decision|agree|agreed|settle|settled|conclude|choose|chose|pick|picked|go with|land on|"
    r"did we|do we|are we|will we|what'?s our|what is our|what are the|now)\b", re.IGNORECASE)
_QUESTION = re.compile(r"\?$|^(what|which|where|when|who|how|did|do|does|is|are|will|was|were)\b", re.IGNORECASE)


def asks_confab(text: str, bot_name: str, in_dm: bool) -> bool:
    """A request to Confab, not something people told each other: a command, or a question addressed to Confab
    (naming it, or anything asked in its DM, where Confab is the only one asked). "@confab what did we decide
    about X?" is the same question asked again, not evidence of what was decided, and Confab's answers to it
    are its own messages, never indexed. What people tell Confab stays ("@confab fyi, we agreed on …", a note
    to self in its DM)."""
    body = strip_mention(text, bot_name)
    if body.startswith("/"):
        return True
    return (in_dm or body != text.strip()) and ("?" in body or bool(_QUESTION.search(body)))


def says_something(text: str) -> bool:
    """Not only an acknowledgement, a greeting or thanks: a line worth showing as what someone said lately."""
    plain = text.strip()
    return not (ACKNOWLEDGEMENT.match(plain) or GREETING.match(plain) or THANKS.match(plain)) \
        and bool(content_words([plain])[0])


def asks_decision(question: str) -> bool:
    """A question (asked weeks later: "where is the offsite going to be?") or a query naming a decision: the
    message that settled it is what the asker is after."""
    return bool(ASKS_DECISION.search(question) or _QUESTION.search(question.strip()))

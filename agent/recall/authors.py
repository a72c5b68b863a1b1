"""Searching one person's messages: who a query asks about, and which authors of the index that is.

A person is asked for in ``/recall`` with ``from:`` (``from:@bob``, ``from:bob``, ``from:"Bob Smith"``, or a
platform mention: Slack's ``<@U123>`` / ``<@U123|bob>``, Discord's ``<@123>`` / ``<@!123>``), or in a question
("what did bob say about the export cap?", "what has @bob said about it?", "what did I write about …?"). A
mention is matched by the user id the store keeps; a name by the stored author name (the display name the
platform gave, in the console the name itself, which is also its id), ignoring case, else by its first word
("bob" finds "Bob Smith"). Only authors of channels the asker may read are matched (:mod:`agent.recall.service`),
so whether someone wrote anywhere else is never told.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_NAME = 80  # characters of a name asked for that a reply repeats

_MENTION = r"<@!?([A-Za-z0-9]{1,24})(?:\|([^<>]{0,80}))?>"
_NAME_WORD = r"@?[\w][\w.'\-]*"
_QUOTED = r"\"([^\"]{1,80})\""
# "from:@bob", "from:<@U1>", 'from:"Bob Smith"'; "from:" alone names no one (a usage answer), "from: x" is no filter
_FROM = re.compile(rf"(?:^|\s)from:(?:{_MENTION}|@?{_QUOTED}|@?([^\s\"]+)|\s*$)", re.IGNORECASE)
_DECIDE = r"decide|decided|agree|agreed|choose|chose|chosen|pick|picked|settle|settled"
_VERB = (r"(?:say|said|saying|write|wrote|written|writing|post|posted|mention|mentioned|tell|told|suggest|suggested|"
         rf"propose|proposed|think|thought|ask|asked|want|wanted|(?P<decided>{_DECIDE}))")
# "what did bob say about the export cap?", "what has @Bob Smith said on it", "what did <@U1> post", "did bob say
# anything about the cap?"
_ASKS = re.compile(
    rf"\b(?:what\s+(?:did|has|have|had)|(?:did|has|have)(?=\s.*\b(?:anything|something)\b))\s+"
    rf"(?P<who>{_MENTION}|{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}?)\s+"
    rf"{_VERB}\b(?:\s+(?:anything|something))?(?:\s+(?:to\s+)?(?:us|me|them|you|everyone|the team))?"
    r"(?:\s+(?:about|on|for|regarding|concerning|re:?)\b)?(?P<topic>.*)$", re.IGNORECASE | re.DOTALL)
# "what was said by bob about the cap?", "anything written by @bob on the migration?"
_ASKS_PASSIVE = re.compile(
    rf"\b(?:what|anything|something)\s+(?:was|has been|have been|got)?\s*(?:said|written|posted|mentioned|suggested|"
    rf"proposed|(?P<decided>decided|agreed|chosen|picked|settled))\s+by\s+"
    rf"(?P<who>{_MENTION}|{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}?)"
    r"(?:\s+(?:about|on|regarding|concerning|re:?)\b(?P<topic>.*)|\s*[?.!]*$)", re.IGNORECASE | re.DOTALL)
_ANYONE = frozenset("we you they people everyone everybody anyone anybody someone somebody folks y'all yall others he "
                    "she it".split()) | {"the team", "the others", "the group", "all of us", "you all"}
_SELF = frozenset({"i", "me", "myself", "@me"})
_THING = re.compile(r"^(the|this|that|these|those|your|our|my|its|their|a|an)\s", re.IGNORECASE)  # "the docs"


@dataclass(frozen=True, slots=True)
class AuthorAsked:
    """Whose messages only: a mention's user id, or a name to match."""

    user_id: str | None
    name: str  # as asked (a mention's label, or the name); "" when a mention came without one

    @property
    def label(self) -> str:
        """How a reply names the person asked for (never a raw mention: a reply pings no one)."""
        return self.name or "that person"


@dataclass(frozen=True, slots=True)
class AuthorQuery:
    topic: str  # what to look for; "" for the person's most recent lines
    author: AuthorAsked | None


def _name(text: str) -> str:
    return " ".join(text.split()).lstrip("@")[:MAX_NAME]


def _mentioned(user_id: str, label: str | None) -> AuthorAsked:
    return AuthorAsked(user_id, _name(label or ""))


def person(who: str, asker_id: str | None) -> AuthorAsked | None:
    """The person ``who`` names (a mention, a name, "me"); None for "we", "you", "everyone" … (everyone's
    messages)."""
    who = who.strip()
    if (found := re.fullmatch(_MENTION, who)) is not None:
        return _mentioned(found.group(1), found.group(2))
    plain = _name(who).lower()
    if plain in _SELF:
        return AuthorAsked(asker_id, "you") if asker_id else None
    if not plain or plain in _ANYONE or _THING.match(plain):
        return None
    return AuthorAsked(None, _name(who))


def _asked(text: str) -> re.Match[str] | None:
    return _ASKS.search(text) or _ASKS_PASSIVE.search(text)


def names_someone(text: str) -> bool:
    """A question about what one person said ("what did bob say about the export cap?")."""
    asked = _asked(text)
    return asked is not None and person(asked.group("who"), "asker") is not None


def _topic(asked: re.Match[str] | None, rest: str = "") -> str:
    """What a question about one person asks about; one about what they decided keeps saying so ("what did ana
    decide about the replica?": "decided the replica"), as the search ranks the messages that settled it first."""
    if asked is None:
        return " ".join(rest.split()).strip(" ?!.,:;")
    topic = " ".join((asked.group("topic") or "").split()).strip(" ?!.,:;")
    return f"decided {topic}".strip() if asked.group("decided") else topic


def parse(text: str, asker_id: str | None = None) -> AuthorQuery:
    """The topic and the person of a ``/recall`` query or a question; no person: everyone's messages."""
    found = _FROM.search(text)
    if found is not None:
        if found.group(1):
            author = _mentioned(found.group(1), found.group(2))
        else:
            author = person(found.group(3) or found.group(4) or "", asker_id) or AuthorAsked(None, "")
        rest = text[:found.start()] + " " + text[found.end():]
        asked = _asked(rest)  # "/recall from:bob what did he say about X": the topic after "about"
        return AuthorQuery(_topic(asked, rest), author)
    asked = _asked(text)
    if asked is None:
        return AuthorQuery(text.strip(), None)
    named = person(asked.group("who"), asker_id)
    if named is None:
        return AuthorQuery(text.strip(), None)
    return AuthorQuery(_topic(asked), named)


def matching(asked: AuthorAsked, authors: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """The author ids among ``authors`` (id -> names used, with counts) that ``asked`` means, each with the name
    it is shown by: the id a mention gives, else a name equal to the one asked (ignoring case, spaces and
    punctuation: a Slack handle "bob.builder" is "Bob Builder"; in the console the id is the name), else one whose
    first word is it."""
    def shown(author_id: str) -> str:
        names = authors[author_id]
        return max(names, key=lambda n: names[n]) if names else author_id

    if asked.user_id is not None:
        return {asked.user_id: shown(asked.user_id)} if asked.user_id in authors else {}
    wanted = _folded(asked.name)
    if not wanted:
        return {}
    exact = {a: shown(a) for a, names in authors.items() if _folded(a) == wanted or any(_folded(n) == wanted
                                                                                         for n in names)}
    if exact:
        return exact
    return {a: shown(a) for a, names in authors.items() if any(n.split()[:1] and _folded(n.split()[0]) == wanted
                                                               for n in names)}


def _folded(name: str) -> str:
    """A name as compared: its letters and digits, ignoring case ("@Bob.Builder" is "Bob Builder")."""
    return "".join(c for c in name.casefold() if c.isalnum())

"""Spotting decisions, action items (owner, task, due date, who asked) and questions in chat messages.

Cue phrases are English; messages in other languages still take part in the extractive selection, they
are only not classified as decisions/actions. People are named as the conversation names them: an
``@name`` or a leading ``name,`` resolves against the participants, so "bob, can you take the migration?"
is bob's item, asked by its speaker, never "you".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from agent.text import QUESTION_OPENER, REQUEST_CLAUSE, sentences

_IT_IS = re.compile(r"^(?:(?:ok(?:ay)?|alright|fine|so|then|great)[,!.]?\s+)*([\w.\-]+(?: [\w.\-]+)?) it is\s*[.!]*$",
                    re.I)  # "ok, Thursday it is." (not "yes it is", "here it is")
# "ok, let's bump the replica to 8GB": a "let's" that closes a discussion commits the team to an act (not "let's see",
# "let's wait and see", "let's talk tomorrow", "let's grab lunch")
LETS = (r"let'?s\s+(?!(?:see|wait|hope|talk|chat|discuss|think|meet|catch up|sync|grab|get lunch|have lunch|"
         r"start|begin|move on|continue|go through|look at|take a look|check|try|not|do lunch|eat|order)\b)[a-z]+\b")
_DECISION = re.compile(
    r"\bdecision(?: is)?:|"  # a colon ends this cue: no word boundary after it
    r"\b(we(?:'ve| have)? decided|decided to|let'?s go with|we(?:'ll| will) go with|"
    r"going with|we agreed|agreed(?: on| to| that)?|it'?s settled|settled on|final(?:ly)? (?:call|decision)|"
    r"approved|sign(?:ed)? off on|we(?:'ll| will) (?:use|ship|keep|drop|switch to|move to|postpone)|"
    r"let'?s (?:use|ship|keep|drop|switch to|move to|postpone|do(?! (?:lunch|coffee|drinks|dinner)\b))|consensus|"
    r"(?:let'?s|we(?:'ll| will)) go ahead with)\b|" + r"^(?:ok(?:ay)?|alright|so|fine|then)[,!.]?\s+" + LETS, re.I)
# the team itself deciding, or committing to an act ("let's ship it on Thursday"; not "legal approved it", not
# "let's do lunch")
_STRONG_DECISION = re.compile(
    r"\bdecision(?: is)?:|\b(we(?:'ve| have)? decided|decided to|let'?s go with|we(?:'ll| will) go with|"
    r"we(?:'re| are) going with|agreed|it'?s settled|settled on|final(?:ly)? (?:call|decision)|consensus|"
    r"(?:let'?s|we(?:'ll| will)) go ahead with|"
    r"(?:let'?s|we(?:'ll| will)) (?:use|ship|keep|drop|switch to|move to|postpone)|"
    # a choice among what was proposed: "let's do both: omar bumps the timeout today, and pia …", "let's do option B"
    r"let'?s do (?:both|either|that|this|it|option \w+|plan \w+|the (?:first|second|former|latter)(?: one)?))\b|"
    r"^(?:ok(?:ay)?|alright|so|fine|then)[,!.]?\s+" + LETS, re.I)
STOP_WORDS = frozenset(  # function words and chat filler
    "a an the and or but if so of to in on at by for with from as is are was were be been being am do does did "
    "i you he she it we they me him her us them my your his its our their this that these those there here "
    "what which who whom when where why how not no yes ok okay oh yeah yep hi hey hello thanks thank please "
    "just really very too also can could would should will shall may might must have has had get got go going "
    "well um uh ah sure right good great fine like know think let lets don't i'm it's that's i'll we'll you'll "
    "i've we're they're can't won't isn't all everyone folks guys lol haha lmao rofl".split())
_NOT_NAMES = STOP_WORDS | frozenset(
    "sorry honestly anyway btw quick question actually seriously guys folks team everyone all also then now "
    "again finally first second lastly otherwise besides meanwhile hmm please".split())
_QUESTION_WORD = re.compile(
    r"^(who|what|when|where|why|how|which|should|shall|can|could|would|will|do|does|did|is|are|was|were|any "
    r"(?:idea|thoughts)|anyone)\b", re.I)
_DONE_HINT = re.compile(r"\b(done|fixed|merged|shipped|resolved|answered)\b", re.I)

# --- when: "by Friday", "tomorrow morning", "EOD", "end of day Friday", "before the 3.2 release" ---------------
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)day"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = (r"(?:today|tonight|tomorrow|tmrw|eod|eow|cob|end of (?:the )?(?:day|week|month|sprint|quarter)|"
        r"this (?:morning|afternoon|evening|week)|next week|(?:next |this |coming )?" + _WEEKDAY + "|"
        + _MONTH + r"\.? \d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)? (?:of )?" + _MONTH + "|"
        r"the \d{1,2}(?:st|nd|rd|th)|noon|midnight)")
_WHEN = (_DAY + r"(?:,? (?:morning|afternoon|evening|night|noon|eod|cob))?"
         r"(?:,? (?:at |@ ?)\d{1,2}(?::\d\d)?\s*(?:am|pm|utc)?(?![\w:]))?")
_DUE = re.compile(
    r"(?:\b(?:by|until|till|on|for|due(?: by| on)?|no later than|before)\s+)?\b" + _WHEN + r"\b|"
    r"\b(?:before|after(?! all\b))\s+(?:[^,.;!?]|\.(?=\w)){2,40}?(?=$|[,;!?]|\.(?!\w)|\s+(?:and|so|but|then|if|or)\b)|"
    r"\b(?:asap|as soon as (?:possible|you can)|"
    r"in (?:the next )?(?:\d+|a|an|a few|a couple of) (?:min(?:ute)?s?|hours?|days?|weeks?)|"
    r"within (?:a|an|one|\d+) (?:hours?|days?|weeks?))\b", re.I)
_DUE_LEAD = re.compile(r"^(?:by|until|till|on|for|due(?: by| on)?|no later than)\s+", re.I)

# --- who: an @mention or a leading/trailing name -----------------------------------------------------------
_AT_LEAD = re.compile(r"^\s*(?:(?:hey|hi|ok(?:ay)?|so|and|also|thanks|cc)[,!]?\s+)?@([\w.\-]+)[,:;]?\s*", re.I)
_NAME_LEAD = re.compile(r"^\s*(?:(?:hey|hi|ok(?:ay)?|so|and|also|thanks)[,!]?\s+)?([\w.\-]+)\s*"
                        r"(?:[,:;]\s*|\s[—–-]\s*|\s+(?=(?:(?:can|could|would|will) you|please|pls)\b))", re.I)
_VOCATIVE_REQUEST = re.compile(r"\s*[,:]\s*(?:(?:can|could|would|will) you|please|pls)\b", re.I)
_MENTION = re.compile(r"@([\w.\-]+)")
_NAME_TRAIL = re.compile(r"(?:,\s*@?|\s@)([\w.\-]+)\s*[?.!]*\s*$")  # "…, bob?", "…, @bob?", "… @bob?"

# --- what: requests, assignments, commitments, reminders, to-dos -------------------------------------------
_REQUEST = re.compile(r"^(?:(?:can|could|would|will) you|(?:please|pls)|you (?:should|need to))\s+"
                      r"(?:please\s+)?(?!(?:mind|like|believe|imagine|guess|be|see|hear|know|remember|want|wanna|"
                      r"have|had|prefer|think|say|recommend|consider|agree|afford|live|speak|stand)\b)(.+)$", re.I)
_ASSIGN = re.compile(r"^(?:will|is going to|to|should|needs to|'ll|is on|owns|takes)\s+(.+)$", re.I)
_REMIND = re.compile(r"^(?:(?:can|could|would) you\s+|please\s+)?remind\s+(me|us|everyone|all of us|the team|"
                     r"@?[\w.\-]+)\s+(?:to|about)\s+(.+)$", re.I)
_TODO = re.compile(r"^(?:todo|to-do|action items?|ai|next steps?)(?:\s+for\s+(me|@?[\w.\-]+))?\s*[:\-–—]\s*(.+)$",
                   re.I)
_SELF = re.compile(
    r"(?:^|(?<=[.!;,:]\s)|\b(?:ok(?:ay)?|sure|yes|yep|yeah|fine|and|then|so|cool)[,!]?\s+)"
    r"(?:i'?ll|i will|i can(?!'t|not| not)|i'?m going to|i am going to|i'?m gonna|let me(?! know)|i plan to)\s+"
    r"(?!(?:see|hear|imagine|understand|reproduce|confirm|tell|relate|only|never|not|probably)\b)(.+)$", re.I)
_ACCEPT = re.compile(
    r"^(?:(?:sure|ok(?:ay)?|yes|yep|yeah|yup|cool|fine|great|thanks|good (?:call|idea|point|catch)|sounds good|"
    r"makes sense)(?: thing)?[,!.]*\s*)?"
    r"(?:will do|on it|i'?m on it|can do|consider it done|got it|no problem|np|sure(?: thing)?|ok(?:ay)?|yes|yep|"
    r"yup|👍|i'?ll (?:take|do|handle|grab|own) (?:it|that|this)|i'?ll take care of (?:it|that|this))\W*$", re.I)
_AGREE_ONLY = re.compile(r"^(?:(?:sure|ok(?:ay)?|yes|yep|yeah|yup|cool|fine|great|good (?:call|idea|point)|"
                         r"sounds good|makes sense|got it|no problem|np|👍)(?: thing)?[,!.]*\s*)+$", re.I)
# what "I'll take it", "I'll do that", "I'll take that one" point back to
_OBJECT_PRONOUN = r"\b(?:(?:that|this) one|it|that|this|them|those|these|one)\b"
_ANAPHORIC = re.compile(r"^[\w'-]+(?:\s+(?:care of|on|over|up|into|at|after|through|for|about|with|to))?\s+"
                        rf"{_OBJECT_PRONOUN}(?:\s+(?:done|ready|finished|sorted|fixed|covered))?"
                        r"(?:\s+(?:too|as well|then|now|later|over))?$", re.I)
# a statement that opens with what it is about: "streaming is better", "the new endpoint is ready for review"
_SUBJECT = re.compile(r"^(?:(?:ok(?:ay)?|so|yeah|yes|well|right|agreed)[,!.]?\s+)?((?:(?:the|our|a|an)\s+)?"
                      r"[\w\-]+(?:\s+[\w\-]+){0,3}?)\s+(?:is|are|was|were|sounds|seems|looks|works)\b", re.I)
_PRONOUNS = frozenset("it that this these those they he she we i you there which what who".split())
_LEAD_FILLER = re.compile(r"^(?:(?:also|please|pls|just|go ahead and|quickly|maybe|then|try to|try and|"
                          r"make sure to|get around to)\s+)+", re.I)
_TRAIL_FILLER = re.compile(r"(?:[\s,]+(?:and|then|too|as well|please|pls|thanks|thx|for me|asap))+$", re.I)
# "take the smoke tests, will have them done by thursday": what follows the comma says when or how, not what
_TRAIL_CLAUSE = re.compile(r",\s+(?:will|would|should|but|so|though|although|if|when|since|because|as soon as|"
                           r"hopefully|probably|maybe|then|and then|once)\b.*$", re.I | re.S)
_NOT_A_TASK = re.compile(r"^(?:be|been|being|not|never|probably|also|still|try|think|guess|have to|need to)\b",
                         re.I)
IMPERATIVE = frozenset(  # verbs that open a request in work chat ("Run the backfill")
    "run check ping send update fix write add review merge deploy ship test make create file open close move tag "
    "cut post share draft prepare schedule book set start finish clean remove delete rename bump rerun roll revert "
    "backport document confirm verify email call tell ask follow sync upload publish release build push pull "
    "migrate look coordinate notify announce flip enable disable install configure rotate restart monitor "
    "investigate triage label assign order print sign fill submit reply respond double-check re-run".split())
_TAKE_ON = frozenset("take handle grab cover pick own do get help drive lead host".split())
_NOT_AN_END = r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)"
_SENTENCES = re.compile(r"(?<=[.!?])" + _NOT_AN_END + r"\s+")
_SENTENCE_END = re.compile(r"[.!?]" + _NOT_AN_END + r"\s+")
TEAM = "team"  # the owner of "remind us to …"
LEAD_IN_WORDS = 4  # words before a request's ", can you …" that only lead in to it


@dataclass(frozen=True, slots=True)
class Action:
    owner: str
    task: str
    due: str | None = None
    asked_by: str | None = None  # who asked the owner (None when the owners said it themselves)
    kind: str = "self"  # "request", "assign", "self", "todo" or "reminder"
    due_as_said: str | None = None  # "by end of day Friday"

    @property
    def text(self) -> str:
        """The task with its due date as said, for one-line lists."""
        return f"{self.task} {self.due_as_said}" if self.due_as_said else self.task


def is_question(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    return stripped.endswith("?") or (_QUESTION_WORD.match(stripped) is not None and len(stripped.split()) <= 25
                                      and "?" in stripped)


def is_decision(text: str) -> bool:
    """One of the text's sentences states a decision and is no question: "we're going with Hetzner. any
    objections?" and "ok, Thursday then, carol can you update the docs?" decide."""
    return any((_DECISION.search(part) is not None or _settled(part)) and not is_question(part)
               for part in sentences(text))


def decision_strength(text: str) -> int:
    """2: the team decides ("we agreed", "decision:", "Thursday it is", "let's ship it"), 1: a weaker cue ("approved",
    "let's do"), 0: none."""
    if not is_decision(text):
        return 0
    return 2 if _STRONG_DECISION.search(text) or _settled(text) else 1


def _settled(text: str) -> bool:
    match = _IT_IS.match(text.strip())
    return match is not None and not any(w.lower() in STOP_WORDS | {"oh", "ah"} for w in match.group(1).split())


def takes_on(text: str) -> bool:
    """A reply that takes on what was asked and says so ("I'll add one tomorrow", "on it", "will do"), not one
    that only agrees with it: "sure" after "can we add an alert?" likes the idea and takes on nothing."""
    stripped = " ".join(find_due(" ".join(text.split()))[1].split())
    return accepts(text) and not _AGREE_ONLY.match(stripped)


def accepts(text: str) -> bool:
    """A reply that takes on what was just asked: "will do", "on it", "sure, I'll take it", also with a date
    ("will do by friday", "I'll have it done by thursday")."""
    stripped = " ".join(find_due(" ".join(text.split()))[1].split())
    if _ACCEPT.match(stripped):
        return True
    match = _SELF.search(stripped)
    return match is not None and _ANAPHORIC.match(match.group(1).strip().rstrip("?.!")) is not None


def resolve(name: str | None, participants: Sequence[str]) -> str | None:
    if not name:
        return None
    lowered = name.lower().strip("@")
    for person in participants:
        first = person.lower().split()[0] if person.split() else person.lower()
        if lowered in (person.lower(), first):
            return person
    return None


def address(text: str, participants: Sequence[str]) -> tuple[str | None, str]:
    """Who a message speaks to by name (``@bob …``, ``bob, …`` at the start of any of its sentences,
    ``…, bob?``) and the message without the name."""
    return _address(text, tuple(participants))


@lru_cache(maxsize=8192)  # one summary asks about each message several times
def _address(text: str, participants: tuple[str, ...]) -> tuple[str | None, str]:
    stripped = " ".join(text.split())
    # a name opens a sentence, or a request after a comma: "ok, Thursday then, carol can you update the docs?"
    # ("are we going with Thursday, or can you not make it?" is one question)
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(stripped))]
    clauses = {m.end() for m in REQUEST_CLAUSE.finditer(stripped)
               if not QUESTION_OPENER.match(stripped[max(s for s in starts if s <= m.start()):])}
    for start in [*starts, *sorted(clauses)]:
        head = stripped[start:]
        for pattern in (_AT_LEAD, _NAME_LEAD):
            match = pattern.match(head)
            # an @handle names someone even before they speak; a bare leading word if it is a participant, or
            # opens a request ("sam, can you …") and is no common word ("sorry, can you …"); after a comma only
            # a participant
            who = resolve(match.group(1), participants) if match else None
            if match and who is None and pattern is _NAME_LEAD and _VOCATIVE_REQUEST.match(head, match.end(1)) \
                    and match.group(1).isalpha() and match.group(1).lower() not in _NOT_NAMES \
                    and start not in clauses:
                who = match.group(1)
            if match and (who is not None or pattern is _AT_LEAD):
                rest = head[match.end():].lstrip(" ,:;—–-")
                before = stripped[:start].rstrip(" ,") + ". " if start in clauses else stripped[:start]
                return who or match.group(1), (before + rest[:1].upper() + rest[1:]).strip()
    match = _NAME_TRAIL.search(stripped)
    if match and (who := resolve(match.group(1), participants)) is not None:
        return who, stripped[: match.start()].rstrip() + ("?" if stripped.endswith("?") else "")
    return None, stripped


def name_mentions(text: str, names_by_id: dict[str, str]) -> str:
    """``@U024BE7LH`` (a platform user id, as Slack writes mentions) as ``@name`` for people in the window."""
    if "@" not in text or not names_by_id:
        return text
    return _MENTION.sub(lambda m: "@" + names_by_id.get(m.group(1), m.group(1)), text)


def find_due(text: str) -> tuple[str | None, str, str]:
    """The due date a text states (e.g. "end of day Friday", "before the 3.2 release"), the text without it,
    and the phrase as said ("by end of day Friday")."""
    spans = [m.span() for m in _DUE.finditer(text)]
    if not spans:
        return None, text, ""
    start, end = spans[0]
    for s, e in spans[1:]:  # "on Thursday before we ship": adjacent phrases are one due date
        if text[end:s].strip(" ,") == "":
            end = e
    if re.search(r"\bnot\s+$", text[:start], re.I) and re.match(r"(?:before|until|till)\b", text[start:], re.I):
        start = text.rindex("not", 0, start)  # "I can write it, but not before wednesday": not a deadline
    due = _DUE_LEAD.sub("", text[start:end].strip(" ,"))
    due = re.sub(r"\b(eod|eow|cob|asap)\b", lambda m: m.group(1).upper(), due, flags=re.I)
    rest = (text[:start].rstrip(" ,") + " " + text[end:].lstrip(" ,")).strip()
    return due or None, rest, text[start:end].strip(" ,")


def find_action(text: str, speaker: str, participants: Sequence[str], bot_name: str | None = None,
                addressee: str | None = None, antecedent: str | None = None) -> Action | None:
    """Who is to do what (and by when), when a message says so; ``participants`` resolves names, ``bot_name``
    recognises a message addressed to the bot, ``addressee`` is whom an unaddressed "you" means, if known;
    ``antecedent``: what "it" means when the message opens with it (what the request it answers was about)."""
    stripped = " ".join(text.split())
    if not stripped:
        return None
    names = [*participants, *([bot_name] if bot_name else [])]
    to, body = address(stripped, names)
    if bot_name and to == bot_name:
        to = None
    sentences = [_after_lead_in(s) for s in _SENTENCES.split(body) if s.strip()] or [body]
    found: Action | None = None
    earlier = antecedent
    for k, sentence in enumerate(sentences):
        found = _directed(sentence, sentences[k + 1:], speaker, participants, to, addressee)
        if found is not None:
            break
    else:
        for k, sentence in enumerate(sentences):
            match = _SELF.search(sentence)
            if match and not sentence.rstrip().endswith("?") and not _DONE_HINT.search(match.group(1)[:20]) \
                    and not _only_able(match, sentence):
                found = Action(speaker, match.group(1), kind="self")
                antecedent = (subject_of(sentences[k - 1]) if k else None) or earlier
                break
    if found is None:
        return None
    asker = found.asked_by or speaker
    return _finish(found, stripped, asker, addressee=to or addressee, antecedent=antecedent)


def subject_of(sentence: str) -> str | None:
    """What a statement is about, when it opens with it: "streaming is better" -> "streaming", "the new endpoint
    is ready for review" -> "the new endpoint"; None for a pronoun ("that's fine") or no such opening."""
    match = _SUBJECT.match(" ".join(sentence.split()))
    if match is None or match.group(1).lower() in _PRONOUNS:
        return None
    return match.group(1)


def _only_able(match: re.Match[str], sentence: str) -> bool:
    """"I can speak Spanish" states an ability; "I can take the smoke tests tomorrow" takes something on."""
    if not re.search(r"\bi can\s*$", match.group(0)[: match.start(1) - match.start(0)], re.I):
        return False
    verb = match.group(1).split()[0].lower() if match.group(1).split() else ""
    return verb not in IMPERATIVE and verb not in _TAKE_ON and find_due(sentence)[0] is None


def _directed(sentence: str, after: Sequence[str], speaker: str, participants: Sequence[str], to: str | None,
              addressee: str | None) -> Action | None:
    """A reminder, a to-do, a request to someone or an assignment stated in one sentence."""
    if match := _REMIND.match(sentence):
        who = match.group(1).lower().lstrip("@")
        owner = speaker if who == "me" else TEAM if who in ("us", "everyone", "all of us", "the team") else \
            resolve(who, participants)
        return None if owner is None else Action(owner, match.group(2), asked_by=None if owner == speaker else
                                                 speaker, kind="reminder")
    if match := _TODO.match(sentence):
        who, task = match.group(1), match.group(2)
        owner = speaker if who is None or who.lower() == "me" else resolve(who, participants)
        head = re.match(r"@?([\w.\-]+)\s+(?:to|will|should)\s+(.+)$", task)
        if head and (named := resolve(head.group(1), participants)) is not None:
            owner, task = named, head.group(2)
        return None if owner is None else Action(owner, task, asked_by=None if owner == speaker else speaker,
                                                 kind="todo")
    owner = to or addressee
    if (match := _REQUEST.match(sentence)) and owner is not None and owner != speaker:
        task = match.group(1)
        if after and not after[0].rstrip().endswith("?") and after[0].split()[0].lower() in IMPERATIVE:
            task = task.rstrip(" ?.!") + ": " + after[0][:1].lower() + after[0][1:]
        return Action(owner, task, asked_by=speaker, kind="request")
    if to is None and (match := re.match(r"^@?([\w.\-]+)\s+(.+)$", sentence)) and \
            (named := resolve(match.group(1), participants)) is not None and \
            (assigned := _ASSIGN.match(match.group(2))):
        return Action(named, assigned.group(1), asked_by=None if named == speaker else speaker, kind="assign")
    return None


def _after_lead_in(sentence: str) -> str:
    """A request after a few words that lead in to it ("good catch, can you file a ticket?", "nice one, could you add
    a test?"): the request; any other sentence as it is."""
    match = REQUEST_CLAUSE.search(sentence)
    return sentence[match.end():] if match and len(sentence[:match.start()].split()) <= LEAD_IN_WORDS else sentence


def _finish(action: Action, message: str, asker: str, addressee: str | None,
            antecedent: str | None = None) -> Action | None:
    """Tidy the task (due date out, pronouns to names, "it" to the ``antecedent`` a sentence before named); None
    when what is left is no task."""
    due, task, said = find_due(action.task)
    if due is None:
        due, _, said = find_due(message)
    task = _LEAD_FILLER.sub("", task.strip().rstrip("?.! ")).strip()
    task = _TRAIL_FILLER.sub("", _TRAIL_CLAUSE.sub("", task)).strip(" ,;:—–-")
    task = _names_for_pronouns(task, owner=action.owner, asker=asker, addressee=addressee)
    if antecedent and _ANAPHORIC.match(task):  # "streaming is better. I'll do it by thursday": do streaming
        task = re.sub(_OBJECT_PRONOUN, antecedent, task, count=1, flags=re.I)
    if len(task.split()) < 2 or _NOT_A_TASK.match(task) or _ANAPHORIC.match(task):
        return None
    task = (task[:1].upper() + task[1:])[:200]
    return Action(action.owner, task, due, action.asked_by, action.kind, said or None)


def _names_for_pronouns(task: str, owner: str, asker: str, addressee: str | None) -> str:
    """In "can you send me your notes", "me" is who asked and "you"/"your" the owner."""
    you = owner if owner != asker else addressee
    task = re.sub(r"\b(?:me|myself)\b", asker, task, flags=re.I)
    task = re.sub(r"\bmy\b", f"{asker}'s", task, flags=re.I)
    if you:
        task = re.sub(r"\byour\b", f"{you}'s", task, flags=re.I)
        task = re.sub(r"\byou(?:rself)?\b", you, task, flags=re.I)
    return task

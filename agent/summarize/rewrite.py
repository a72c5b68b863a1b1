"""Turn a chat message into a reported-speech sentence: "Ana: I'll send you the deck" becomes
"Ana will send Ben the deck". Plain string rules (pronouns, a few auxiliaries), no model."""

from __future__ import annotations

import re

from agent.intents import GREETING_WORD
from agent.summarize.offers import offered
from agent.text import after_thanks, sentences

_FIRST_PERSON = [
    # after a modal or auxiliary "I" is not the subject of a following "do"/"have": just the name
    (r"\b(should|could|would|can|will|shall|must|might|may|did|do|does|to|am|was|have|had) I\b", r"\1 {s}"),
    (r"\bI'm\b", "{s} is"), (r"\bI am\b", "{s} is"), (r"\bI've\b", "{s} has"), (r"\bI have\b", "{s} has"),
    (r"\bI'll\b", "{s} will"), (r"\bI'd\b", "{s} would"), (r"\bI was\b", "{s} was"),
    (r"\bI do\b", "{s} does"), (r"\bI don't\b", "{s} doesn't"), (r"\bI didn't\b", "{s} didn't"),
    (r"\bI can't\b", "{s} can't"), (r"\bI\b", "{s}"), (r"\bmyself\b", "{s}"),
    (r"\bmy\b", "{s}'s"), (r"\bmine\b", "{s}'s"), (r"\bme\b", "{s}"),
]
_SECOND_PERSON = [
    (r"\byou (?:all|guys|folks)\b|\by'all\b", "{a}"),
    (r"\byou're\b", "{a} is"), (r"\byou are\b", "{a} is"), (r"\byou've\b", "{a} has"),
    (r"\byou have\b", "{a} has"), (r"\byou'll\b", "{a} will"), (r"\byou'd\b", "{a} would"),
    (r"\byourself\b", "{a}"), (r"\byours\b", "{a}'s"), (r"\byour\b", "{a}'s"), (r"\byou\b", "{a}"),
]
# Present-tense verbs that "I" is the subject of, which take an -s after a name ("I need" -> "Ana needs"). A closed
# list, because a word after "I" may be a past form that looks like its present ("I set up the bot yesterday",
# "I read it", "I put it there": left out) or no verb at all.
_AGREE_VERBS = frozenset(
    "need want think like love hope know feel guess believe mean tend prefer plan agree suggest remember forget "
    "wonder worry hate wish see understand expect work live doubt suppose say take make send buy get go come try "
    "look ask log run fix push check deploy review update merge test use keep start stop open close write watch "
    "miss pay call build ship handle own cover help leave move join sign stay wait find lose win owe care mind "
    "bet assume reckon recall recommend vote approve object promise commit".split())
# "I also need": an adverb may stand between
_ADVERB = r"(?: (?:also|still|never|always|usually|often|sometimes|only|even|now|rarely|really|just|actually))?"
_AGREE = re.compile(rf"\bI({_ADVERB}) ({'|'.join(sorted(_AGREE_VERBS))})\b", re.I)
_YOU_FORMS = {"is": "are", "was": "were", "has": "have", "does": "do", "doesn't": "don't", "isn't": "aren't",
              "wasn't": "weren't", "hasn't": "haven't"}
# tokenised corpora write "I ' m" / "don ' t": join the apostrophes back first
_SPACED_APOSTROPHE = re.compile(r"(\w) ' (\w)")
# openers that say nothing; those that can begin a sentence that means something ("no one knows", "right now",
# "hello world") only when punctuation closes them
_FILLER = re.compile(r"^(?:(?:(?:oh|ah|um+|uh+|ugh+|argh+|meh|hmm+|well|so|ok(?:ay)?|yeah|alright)\b[,.!]*|"
                     r"(?:hey|hi|hello|yes|no|sure|right|great|thanks|thank you|damn|oops|wow)\b[,.!]+)\s+)+", re.I)
# a greeting to the room, and a preamble that only announces the message: "hi all,", "morning everyone -", "quick one:"
_GREETING = re.compile(rf"^(?:(?:{GREETING_WORD}|morning|evening)"
                       r"(?:,?\s+(?:all|everyone|everybody|team|folks|guys|y'all|people|there|friends))?"
                       r"\s*[,.!:;\u2013\u2014-]+\s*)?"
                       r"(?:(?:quick (?:one|question|q)|fyi|psa|heads up)\s*[,.!:;\u2013\u2014-]+\s*)?", re.I)
_HEDGES = re.compile(r"\b(?:actually|really|just|basically|honestly|literally|kind of|sort of|anyway)\b,?\s*|"
                     r"(?:^|(?<=,)|(?<=, ))(?:you know|i mean|i guess|i think)\b,?\s*", re.I)
_VOCATIVE = re.compile(r"^(?:(?:hey|hi|hello|dear|oh|excuse me|sorry|thanks|thank you|well)[,!]?\s+)?"
                       r"(?:[A-Z][\w.'#-]*)(?:\s+[A-Z][\w.'#-]*)?\s*[,.!]\s+(?=\S)")
_EMOTICON = re.compile(r"(?:(?<=\s)|^)(?:[:;=8xX][-'^o]?[()\[\]DPpOo3/\\|*]+|<3|\^\^|\(:)(?=\s|$|[.,!?])|"
                       "[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]+|"
                       r"(?<![\w:]):[a-z0-9_+\-]{2,}:(?![\w:])")  # and emoji as Slack and Discord write them: ":tada:"
_WH = re.compile(r"^(who|whom|whose|what|when|where|why|how|which)\b", re.I)
SAYS = False
_REQUEST = re.compile(r"^(?:(?:can|could|would|will) you|please|pls)\s+(?:please\s+)?(?:also\s+)?"
                      r"(?!(?:like|mind|believe|imagine|guess|be|see|hear|tell if|know)\b)(.+?)[?.!]*$", re.I)

_CONNECTIVE = re.compile(r"^(?:and|but|so|also|or)\b,?\s+(?=\w)", re.I)
_QUESTION_LEAD = re.compile(r"^(do|does|did|can|could|would|will|is|are|have|has|should)\s+", re.I)
# placeholders for the names while pronouns are rewritten (see third_person)
_SPEAKER, _ADDRESSEE, _YOU = "\x00\x01", "\x00\x02", "\x00\x03"  # no word characters: no rule matches them
# the auxiliaries a question puts before its subject, which an embedded question puts after it ("did" goes, and its
# verb takes the past tense: "what did Ana miss" -> "what Ana missed", _indirect)
_AUXILIARY = "do|does|can|could|should|would|will|shall|must|might|may|is|are|was|were|has|have"
_AFTER_AUXILIARY = re.compile(rf"\b(did|{_AUXILIARY}) (I|you)\b", re.I)
_IRREGULAR = {"have": "has", "be": "is", "do": "does", "go": "goes"}
_IRREGULAR_PAST = dict(pair.split(":") for pair in (
    "say:said do:did go:went get:got make:made take:took tell:told see:saw think:thought find:found put:put "
    "send:sent know:knew mean:meant write:wrote give:gave leave:left come:came buy:bought pay:paid run:ran set:set "
    "cut:cut break:broke build:built choose:chose feel:felt forget:forgot hear:heard hold:held keep:kept lose:lost "
    "meet:met read:read sell:sold speak:spoke spend:spent win:won bring:brought begin:began catch:caught let:let "
    "have:had be:was").split())
_SINGULAR = {"are": "is", "were": "was", "have": "has"}
_PLURAL = {"is": "are", "was": "were", "has": "have"}


def third_person(text: str, speaker: str, addressee: str | None = None) -> str:
    """Rewrite first-person (and, with a known addressee, second-person) words as names.

    The names go in last, so a name that is itself a pronoun is never rewritten again: the console's person is
    "you", and "how do I deploy it?" to Confab became "how do confab deploy it"."""
    out = _SPACED_APOSTROPHE.sub(r"\1'\2", " ".join(text.split()))
    # after an auxiliary the verb keeps its form: "can I make" is "can Ana make", "do you have" "do Ben have"
    out = _AFTER_AUXILIARY.sub(lambda m: f"{m.group(1)} {_SPEAKER if m.group(2).lower() == 'i' else _YOU}", out)
    out = _AGREE.sub(lambda m: f"{_SPEAKER}{m.group(1)} {_third_singular(m.group(2))}", out)  # "I need": "Ana needs"
    for pattern, repl in _FIRST_PERSON:
        out = re.sub(pattern, repl.format(s=_SPEAKER), out, flags=re.I)
    if addressee:
        for pattern, repl in _SECOND_PERSON:
            out = re.sub(pattern, repl.format(a=_ADDRESSEE), out, flags=re.I)
    if speaker.lower() == "you":  # the console's person: "you need", "you are", not "you needs", "you is"
        out = re.sub(rf"{_SPEAKER}({_ADVERB}) ([\w']+)",
                     lambda m: f"{_SPEAKER}{m.group(1)} {agreeing(speaker, m.group(2))}", out, flags=re.I)
    return out.replace(_SPEAKER, speaker).replace(_ADDRESSEE, addressee or "").replace(_YOU, addressee or "you")


def agreeing(subject: str, verb: str) -> str:
    """``verb`` (a third-person singular form: "asks", "is", "needs") as ``subject`` takes it: unchanged for a
    name, the plain form for "you" (the console's person)."""
    if subject.lower() != "you":
        return verb
    lower = verb.lower()
    if lower in _YOU_FORMS:
        return _YOU_FORMS[lower]
    return _PLAIN_FORM.get(lower, verb)


def without_connective(question: str) -> str:
    """"and do you know …?", "Also, should we …?" ask as "do you know …?", "should we …?" do."""
    return _CONNECTIVE.sub("", question)


def _indirect(question: str, names: tuple[str | None, ...]) -> tuple[str, bool] | None:
    """A direct question as the clause a report embeds ("how do Ana deploy it" -> "how Ana deploys it", "can Ben
    come" -> "Ben can come"), and whether it is a yes/no question (reported with "whether"); None when its subject
    is not a name or pronoun this knows."""
    subjects = "|".join([*(re.escape(n) for n in names if n), "we", "they", "it", "he", "she", "this", "that"])
    match = re.match(rf"^((?:{_WH.pattern[2:-3]})\b(?:\s+[\w-]+){{0,2}}?\s+)?({_AUXILIARY}|did)\s+({subjects})\s+"
                     r"([a-z][\w-]*)\b(.*)$", question, flags=re.I)
    if match is None:
        return None
    wh, auxiliary, subject, verb, rest = match.groups()
    auxiliary, plural = auxiliary.lower(), subject.lower() in ("we", "they", "you")
    if auxiliary == "did":  # "what did bob say" -> "what bob said"
        clause = f"{subject} {_past(verb)}{rest}"
    elif auxiliary in ("do", "does"):
        clause = f"{subject} {verb if plural else _third_singular(verb)}{rest}"
    else:  # a modal, or a form of "be" or "have", agreeing with its subject
        clause = f"{subject} {(_PLURAL if plural else _SINGULAR).get(auxiliary, auxiliary)} {verb}{rest}"
    return (f"{wh}{clause}", False) if wh else (clause, True)


def _past(verb: str) -> str:
    """say -> said, decide -> decided, try -> tried, stop -> stopped: what "did" asked, as a report tells it."""
    lower = verb.lower()
    if lower in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[lower]
    if lower.endswith("e"):
        return verb + "d"
    if len(lower) > 1 and lower.endswith("y") and lower[-2] not in "aeiou":
        return verb[:-1] + "ied"
    if re.fullmatch(r"[^aeiou][^aeiou]?[aeiou][^aeiouwxy]", lower):  # one short syllable: stop, plan, chat
        return verb + verb[-1] + "ed"
    return verb + "ed"


def _third_singular(verb: str) -> str:
    """deploy -> deploys, fix -> fixes, try -> tries, have -> has."""
    lower = verb.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(lower) > 1 and lower.endswith("y") and lower[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


_PLAIN_FORM = {_third_singular(verb): verb for verb in _AGREE_VERBS}  # "goes" -> "go", "tries" -> "try"


def reported(text: str, speaker: str, addressee: str | None = None, you: str | None = None,
             others: tuple[str, ...] = ()) -> str:
    """A message as one reported sentence ("Ana asks Ben …", "Ana says …").

    ``addressee`` is whom the message speaks to; ``you`` (when that is not known) is only whom a "you" in it
    most likely means, e.g. the last other speaker: it names the person without claiming they were asked."""
    body = _VOCATIVE.sub("", " ".join(_EMOTICON.sub(" ", after_thanks(text)).split()))
    body = _FILLER.sub("", _GREETING.sub("", body)).strip()
    body = _HEDGES.sub("", body).strip() or text.strip()
    if body.endswith("?"):
        body = without_connective(body)
    body = re.sub(r"\s+([,.!?;:])", r"\1", body[:1].upper() + body[1:])
    if offers := offered(body):  # "how about Northstar?": "ana suggests Northstar.", not "ana asks how about …"
        things = " and ".join(third_person(offer.said(), speaker, addressee or you) for offer in offers)
        return f"{speaker} {agreeing(speaker, 'suggests')} {things}."
    *said, last = sentences(body) or [body]
    if addressee and said and _REQUEST.match(last):  # "Thursday then. Can you update the docs?": said, then asked
        return (f"{reported(' '.join(said), speaker, addressee, you, others)} "
                f"{reported(last, speaker, addressee, you, others)}")
    asked, _, after = body.partition("?")
    if addressee and (request := _REQUEST.match(asked)):  # "Can you take the migration?": a request, not a doubt
        task = third_person(request.group(1), speaker, addressee)
        after = third_person(after.strip().rstrip(".!"), speaker, addressee)
        return f"{speaker} {agreeing(speaker, 'asks')} {addressee} to {_lower_first(task, (speaker, addressee))}" + (
            f", {_lower_first(after, (speaker, addressee))}." if after else ".")
    body = third_person(body, speaker, addressee or you)
    if not body:
        return ""
    body = re.sub(r"([?!.])[?!.]+", r"\1", body)
    # "The cap is 10k rows, do we raise it?", "50k might blow memory. can we stream it instead?": a statement, then
    # a question; said as it was
    head, comma, tail = body.rpartition(", ")
    *before, question_last = sentences(body) or [body]
    asks_after = bool(body.endswith("?") and not (_QUESTION_LEAD.match(body) or _WH.match(body)) and (
        (comma and head and (_QUESTION_LEAD.match(tail) or _WH.match(tail)))
        or (before and (_QUESTION_LEAD.match(question_last) or _WH.match(question_last)))))
    if body.endswith("?") and not (_QUESTION_LEAD.match(body) or _WH.match(body) or asks_after):
        body = body.rstrip("?").rstrip(". ")  # "You were busy?" reads as a statement
    if body.endswith("?") and not asks_after:
        direct = body.rstrip("?").strip()
        lead = f"{speaker} {agreeing(speaker, 'asks')}" + (f" {addressee}" if addressee else "")
        names = (speaker, addressee or you)  # "do you know …?" put to the likely one reads "whether dave knows …"
        if (clause := _indirect(direct, (*names, *others))) is not None:  # others: "what did bob say" names bob
            question, yes_no = clause
        elif _QUESTION_LEAD.match(direct):  # a subject this can't find: asked as it was, not "whether the build green"
            return f"{lead}: {direct[:1].upper()}{direct[1:]}?"
        else:
            question, yes_no = direct, False
        return f"{lead}{' whether ' if yes_no else ' '}{_lower_first(question, names)}."
    if body.startswith(speaker):
        sentence = body
    else:
        sentence = (f"{speaker} says {_lower_first(body, (speaker, addressee))}" if SAYS
                    else f"{speaker}: {body}")
    sentence = sentence.rstrip(",;:-– ")
    return sentence if sentence[-1] in ".!?" else sentence + "."


def _lower_first(text: str, names: tuple[str | None, ...] = ()) -> str:
    if any(name and text.startswith(name) for name in names):
        return text
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not text.startswith("I "):
        return text[0].lower() + text[1:]
    return text

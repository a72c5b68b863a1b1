"""Turn a chat message into a reported-speech sentence: "Ana: I'll send you the deck" becomes
"Ana will send Ben the deck". Plain string rules (pronouns, a few auxiliaries), no model."""

from __future__ import annotations

import re

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
_AGREE = re.compile(r"\bI (need|want|think|like|love|hope|know|feel|guess|believe|mean|tend|prefer|plan|"
                    r"agree|suggest|remember|forget|wonder|worry|hate|wish|see|understand|expect|work|live|"
                    r"doubt|suppose|say|take|make|send|buy|get|go|come|try|look)\b", re.I)
# tokenised corpora write "I ' m" / "don ' t": join the apostrophes back first
_SPACED_APOSTROPHE = re.compile(r"(\w) ' (\w)")
_FILLER = re.compile(r"^(?:(?:oh|ah|um+|uh+|well|so|hey|hi|hello|ok(?:ay)?|yeah|yes|no|sure|right|"
                     r"alright|great|thanks|thank you)\b[,.!]*\s+)+", re.I)
_HEDGES = re.compile(r"\b(?:actually|really|just|basically|honestly|literally|kind of|sort of|anyway)\b,?\s*|"
                     r"(?:^|(?<=,)|(?<=, ))(?:you know|i mean|i guess|i think)\b,?\s*", re.I)
_VOCATIVE = re.compile(r"^(?:(?:hey|hi|hello|dear|oh|excuse me|sorry|thanks|thank you|well)[,!]?\s+)?"
                       r"(?:[A-Z][\w.'#-]*)(?:\s+[A-Z][\w.'#-]*)?\s*[,.!]\s+(?=\S)")
_EMOTICON = re.compile(r"(?:(?<=\s)|^)(?:[:;=8xX][-'^o]?[()\[\]DPpOo3/\\|*]+|<3|\^\^|\(:)(?=\s|$|[.,!?])|"
                       "[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]+")
_WH = re.compile(r"^(who|whom|whose|what|when|where|why|how|which)\b", re.I)
SAYS = False
_REQUEST = re.compile(r"^(?:(?:can|could|would|will) you|please|pls)\s+(?:please\s+)?(?:also\s+)?"
                      r"(?!(?:like|mind|believe|imagine|guess|be|see|hear|tell if|know)\b)(.+?)[?.!]*$", re.I)

_QUESTION_LEAD = re.compile(r"^(do|does|did|can|could|would|will|is|are|have|has|should)\s+", re.I)


def third_person(text: str, speaker: str, addressee: str | None = None) -> str:
    """Rewrite first-person (and, with a known addressee, second-person) words as names."""
    out = _SPACED_APOSTROPHE.sub(r"\1'\2", " ".join(text.split()))
    out = _AGREE.sub(lambda m: f"{speaker} {m.group(1)}s", out)  # "I need" -> "Ana needs"
    for pattern, repl in _FIRST_PERSON:
        out = re.sub(pattern, repl.format(s=speaker), out, flags=re.I)
    if addressee:
        for pattern, repl in _SECOND_PERSON:
            out = re.sub(pattern, repl.format(a=addressee), out, flags=re.I)
    return out


def reported(text: str, speaker: str, addressee: str | None = None, you: str | None = None) -> str:
    """A message as one reported sentence ("Ana asks Ben …", "Ana says …").

    ``addressee`` is whom the message speaks to; ``you`` (when that is not known) is only whom a "you" in it
    most likely means, e.g. the last other speaker: it names the person without claiming they were asked."""
    body = _VOCATIVE.sub("", " ".join(_EMOTICON.sub(" ", text).split()))
    body = _FILLER.sub("", body).strip()
    body = _HEDGES.sub("", body).strip() or text.strip()
    body = re.sub(r"\s+([,.!?;:])", r"\1", body[:1].upper() + body[1:])
    asked, _, after = body.partition("?")
    if addressee and (request := _REQUEST.match(asked)):  # "Can you take the migration?": a request, not a doubt
        task = third_person(request.group(1), speaker, addressee)
        after = third_person(after.strip().rstrip(".!"), speaker, addressee)
        return f"{speaker} asks {addressee} to {_lower_first(task, (speaker, addressee))}" + (
            f", {_lower_first(after, (speaker, addressee))}." if after else ".")
    body = third_person(body, speaker, addressee or you)
    if not body:
        return ""
    body = re.sub(r"([?!.])[?!.]+", r"\1", body)
    if body.endswith("?") and not (_QUESTION_LEAD.match(body) or _WH.match(body)):
        body = body.rstrip("?").rstrip(". ")  # "You were busy?" reads as a statement
    if body.endswith("?"):
        question = _QUESTION_LEAD.sub("", body.rstrip("?").strip())
        lead = f"{speaker} asks {addressee}" if addressee else f"{speaker} asks"
        verb = " whether " if question != body.rstrip("?").strip() else " "
        return f"{lead}{verb}{_lower_first(question, (speaker, addressee))}."
    if body.startswith(speaker):
        sentence = body
    else:
        sentence = (f"{speaker} says {_lower_first(body, (speaker, addressee))}" if SAYS
                    else f"{speaker}: {body}")
    sentence = sentence.rstrip(",;:-– ")
    return sentence if sentence[-1] in ".!" else sentence + "."


def _lower_first(text: str, names: tuple[str | None, ...] = ()) -> str:
    if any(name and text.startswith(name) for name in names):
        return text
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not text.startswith("I "):
        return text[0].lower() + text[1:]
    return text

"""Whether a message in a thread Confab follows is meant for it, as a colleague would judge.

In a thread where Confab answered, people keep talking without mentioning it. A colleague answers
the questions, requests and problem reports that follow, and lets acknowledgements and small talk
("thanks!", "ok, I'll set it up tomorrow", "👍") pass; a message that opens by addressing someone
else ("@bob can you…") is for that person. A mention or a DM is always answered: this judges only
unaddressed messages in followed threads.
"""

from __future__ import annotations

import re

from agent.text import has_word

_CLAUSES = re.compile(r"[,.;:!\n—–]+|\s-\s|\b(?:but|and then|also|so)\b", re.I)
_QUESTION_START = re.compile(
    r"^(what|what's|whats|how|why|where|where's|when|who|whom|whose|which|any idea|what about|how about|"
    r"(can|could|would|should|will) (you|it|i|we|they|confab|this|that|someone|one)|"
    r"(is|isn't|are|aren't|was|were|does|doesn't|do|don't|did|didn't) "
    r"(it|there|this|that|you|i|we|they|confab|the|a|an|my|our)|and (what|how|where|when|who|which|if))\b",
    re.I,
)
_ACKNOWLEDGEMENT = re.compile(
    r"^(ok(ay)?|k|kk|sure|yes|yep|yeah|yup|no|nope|thanks?( a lot| so much| again)?|thank you( so much)?|thx|ty|"
    r"cheers|cool|great|nice|perfect|awesome|brilliant|neat|lovely|got it|gotcha|makes sense|sounds good|"
    r"will do|i will|on it|noted|done|fine|right|lol|haha|np|no problem|good to know|all good|"
    r"(that|it) (works|worked|helps|helped))( (then|now|man|mate|folks|all|everyone|team))?$",
    re.I,
)
_REQUEST = re.compile(
    r"^(please\s+|pls\s+|can you\s+|could you\s+)?(tell|show|explain|summari[sz]e|list|give|find|search|look up|"
    r"check|describe|compare|draw|remind|help|walk me|point me|send|repeat|clarify|expand|elaborate|"
    r"i (need|want|would like|'d like) (to know|help|you to)|i wonder|i'm wondering|i am wondering|"
    r"not sure (how|what|where|why|when|which|if|whether))\b",
    re.I,
)
_PROBLEM = re.compile(
    r"\b(errors?|fails?|failed|failing|broken|(does|do|did)n'?t work|(does|do|did) not work|not working|"
    r"crash(es|ed|ing)?|stuck|exception|traceback|can'?t (find|get|see|start|connect|run|open)|"
    r"cannot (find|get|see|start|connect|run|open)|won'?t (start|run|work|load|connect))\b",
    re.I,
)
_OPENS_WITH_SOMEONE = re.compile(r"^\s*@[\w.\-]+")


def expects_answer(text: str, bot_name: str = "confab") -> bool:
    """True for a question, a request or a problem report; False for acknowledgements and small talk."""
    body = " ".join(text.split())
    if not body:
        return False
    opener = _OPENS_WITH_SOMEONE.match(body)
    if opener and opener.group(0).strip().lower() != f"@{bot_name.lower()}":
        return False  # "@bob can you take this?" is for bob
    if not has_word(body):
        return False  # "?", "??", "🤔": no question to answer (a mention of such gets the short hello)
    if "?" in body:
        return True
    for clause in _CLAUSES.split(body):
        clause = (clause or "").strip().lower()
        if not clause or _ACKNOWLEDGEMENT.match(clause):
            continue
        if _QUESTION_START.match(clause) or _REQUEST.match(clause):
            return True
    return _PROBLEM.search(body) is not None

"""What a message asks Confab for, read from its words: how the offline model routes a message to a tool
(agent/offline.py), and which messages a summary leaves out (a request for a summary, an image or the mood says
nothing about the team's work)."""

from __future__ import annotations

import re

# "what's new?", "anything I should know?": asked alone, a request to catch up on the conversation
_CATCH_UP = (r"^(so\s+)?(what'?s new|what'?s (been )?(going on|happening)|what happened|anything (new|important|i "
             r"should know( about)?)|any (news|updates))(\s+(here|today|lately|in here|while i was (away|out)|"
             r"since yesterday))?[\s?!.]*$")
SUMMARY = re.compile(r"\b(summar(y|ies|i[sz]e)|sum up|tl;?dr|recap|catch me up|what did i miss)\b|" + _CATCH_UP,
                     re.I)
IMAGE = re.compile(
    r"^(please\s+)?(draw|paint|sketch|imagine)\b|\b(draw|generate|create|make|paint|render)\b.{0,40}"
    r"\b(image|picture|drawing|illustration|logo|photo|icon|poster|sketch)e?s?\b", re.I)
# a question about what was said before ("what did we decide about the export cap?"): conversation search
PAST = re.compile(r"\b(what (did|have) (we|you|they|\w+) (decide|agree|say|said|discuss|settle|conclude|choose|pick|"
                  r"ask|asked|suggest|propose|mention|want)"
                  r"|(did|have) we (decide|decided|agree|agreed|settle|settled)|what (was|were|got) (decided|agreed)"
                  r"|who (said|decided|suggested|proposed)|remind me what we)\b", re.I)
# "summarize this file", "what does the attached log say?": asks about a file that came with the message
THIS_FILE = re.compile(r"\b(?:this|that|these|those|my|the attached|attached)\s+(?:file|files|log|logs|pdf|pdfs|"
                       r"attachment|attachments|csv|spreadsheet|screenshot)\b", re.I)
# the room's feelings asked after ("how does everyone feel today?", "how are people feeling about the launch?") are
# its mood; one person's ("how do I feel about it") are not Confab's to read
_ROOM_FEELS = r"how (?:does|do|is|are) (?:every(?:one|body)|people|the team|the room|folks|y'?all) feel(?:ing)?\b"
SENTIMENT = re.compile(rf"\b(sentiment|mood|tone|vibe)\b|^{_ROOM_FEELS}", re.I)
CLASSIFY = re.compile(r"\b(classify|categori[sz]e|label|tag)\b", re.I)
BRAINSTORM = re.compile(r"\bbrainstorm\b|\b(ideas?|suggestions?)\s+(for|about|on)\b", re.I)
# the words that greet: a whole greeting (GREETING), one before a question (GREETING_LEAD), one to the room that a
# summary leaves out (agent/summarize/rewrite.py)
GREETING_WORD = r"(?:hi|hello|hey|yo|hiya|good (?:morning|afternoon|evening))"
GREETING = re.compile(rf"^{GREETING_WORD}( there| all| team)?\b[!. ]*$", re.I)
# thanks, and a short word of praise after it ("thanks, that was helpful", "thank you so much - that fixed it"), never
# a question ("thanks, and where do I put the token"); "great, the build is broken again" is no thanks
THANKS = re.compile(r"^((thanks|thank you|thx|ty|cheers)\b"
                    r"(?![^?]*\b(how|what|where|why|when|who|which|can|could|would|does|do|is|are|should|but|and)\b)"
                    r"[\w ,'’–-]{0,40}|(great|perfect|awesome|got it)\b[\w ]{0,20})[!. 🙏👍🙂😊]*$", re.I)
# a reply that only acknowledges ("ok", "+1", "sounds good", a 👍 or 🙏 alone): nothing to search the docs for
ACKNOWLEDGEMENT = re.compile(r"^(ok(ay)?|k|kk|sure|yes|yep|yeah|yup|no|nope|cool|nice|noted|fine|right|lol|haha|np|"
                             r"\+1|will do|sounds good|makes sense|all good|no problem|good to know|"
                             "(?:[\U0001F44D\U0001F44C\U0001F64F\U0001F64C\u2705\U0001F4AF\U0001F389\u2764]"
                             "[\U0001F3FB-\U0001F3FF\uFE0F]*\\s*)+)[!. ]*$", re.I)
# "how do I summarize a thread?" asks about the feature (the docs), it doesn't ask for a summary
HOW_TO = re.compile(r"^(how (do|can|should|would) (i|we|you)|how to)\b", re.I)
# this conversation ("is the mood good here?", "why is the mood so bad today?", "what would be a good summary of
# this?"): a question about it asks for the feature's reading of it
_THIS_CONVERSATION = (r"(?!.*(\b(here|this (channel|thread|conversation|chat|discussion)|today|yesterday|"
                      r"this (morning|week|month))\b|\b(this|these)[\s?.!]*$))")
# a yes/no question about something other than the asker, Confab addressed as "you" or this conversation asks about
# a feature ("are summaries private?", "does it detect the mood of a channel?"), it doesn't ask for one ("can you
# summarize this?", "can we get a recap?", "is there a summary of today?", "is the mood good here?")
ABOUT_A_FEATURE = re.compile(r"^(does|do|did|is|are|was|were|will|would|should|can|could|may|has|have)\s+"
                             r"(?!(you|u|ya|i|we|us|me|there|it\s+be\s+possible|it\s+possible)\b)\w"
                             + _THIS_CONVERSATION, re.I)
# an open question ("who can see a summary?", "what is the mood feature?", "how many ideas does brainstorm seed?")
# or a request to explain ("explain summaries", "tell me about the mood detection") asks about a feature too, but
# for the few forms that ask for its reading of the conversation: "what's the mood?", "how is the vibe?", "what is
# the summary of this thread?", "any ideas for the offsite?", "what did I miss?"
_OPEN_QUESTION = re.compile(r"^((what|who|whom|whose|when|where|why|which|how)\b|explain\b|describe\b|"
                            r"tell (me|us) (more )?about\b)" + _THIS_CONVERSATION, re.I)
_ASKS_FOR_A_READING = re.compile(
    r"^(what|how)(['’]s|\s+is|\s+was|\s+are|\s+were)\s+((the|our|this)\s+(\w+['’]s\s+)?|\w+['’]s\s+)"
    r"(overall\s+|general\s+|current\s+)?"
    r"(mood|vibe|tone|sentiment|feeling|summary|recap|tl;?dr|gist)"
    r"(\s+(of|in|on|from|among|over|since|during)\b.*|\s+(now|lately|so far|like|been like))?[\s?.!]*$"
    r"|^(what|any)\s+(\w+\s+){0,2}(ideas|suggestions)\b|^what did i miss\b|^" + _ROOM_FEELS + "|" + _CATCH_UP, re.I)

# a statement asked to be confirmed ("summaries are private, right?", "the digest covers threads, doesn't it?")
_TAG_QUESTION = re.compile(_THIS_CONVERSATION + r".*,\s*(right|correct|true|yes|no|isn'?t it|aren'?t they|"
                           r"doesn'?t it|don'?t they|is it|are they)\s*\?\s*$", re.I)
_SENTENCE_BREAK = re.compile(r"[?.!:;]\s+\S")


def about_a_feature(text: str) -> bool:
    """Does the message ask about one of Confab's features (how it works, who sees it) rather than for it? Such a
    question is for the docs, even where it names the feature."""
    one_sentence = not _SENTENCE_BREAK.search(text)  # "how do people feel? sentiment please" asks for it
    return bool(ABOUT_A_FEATURE.search(text) or _TAG_QUESTION.match(text)
                or (one_sentence and _OPEN_QUESTION.search(text) and not _ASKS_FOR_A_READING.search(text)))


# a judgement of what Confab made ("this summary is useless", "the tldr missed the decision", "that image looks
# wrong"): feedback, not a request for another one; asked ("summaries are private, right?") it is a question
VERDICT = re.compile(r"^(?!.*\?\s*$)(the|this|that|your|ur|its|these|those)\s+(last\s+|previous\s+|new\s+)?"
                     r"(summary|summaries|tl;?dr|recap|digest|labels?|image|picture|brainstorm)\s+"
                     r"(is|was|are|were|isn'?t|wasn'?t|missed|misses|left|leaves|got|gets|has|had|says|said|looks|"
                     r"seems|sounds|lacks|doesn'?t|didn'?t|sucks|reads)\b", re.I)
# a remark, neither a question nor a request ("I think the deploy went fine today", "we shipped the export"): when the
# docs have nothing on it, "the knowledge base doesn't cover that" answers a question nobody asked. A report of a
# problem or a wish ("the bot doesn't answer", "I need the retention period") is an implicit question, not a remark
REMARK = re.compile(
    r"^(?![^?]*\?)(?!.*\b(?:how|what|where|why|which|who|whom|whether|help|need|needs|want|wants|wonder|trying|know|"
    r"like to|looking for|curious|can'?t|cannot|couldn'?t|won'?t|doesn'?t|don'?t|didn'?t|isn'?t|aren'?t|wasn'?t|not|"
    r"no longer|broken|error|errors|fail|fails|failed|failing|stuck|please|pls)\b)"
    r"(?:i|i'?m|i'?ve|i'?ll|i'?d|we|we'?re|we'?ve|we'?ll|it|it'?s|the|this|that|our|my|they|they'?re|he|she|"
    r"there'?s|just|today|finally|fyi)\b", re.I)
# an explicit request for the list of what Confab does, as people put it ("what can you do for our team?", "how can
# you help us?", "which commands do you know?"), never a question about doing something ("what can you do about the
# rate limit?" is for the docs)
HELP = re.compile(r"^\?$|^(?:so|and|ok|okay)?[,\s]*(?:help|who are you|what are you"
                  r"|what (?:else )?(?:can|could) you (?:do|help (?:me |us )?with)"
                  r"|(?:how|with what) (?:can|could) you help(?: me| us)?"
                  r"|what (?:are you (?:able to do|good at|for)|do you do|is this bot for)"
                  r"|(?:what|which) commands (?:do you (?:have|know|understand)|are there|can i use)"
                  r"|(?:list|show)(?: me)?(?: your| the)? commands)"
                  r"(?: (?:for|in) (?:me|us|(?:our|the|this|my) (?:team|channel|server|workspace))| here)?"
                  r"\s*[?!.]*$", re.I)
# a greeting before the question ("hi, how do I deploy confab?"): the question is what follows
GREETING_LEAD = re.compile(rf"^{GREETING_WORD}(?: there| all| team| folks| everyone)?\s*[,!.:;\-–—]*\s+(?=\S)", re.I)
# "ok thanks, and where do I put the signing secret?": the question after a thanks is the question
THANKS_LEAD = re.compile(r"^(?:ok(?:ay)?|cool|great|perfect|got it|thanks|thank you|thx)"
                         r"(?:,?\s+(?:thanks|thank you|thx))?[,!.]*\s+"
                         r"(?:(?:and|also|but|so|then|one more thing:?)\s*,?\s*)?"
                         r"(?=(?:how|what|where|why|when|who|which|can|could|does|do|is|are|should|will)\b)", re.I)
# the whole message asks the clock ("what time is it?", "what's the date today?"): the docs answered it from an example
# schedule in them
CLOCK = re.compile(r"^(what(?:'s| is)? (?:the )?(?:time|date|day)(?: is it)?(?: (?:now|today|right now))?"
                   r"|what time is it(?: now| right now)?|what day is (?:it|today)(?: today)?"
                   r"|what(?:'s| is) today's date)\s*[?!.]*$", re.I)
# "remind me to …", "can you remind us tomorrow at 9 to …": a when may stand between the person and the what
_WHEN = (r"(?:tomorrow|tonight|today|later|soon|again|(?:this|next|every|on) \w+|at [\w:.]+(?:\s?[ap]m)?"
         r"|in (?:an? |\d+ )?\w+|(?:first thing )?(?:in the )?(?:morning|afternoon|evening))")
REMIND = re.compile(rf"^(?:please\s+|(?:can|could|would|will) you\s+(?:please\s+)?)?remind (?:me|us|@?[\w.\-]+)"
                    rf"(?:,?\s+{_WHEN})*\s+(?:to|about|that)\b", re.I)
# where the team's work stands ("who is working on the export?", "when will streaming be done?", "is the fix merged
# yet?"): the channel's talk answers it, not the docs, whose examples ("the export cap") share its topic's words
_DONE = r"(?:done|ready|finished|fixed|shipped|merged|deployed|released|live|out)"
STATUS = re.compile(r"\b(?:who(?:'s| is| are)\s+(?:working on|doing|handling|taking care of|fixing|looking (?:at|into)|"
                    r"in charge of|responsible for)"
                    rf"|when (?:will|would|is|are|does|do|can)\b.*\b{_DONE}"
                    rf"|(?:is|are|was|were|has|have)\b.*\b{_DONE}\s+yet"
                    r"|(?:status|progress) (?:of|on)|any (?:update|news|progress) on|how far along|eta (?:for|on))\b",
                    re.I)
STATUS_WORDS = ("work", "working", "doing", "handling", "taking", "care", "fixing", "looking", "charge", "responsible",
                "done", "ready", "finished", "fixed", "shipped", "merged", "deployed", "released", "live", "status",
                "progress", "update", "news", "far", "along", "eta", "yet")


def asks_for_a_feature(text: str) -> bool:
    """Does a message to Confab (without the mention) ask for one of its own features (a summary, an image, the
    mood, labels, a brainstorm, help, a greeting, thanks or an "ok") rather than about the team's work? A question
    about what was said or how to do something is about the work."""
    text = GREETING_LEAD.sub("", " ".join(text.split()).strip(" ,:"))  # "hi! what can you do?" asks for help
    if HELP.match(text):  # "what can you do?" is an open question, but one about Confab, not the work
        return True
    if PAST.search(text) or HOW_TO.search(text) or about_a_feature(text):
        return False
    return bool(SUMMARY.search(text) or IMAGE.search(text) or SENTIMENT.search(text) or CLASSIFY.search(text)
                or BRAINSTORM.search(text) or GREETING.match(text) or THANKS.match(text)
                or ACKNOWLEDGEMENT.match(text) or VERDICT.match(text))


def is_request_to_bot(text: str, bot_name: str) -> bool:
    """Commands, and asking Confab for one of its features ("@confab summarize please", "@confab draw a cat"), are
    no part of the team's conversation: summaries, the mood, labels and brainstorm seeds leave them out. Everything
    else said to Confab is: "@confab remind us to …" is an action item, "@confab what did we decide?" a question."""
    head = " ".join(text.split()).lower()
    if head.startswith("/"):
        return True
    bot = f"@{bot_name.lower()}"
    if not head.startswith(bot):
        return False
    rest = head[len(bot):].lstrip(" ,:")
    return rest.startswith("/") or asks_for_a_feature(rest)  # "@confab /summarize" runs a command (Slack's way)


# a channel a request names: Slack's and the console's "#general" (Slack's <#C…|general> arrives so), Discord's <#123>
# ("#4512" is an issue's number)
_NAMED_CHANNEL = re.compile(r"(?<![\w&#/])(#(?!\d+(?![\w-]))[\w-]{1,80}|<#\d{1,20}>)")


def channels_named(text: str) -> list[str]:
    """The channels ``text`` names ("#general", Discord's "<#123>"), in order."""
    return [m.group(1) for m in _NAMED_CHANNEL.finditer(text)]


def channel_named_elsewhere(text: str, here: str | None) -> str | None:
    """The channel ``text`` names when it is not this one (``here``: how this channel is written, as
    ``ChannelAccess.label`` gives it); None when it names none or this one, or this one's name is unknown."""
    named = channels_named(text)
    if here is None or not named or any(name.lower() == here.lower() for name in named):
        return None
    return named[0]

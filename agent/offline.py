"""The offline chat model: a LangChain chat model that needs no key and no network.

It does not generate text. It reads the user's message, picks a tool by intent (summaries,
images, sentiment, labels, brainstorming; any other question goes to the knowledge search) and,
once the tools answered, shows their human-ready output (:class:`agent.tools.base.ToolOutput`).
When no tool fits it says what it can do and that a configured model (``CONFAB_MODEL``) would do
more. Everything it says comes from tool results or from the channel's own messages.

A follow-up ("where does it keep its data then?", "how many can I make a day?") is searched together
with the question it follows (the thread's previous message, or outside a thread the question the bot
has just answered), its quotes chosen for its own words; it is also searched alone, and that answer is
shown when the first finds nothing or quotes too few of the follow-up's own words ("it" was Confab: "does
it need an API key?" after a systemd answer). A configured model reads the history and writes its own query.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool

from agent.classify.labels import asked_labels
from agent.context import current_turn
from agent.files.search import NO_FILE
from agent.files.search import TOOL as FILES_TOOL
from agent.followups import CARRIES_ON, POINTS_BACK, followed_question, on_topic, own_words, stemmed, without_mention
from agent.intents import (
    ACKNOWLEDGEMENT,
    BRAINSTORM,
    CLASSIFY,
    CLOCK,
    GREETING,
    GREETING_LEAD,
    HELP,
    HOW_TO,
    IMAGE,
    PAST,
    REMARK,
    REMIND,
    SENTIMENT,
    STATUS,
    STATUS_WORDS,
    SUMMARY,
    THANKS,
    THANKS_LEAD,
    THIS_FILE,
    VERDICT,
    about_a_feature,
    channel_named_elsewhere,
    channels_named,
    is_request_to_bot,
)
from agent.recall.authors import names_someone
from agent.summarize.scope import scope_in_text
from agent.text import has_word
from agent.tools.base import ToolOutput
from agent.tools.summarize import asked_elsewhere
from agent.words import content_words

OFFLINE_NOTE = (
    "_I'm running offline: I answer only from the team's documents and this channel. "
    "Set `CONFAB_MODEL` (e.g. `openai:gpt-4.1-mini`) for a full language model._"
)
# the reply to a remark the docs have nothing on; true wherever it is said: every message Confab sees is kept
_NOTED = ("Noted: it's part of this conversation now, so summaries and `/recall` include it. I answer questions about "
          "your team's documents and conversations: ask me one, or type `/help`.")

_POINTS_TO = re.compile(r"\b(?:it|that|this|them|those)\b", re.I)  # a message that speaks of the one before
_QUOTED = re.compile(r"[\"“«](.+?)[\"”»]")
_ASKS_TO_CLASSIFY = re.compile(r"^(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:classify|categori[sz]e)\b", re.I)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]+")
_STOP = frozenset(
    "the a an and or but is are was were be to of in on for at by with what who how why when where which "
    "do does did can could should would i you we they it this that these those me my our your please about "
    "tell say said any there have has had from".split()
)

CAPABILITIES = {
    "search_knowledge": "answer questions from the team's documents, with citations",
    FILES_TOOL: "read files attached to your message (text, code, logs, HTML, PDF), with citations",
    "summarize_conversation": "summarize this channel or thread (`/summarize`)",
    "classify_messages": "sort messages into labels you choose",
    "analyze_sentiment": "read the mood of a conversation",
    "generate_image": "generate images (`/imagine`) when an image model is configured",
    "brainstorm_ideas": "seed and organise ideas (`/brainstorm`)",
}


# words that only point at the attached file: "what does this log say?" asks for all of it, like a summary
_FILE_WORDS = frozenset("file files log logs pdf document doc docs attachment attached attachments this these that "
                        "say says saying tell tells about contain contains inside read look what whats going "
                        "happened happening mean means here there what's it's".split())


def _about_file(text: str) -> bool:
    """Does the question name nothing but the file ("what does this log say?", "what's in here?", or nothing)?"""
    return not (_content_words(text) - _FILE_WORDS)


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


class OfflineChatModel(BaseChatModel):
    bot_name: str = "confab"
    tool_names: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "confab-offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        names = tuple(t.name if isinstance(t, BaseTool) else str(getattr(t, "name", t)) for t in tools)
        return self.model_copy(update={"tool_names": names})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return self._generate(messages, stop)

    # --- the decision --------------------------------------------------------------------

    def respond(self, messages: Sequence[BaseMessage]) -> AIMessage:
        tool_results = _trailing_tool_messages(messages)
        if tool_results:
            return _answer(self._compose(tool_results, messages))
        text = _question(messages, self.bot_name)
        talk = [line for line in _history_lines(messages)  # what was asked of Confab is no talk to label or read
                if not is_request_to_bot(line.partition(": ")[2], self.bot_name)]
        return self._decide(text, talk, _history_lines(messages, bots=True))

    def _decide(self, text: str, history: list[str], conversation: Sequence[str] = ()) -> AIMessage:
        if HELP.match(text):
            return _answer(self._introduction())
        turn = current_turn.get()
        if turn is not None and any(f.chunks for f in turn.files) and FILES_TOOL in self.tool_names:
            # "what does this log say?", "summarize this PDF": the attached files are what is asked about
            return _call(FILES_TOOL, {"question": text, "summarize": bool(SUMMARY.search(text)) or _about_file(text)})
        if THIS_FILE.search(text) and FILES_TOOL in self.tool_names and not (turn and turn.files):  # none came
            return _answer(NO_FILE)  # a summary of the channel instead, as before, answered another question
        if ACKNOWLEDGEMENT.match(text):  # "ok", "+1", "👍": the docs have nothing to say to that
            return _answer("👍")
        if not has_word(text) or GREETING.match(text):  # nothing, or no word at all ("????", "🤔")
            return _answer(f"Hi! I'm {self.bot_name}. Ask me about your team's documents or this channel, "
                           f"or type `/help` to see what I can do.\n\n{OFFLINE_NOTE}")
        if THANKS.match(text):
            return _answer("You're welcome!")
        if CLOCK.match(text):
            return _answer(f"It's {datetime.now(UTC):%A %-d %B %Y, %H:%M} UTC.")
        if VERDICT.match(text):  # "this summary is useless": another one would say the same
            return _answer("Thanks for saying so. A 👎 under that answer (in the console `/rate down`) keeps it with "
                           "your vote for the admins (`/confab feedback`).\n\n" + OFFLINE_NOTE)
        if REMIND.match(text):
            return _answer("I can't send reminders. I keep your message, though: it is an action item in this "
                           "channel's summaries and digests (`/summarize`, `/digest`).\n\n" + OFFLINE_NOTE)
        if (PAST.search(text) or names_someone(text)) and "search_conversations" in self.tool_names:
            return _call("search_conversations", {"query": text})
        if (STATUS.search(text) and not HOW_TO.search(text)
                and (said := self._from_channel(text, history, leave_out=stemmed(STATUS_WORDS)))):
            return _answer(said)  # where the work stands is in the talk; the docs only when the talk has nothing
        search = self._search(text, conversation)
        if (HOW_TO.search(text) or about_a_feature(text)) and "search_knowledge" in self.tool_names:
            return search
        if SUMMARY.search(text):
            here = turn.recall_access.label(turn.channel_key) if turn and turn.recall_access else None
            if other := channel_named_elsewhere(text, here):  # it summarized the DM it was asked in
                return _answer(asked_elsewhere(other))
            # this one's name not known yet (a platform's list of conversations not read lately): the tool checks
            named = channels_named(text)[:1] if here is None else []
            return self._call_or_explain("summarize_conversation",
                                         {"scope": scope_in_text(text), **({"named": named[0]} if named else {})},
                                         "summarize conversations")
        if IMAGE.search(text):
            prompt = re.sub(r"^(please\s+)?(draw|paint|sketch|imagine|generate|create|make)\s+(me\s+)?", "",
                            text, flags=re.I).strip() or text
            return self._call_or_explain("generate_image", {"prompt": prompt}, "generate images")
        if CLASSIFY.search(text) and len(names := asked_labels(_QUOTED.sub(" ", text))) >= 2:
            quoted = _QUOTED.findall(text) or history[-20:]
            return self._call_or_explain("classify_messages", {"messages": quoted, "labels": names},
                                         "classify messages")
        if _ASKS_TO_CLASSIFY.match(text) and "classify_messages" in self.tool_names:  # but named no labels
            example = found.group(1)[:80].replace("`", "'") if (found := _QUOTED.search(text)) else "…"
            return _answer(f"Into which labels? Name them after \"as\", with a short description if you like: "
                           f"`@{self.bot_name} classify \"{example}\" as bug (something is broken) / feature / "
                           f"question`. For the mood of a message, ask for its sentiment.")
        if SENTIMENT.search(text):
            quoted = _QUOTED.findall(text) or history[-50:]
            return self._call_or_explain("analyze_sentiment", {"messages": quoted}, "read sentiment")
        if BRAINSTORM.search(text):
            topic = re.sub(r"^.*?\b(brainstorm(ing)?|ideas?\s+(for|about|on)|suggestions?\s+(for|about|on))\b\s*",
                           "", text, flags=re.I).strip(" ?.!:") or text
            return self._call_or_explain("brainstorm_ideas", {"topic": topic}, "brainstorm")
        if "search_knowledge" in self.tool_names:
            return search
        return _answer(self._from_channel(text, history) or self._cannot_help())

    def _search(self, text: str, conversation: Sequence[str]) -> AIMessage:
        """Search the docs for the question; a follow-up with the question it follows first, alone second."""
        alone = {"query": text, "k": 5}
        previous = None
        own = own_words(text)
        turn = current_turn.get()
        in_thread = turn is not None and turn.thread is not None
        # "do you know?", "really?", "what about X?": the question before; in a thread, any question may lean on
        # the thread's topic ("how do I set it up on slack?" … "where do I put the signing secret?"), and one on
        # another topic is answered alone (_compose keeps an answer found with the context only if it is on topic)
        if POINTS_BACK.search(text) or not own or in_thread:
            previous = followed_question(conversation, in_thread, self.bot_name,
                                         asker=turn.author_name if turn is not None else None,
                                         carries_on=not own or bool(CARRIES_ON.match(text)))
        if previous is None:
            return _call("search_knowledge", alone)
        if not own:  # "is that right?", "what do you mean?": the question it follows, alone
            return _call("search_knowledge", {"query": without_mention(previous, self.bot_name), "k": 5})
        with_context = {"query": f"{without_mention(previous, self.bot_name)} {text}", "focus": text, "k": 5}
        return _calls([("search_knowledge", with_context), ("search_knowledge", alone)])

    def _call_or_explain(self, tool: str, args: dict[str, Any], what: str) -> AIMessage:
        if tool in self.tool_names:
            return _call(tool, args)
        return _answer(f"I can't {what} in this setup yet.\n\n{OFFLINE_NOTE}")

    # --- composing answers -----------------------------------------------------------------

    def _compose(self, results: list[ToolMessage], messages: Sequence[BaseMessage]) -> str:
        question = _question(messages, self.bot_name)
        searches = [r for r in results if r.name == "search_knowledge"]
        if len(searches) > 1:  # a follow-up searched with its context, then alone: the first that found it
            answered = [r.artifact for r in searches if isinstance(r.artifact, ToolOutput) and r.artifact.ok
                        and not r.artifact.extra.get("abstained")]
            keep = answered[0] if answered else searches[-1].artifact
            if answered and not on_topic(answered[0].for_user, question):
                # the context took over: "does it need an API key?" isn't about systemd, and "who is on call this
                # weekend?" after a question about streaming is not about streaming: then the question alone
                keep = answered[1] if len(answered) > 1 else searches[-1].artifact
            results = [r for r in results if r.name != "search_knowledge" or r.artifact is keep]
        parts: list[str] = []
        for result in results:
            output = result.artifact
            if isinstance(output, ToolOutput):
                abstained = bool(output.extra.get("abstained"))
                found = self._from_channel(question, _history_lines(messages)) if abstained else None
                if abstained and not found and result.name == "search_knowledge" and REMARK.match(question):
                    parts.append(_NOTED)  # "I think the deploy went fine": no question to say the docs don't answer
                    continue
                # what the channel said answers first; that the documents don't cover it comes after
                parts.extend([found, output.for_user] if found else [output.for_user])
            else:
                parts.append(f"The {result.name} tool answered, but not in a form I can show offline.")
        return "\n\n".join(p for p in parts if p.strip())

    def _from_channel(self, question: str, history: list[str], leave_out: frozenset[str] = frozenset()
                      ) -> str | None:
        """Quote earlier messages of this channel that share the question's content words (stemmed, as the
        searches compare them: "who owns the changelog?" finds "can you own the changelog by friday?"), but for
        the words ``leave_out`` (stemmed: how a status question asks, not what about: "working", "done")."""
        mention = f"@{self.bot_name.lower()}"
        turn = current_turn.get()
        own = f"{turn.author_name}: " if turn is not None else None
        lines = [(index, line) for index, line in enumerate(history)  # not what was put to the bot, nor the
                 if mention not in line.lower()  # asker's own earlier questions (a DM names no bot)
                 and not (own and line.startswith(own) and line.rstrip().endswith("?"))]
        bodies = [line.partition(": ")[2] for _, line in lines]
        wanted, *said = (set(words) for words in content_words([question, *bodies]))
        wanted -= leave_out
        if not wanted:
            return None
        scored = []
        for n, ((index, line), words) in enumerate(zip(lines, said, strict=True)):
            if n and _POINTS_TO.search(bodies[n]):  # "I'll resize it today" after "let's bump the replica to 8GB"
                words = words | said[n - 1]
            overlap = len(wanted & words)
            if overlap >= max(1, min(2, len(wanted))):
                scored.append((overlap, index, line))
        if not scored:
            return None
        best = sorted(sorted(scored, reverse=True)[:3], key=lambda item: item[1])
        quotes = "\n".join(f"> {line}" for _, _, line in best)
        return f"Earlier in this channel:\n{quotes}"

    def _introduction(self) -> str:
        """The capability list: only for an explicit request for help, never for small talk."""
        hello = f"I'm {self.bot_name}, your team's assistant. "
        can = [CAPABILITIES[name] for name in CAPABILITIES if name in self.tool_names]
        listing = "".join(f"\n• {item}" for item in can) or "\n• remember this channel's conversation"
        return f"{hello}Here's what I can do:{listing}\nType `/help` for commands.\n\n{OFFLINE_NOTE}"

    def _cannot_help(self) -> str:
        return ("I couldn't find anything to answer that with. I can answer from the team's documents "
                "(add them to the knowledge folder) and from this channel's history.\n\n" + OFFLINE_NOTE)


def _answer(text: str) -> AIMessage:
    return AIMessage(text, usage_metadata={"input_tokens": 0, "output_tokens": len(text) // 4,
                                           "total_tokens": len(text) // 4})


def _call(name: str, args: dict[str, Any]) -> AIMessage:
    return _calls([(name, args)])


def _calls(calls: Sequence[tuple[str, dict[str, Any]]]) -> AIMessage:
    """Tool calls the agent runs concurrently."""
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}",
                                      "type": "tool_call"} for name, args in calls],
                     usage_metadata={"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})


def _trailing_tool_messages(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    trailing: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        trailing.append(message)
    return list(reversed(trailing))


def _history_lines(messages: Sequence[BaseMessage], bots: bool = False) -> list[str]:
    """The channel's recent lines ("name: text"), the bot's own ("(bot) name: text") only with ``bots``."""
    for message in messages:
        if isinstance(message, SystemMessage) and message.additional_kwargs.get("confab") == "history":
            body = str(message.content).removeprefix("<channel_history>\n").removesuffix("\n</channel_history>")
            return [line for line in body.splitlines() if line and (bots or not line.startswith("(bot) "))]
    return []


def _question(messages: Sequence[BaseMessage], bot_name: str) -> str:
    """The person's message this turn answers, without the mention of the bot, and without a greeting or a thanks
    before its question ("hi team, how do I …?", "ok thanks, and where do I …?")."""
    user = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    return THANKS_LEAD.sub("", GREETING_LEAD.sub("", without_mention(str(user.content) if user else "", bot_name)))

"""The ``summarize_conversation`` tool: a summary of the current channel or thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from langchain_core.tools import BaseTool, StructuredTool

from agent.context import TurnContext, report, require_turn
from agent.intents import channel_named_elsewhere
from agent.tools.base import ToolOutput

if TYPE_CHECKING:
    from agent.context import HistoryFetcher
    from agent.summarize.render import LinkFn
    from agent.summarize.scope import Scope
    from agent.summarize.service import Summarizer

log = logging.getLogger(__name__)


async def summarize_for(summarizer: Summarizer, channel_key: str, thread: str | None, scope_text: str,
                        fetch_history: HistoryFetcher | None = None, link: LinkFn | None = None,
                        scope: Scope | None = None, where: str | None = None, asking: str | None = None
                        ) -> tuple[str, ToolOutput]:
    """Summarize a channel/thread; returns (text for a model, ToolOutput with the Markdown for people).

    ``scope`` (a window chosen by the platform, e.g. "from this message") takes the place of ``scope_text``;
    ``where`` names the channel in the title (default "this thread" / "this channel"); ``asking`` is the message
    that asked for it, left out of it.
    """
    from agent.summarize.render import render_for_model, summary_layout
    from agent.summarize.scope import ScopeError, parse_scope

    try:
        scope = scope or parse_scope(scope_text)
    except ScopeError as exc:
        log.info("bad summary scope", extra={"scope": scope_text[:60]})
        return str(exc), ToolOutput("summarize_conversation", str(exc), ok=False)
    report("gathering the conversation…")
    messages, facts = await summarizer.collect(channel_key, thread, scope, fetch_history, asking)
    report(f"reading {len(messages)} messages…")
    summary = await summarizer.summarize(messages, facts, topic=scope.topic)
    title_where = where or ("this thread" if thread else "this channel")
    title = f"Summary of {title_where} ({scope.label})" if not scope.default or not thread \
        else f"Summary of {title_where}"
    if scope.topic:
        title += f", about {scope.topic}"
    layout = summary_layout(summary, title=title, link=link)
    output = ToolOutput("summarize_conversation", layout.markdown(), layout=layout,
                        extra={"messages": summary.coverage.messages, "model_calls": summary.model_calls,
                               "tokens": summary.tokens, "method": summary.method})
    # a channel named by the caller (the one viewed beside a pane) is named to the model too
    return (f"{title}\n{render_for_model(summary)}" if where else render_for_model(summary)), output


def asked_elsewhere(other: str) -> str:
    """The reply to a summary of another channel asked here ("summarise #general" in a DM)."""
    return (f"I summarize the conversation I'm asked in, so not {other} from here: run `/summarize` in {other} "
            "(only you see it) or mention me there.")


async def named_elsewhere(turn: TurnContext, named: str) -> str | None:
    """``named`` when it is not the conversation of ``turn`` (a DM names no channel), learnt from the platform when
    the conversation's name was not known yet; None when it is this one or that can't be told."""
    access = turn.recall_access
    if access is None:
        return None
    if (await access.visibility([turn.channel_key])).get(turn.channel_key) == "dm":
        return named
    return channel_named_elsewhere(named, access.label(turn.channel_key))  # known now the platform's list was read


def make_summarize_tool(summarizer: Summarizer) -> BaseTool:
    async def summarize_conversation(scope: str = "", named: str = "") -> tuple[str, ToolOutput]:
        turn = require_turn()
        if named and (other := await named_elsewhere(turn, named)) is not None:
            text = asked_elsewhere(other)
            return text, ToolOutput("summarize_conversation", text, ok=False)
        # asked from a pane: the channel being viewed, if the asker may read it
        viewed = await turn.viewed() if turn.viewed is not None else None
        if isinstance(viewed, str):
            log.info("summary of the viewed channel refused")
            return viewed, ToolOutput("summarize_conversation", viewed, ok=False)
        if viewed is not None:
            return await summarize_for(summarizer, viewed.channel_key, None, scope, viewed.fetch_history,
                                       viewed.message_link, where=viewed.label)
        return await summarize_for(summarizer, turn.channel_key, turn.thread, scope, turn.fetch_history,
                                   turn.message_link, asking=turn.message_id)

    return StructuredTool.from_function(
        coroutine=summarize_conversation,
        name="summarize_conversation",
        description=(
            "Summarize the conversation in the current channel or thread: TL;DR, key points with links to "
            "their messages, decisions, action items with owners, open questions, participants and mood. "
            "`scope` is optional: 'last 50', 'since 2h', 'since yesterday', 'today'; empty means the whole "
            "thread or the channel's recent messages. End it with 'about <topic>' (e.g. 'since monday about the "
            "export cap') to summarize only what was said about that topic. Asked from the assistant pane beside a "
            "channel, it summarizes the channel the user is viewing (when they may read it). `named` (optional): "
            "the channel the user named ('#general'); only the conversation asked in can be summarized."),
        response_format="content_and_artifact",
    )

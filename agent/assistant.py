"""The assistant: one agent turn with the channel's memory as context, and the rolling summary after it.

It owns how the :class:`~agent.core.Agent` is put together (limits from settings, the tools, and the
post-processing of a language model's answer: citations to nothing retrieved are dropped; the offline
model shows tool output verbatim, so it gets none) and how a channel's older messages are folded into
its rolling summary (an extractive digest offline, the chat model when one is configured).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from agent.context import TurnContext
from agent.core import Agent, AgentResult, Limits, PostProcessor, Turn
from agent.guidance import read_guidance
from agent.knowledge.citations import enforce_citations
from agent.mcp.confirm import with_confirmations
from agent.memory.models import StoredMessage
from agent.memory.rolling import Folder, extractive_fold, lexical_central, model_fold, roll
from agent.settings import Settings
from agent.storage.ports import ChannelSettingsStore, MessageStore, SummaryStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool

log = logging.getLogger(__name__)


class Assistant:
    def __init__(self, settings: Settings, chat_model: BaseChatModel, tools: Sequence[BaseTool],
                 messages: MessageStore, summaries: SummaryStore,
                 channel_settings: ChannelSettingsStore | None = None) -> None:
        """``channel_settings``: where each turn reads its channel's guidance (agent/guidance.py); none without."""
        self.settings = settings
        self.chat_model = chat_model
        self.tools = tools  # the list open_deps fills; read when the agent is first built
        self.messages = messages
        self.summaries = summaries
        self.channel_settings = channel_settings
        self._agent: Agent | None = None

    @property
    def agent(self) -> Agent:
        if self._agent is None:
            s = self.settings
            limits = Limits(max_steps=s.agent_max_steps, model_timeout_s=s.agent_model_timeout_s,
                            tool_timeout_s=s.agent_tool_timeout_s, deadline_s=s.agent_deadline_s,
                            token_budget=s.agent_token_budget)
            # the offline model shows tool output verbatim; post-processing is for LLM answers
            processors: list[PostProcessor] = [] if s.is_offline else [enforce_citations]
            # a configured model's answer is shown as it is written; the offline model's arrives whole
            stream = s.stream_answers and not s.is_offline
            self._agent = Agent(self.chat_model, self.tools, limits, s.bot_name, processors, stream=stream,
                                vision=self.sees_images)
        return self._agent

    @property
    def sees_images(self) -> bool:
        """Attached images go to the model (a configured model that accepts them: ``CONFAB_MODEL_VISION``)."""
        return self.settings.model_vision and not self.settings.is_offline

    async def turn(self, context: TurnContext, text: str, exclude_id: str | None = None) -> Turn:
        """The turn for ``text``: the channel's (or thread's) last messages and its rolling summary as context;
        ``exclude_id`` (the message being answered, already stored) is left out of the history. The channel's
        guidance (its admins' instructions and knowledge scope) is read here, once per turn."""
        if self.channel_settings is not None:
            guidance = await read_guidance(self.channel_settings, context.channel_key)
            context = replace(context, instructions=guidance.instructions, knowledge_scope=guidance.scope)
        window = self.settings.context_messages
        history, summary = await self.messages.context(context.channel_key, limit=window + 1, thread=context.thread)
        history = [m for m in history if m.id != exclude_id][-window:]
        if history and history[0].is_bot and history[0].id == context.thread:
            history = await self._with_asked(history) if len(history) < window else history
        return Turn(context, text, history, summary[0] if summary else None)

    async def _with_asked(self, history: list[StoredMessage]) -> list[StoredMessage]:
        """A thread under one of Confab's own answers (a reply to it: Discord's Reply, the console's ``>N``) is
        a conversation about the question that answer answered: the newest person's message in the channel
        before it joins the thread's context, as the first line."""
        root = history[0]
        before = await self.messages.history(root.channel_key, until=root.created_at, limit=5)
        asked = [m for m in before if not m.is_bot and m.id != root.id and m.thread in (None, m.id)]
        return [asked[-1], *history] if asked else history

    async def answer(self, turn: Turn) -> AgentResult:
        # an acting tool's confirmation request reaches the chat whatever the model wrote (agent/mcp)
        return with_confirmations(await self.agent.run(turn))

    async def ask(self, context: TurnContext, text: str, exclude_id: str | None = None) -> AgentResult:
        """:meth:`turn` then :meth:`answer`."""
        return await self.answer(await self.turn(context, text, exclude_id))

    def folder(self) -> Folder:
        if self.settings.is_offline:
            return extractive_fold(lexical_central)

        async def invoke(prompt: str) -> str:
            reply = await self.chat_model.ainvoke(prompt)
            return str(reply.content)

        return model_fold(invoke)

    async def roll_summary(self, channel_key: str, thread: str | None) -> None:
        """Fold what scrolled out of the context window into the rolling summary (after a reply, off the
        hot path); failures are logged, never raised."""
        try:
            await roll(self.messages, self.summaries, channel_key, thread, self.settings.context_messages,
                       self.folder())
        except Exception:
            log.exception("rolling summary failed", extra={"channel": channel_key})

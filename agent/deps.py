"""Everything the brain runs on, built once by :func:`open_deps` and handed down, typed.

Tools and commands get the parts they use (a knowledge tool gets the :class:`KnowledgeService`, not
this bag). Heavy parts load on first use: the local embedding model when something first embeds,
the knowledge index at the first search, the spam model in ``warm_up``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.assistant import Assistant
from agent.brainstorm.service import Brainstormer
from agent.classify.service import Classification
from agent.embeddings import Embedder, LocalEmbedder, make_embedder
from agent.files.search import make_files_tool
from agent.images.service import REFINE_INSTRUCTIONS, ImageService
from agent.jobs import Jobs, open_jobs
from agent.knowledge.service import KnowledgeService
from agent.mcp import McpToolbox, open_mcp
from agent.models import make_chat_model
from agent.recall.service import RecallService
from agent.settings import Settings
from agent.state import State, open_state
from agent.storage import Storage, open_storage
from agent.storage.ports import PendingAnswer, PendingCommand
from agent.storage.recall_store import recall_store
from agent.storage.rows import platform_of
from agent.summarize.service import Summarizer
from agent.tools.brainstorm import make_brainstorm_tool
from agent.tools.classify import make_classify_tools
from agent.tools.images import make_image_tool
from agent.tools.knowledge import make_knowledge_tool
from agent.tools.recall import make_recall_tool
from agent.tools.summarize import make_summarize_tool

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool

log = logging.getLogger(__name__)


class Embedders:
    """The configured sentence embedder (``CONFAB_EMBEDDINGS``), created on first use, and the local
    all-MiniLM-L6-v2 (sentiment reads its vectors whatever is configured; one instance, so the ~90 MB
    model loads at most once per :class:`Deps`)."""

    def __init__(self, settings: Settings, local: LocalEmbedder | None = None,
                 configured: Embedder | None = None) -> None:
        self.settings = settings
        self.local = local if local is not None else LocalEmbedder(model_cache_dir=settings.model_cache_dir)
        self._configured = configured

    def configured(self) -> Embedder:
        if self._configured is None:
            self._configured = make_embedder(self.settings, self.local)
        return self._configured

    def local_model(self) -> Embedder:
        return self.local


@dataclass
class Deps:
    settings: Settings
    store: Storage
    chat_model: BaseChatModel
    embedders: Embedders
    knowledge: KnowledgeService
    classifier: Classification
    images: ImageService
    summarizer: Summarizer
    brainstorm: Brainstormer
    assistant: Assistant
    state: State  # rate windows, spam history, IDENTIFY turns: in memory, or Redis shared by replicas
    # the job queue of the scaled mode (answers owed are deferred with their message and run by any
    # worker); None in one process, where the adapters' own tasks do that work
    jobs: Jobs | None = None
    # LangChain tools the agent may call
    tools: list[BaseTool] = field(default_factory=list)
    recall: RecallService | None = None  # conversation search (agent/recall)
    mcp: McpToolbox | None = None  # the admin's tool servers (agent/mcp), when a model is configured

    @property
    def embedder(self) -> Embedder:
        """The configured sentence embedder, created on first use."""
        return self.embedders.configured()

    async def close(self) -> None:
        try:
            if self.jobs is not None:  # normally stopped already, before the adapters closed
                await self.jobs.stop(drain=False)
        finally:
            try:
                await self.store.close()
            finally:
                await self.state.close()


def _refiner(settings: Settings, chat_model: BaseChatModel) -> Callable[[str], Awaitable[str]] | None:
    """Online, the chat model turns a terse image request into a detailed prompt."""
    if settings.is_offline:
        return None

    async def refine_prompt(prompt: str) -> str:
        reply = await chat_model.ainvoke(REFINE_INSTRUCTIONS.format(prompt=prompt))
        return str(reply.content)

    return refine_prompt


async def open_deps(settings: Settings, *, chat_model: BaseChatModel | None = None,
                    embedder: Embedder | None = None, local_embedder: LocalEmbedder | None = None) -> Deps:
    """Open the store and build every part; ``embedder`` / ``local_embedder`` replace the configured ones
    (tests, benchmarks)."""
    chat_model = chat_model or make_chat_model(settings)  # a misconfigured model fails before anything opens
    jobs = await open_jobs(settings) if settings.scaled else None
    try:
        store = await (open_storage(settings) if jobs is None else
                       open_storage(settings, on_owed=_defer_answer(jobs), on_owed_command=_defer_command(jobs)))
    except BaseException:
        if jobs is not None:
            await jobs.stop(drain=False)
        raise
    state = open_state(settings)
    try:
        embedders = Embedders(settings, local_embedder, embedder)
        online_model = None if settings.is_offline else chat_model
        knowledge = KnowledgeService(settings, embedders.configured, state.versions)
        classifier = Classification(settings, embedders.configured, online_model,
                                    sentiment_embedder=embedders.local_model, history=state.authors)
        images = ImageService(settings, store.images, refine=_refiner(settings, chat_model))
        summarizer = Summarizer(settings, store.messages, chat_model, embedders.configured,
                                mood_embedder=embedders.local_model)
        brainstorm = Brainstormer(settings, store.ideas, store.messages, chat_model, embedders.configured,
                                  knowledge)
        # a worker takes each new message's vector from the indexer, which embeds for every replica
        recall = RecallService(recall_store(store), embedders.configured, settings.retention_days,
                               embeds=settings.role != "worker", bot_name=settings.bot_name)
        tools: list[BaseTool] = [
            make_knowledge_tool(knowledge, settings, embedders.configured),
            make_files_tool(embedders.configured),
            make_image_tool(images),
            *make_classify_tools(classifier),
            make_summarize_tool(summarizer),
            make_brainstorm_tool(brainstorm),
            make_recall_tool(recall),
        ]
        mcp = await open_mcp(settings, store.channel_settings, store.events, frozenset(t.name for t in tools))
        if mcp is not None:
            tools.extend(mcp.tools)
        assistant = Assistant(settings, chat_model, tools, store.messages, store.summaries, store.channel_settings)
        deps = Deps(settings, store, chat_model, embedders, knowledge, classifier, images, summarizer, brainstorm,
                    assistant, state, jobs, tools, recall, mcp=mcp)
        if settings.retention_days:
            await store.messages.prune(settings.retention_days)
    except BaseException:  # an open store's threads would keep the process alive after the error
        if jobs is not None:
            await jobs.stop(drain=False)
        await store.close()
        await state.close()
        raise
    return deps


def _defer_answer(jobs: Jobs) -> Callable[[Any, PendingAnswer], Awaitable[None]]:
    """The storage's ``on_owed``: an answer owed becomes an ``answer`` job in the transaction storing its
    message. The job names the message only (no text in the queue or its logs); the owed record has it."""

    async def defer(conn: Any, owed: PendingAnswer) -> None:
        await jobs.defer("answer", {"channel_key": owed.channel_key, "message_id": owed.message_id}, conn=conn,
                         platform=platform_of(owed.channel_key))

    return defer


def _defer_command(jobs: Jobs) -> Callable[[Any, PendingCommand], Awaitable[None]]:
    """The storage's ``on_owed_command``: a command recorded as owed becomes a ``command`` job in the same
    transaction (naming the command; its record keeps the payload and the way back)."""

    async def defer(conn: Any, owed: PendingCommand) -> None:
        await jobs.defer("command", {"channel_key": owed.channel_key, "command_id": owed.command_id}, conn=conn,
                         platform=platform_of(owed.channel_key))

    return defer

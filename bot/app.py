"""Wiring: settings -> deps -> pipeline (+ moderator and thread followers) -> adapters."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import TYPE_CHECKING, Any

from agent.deps import Deps, open_deps
from bot.brainstorm import BrainstormFollower
from bot.digests import run_digests
from bot.logs import register_secrets
from bot.moderation import Moderator
from bot.outbox import Outbox
from bot.pipeline import Pipeline
from bot.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.embeddings import Embedder, LocalEmbedder
    from bot.adapter import Adapter

log = logging.getLogger(__name__)

async def build_app(settings: Settings, chat_model: BaseChatModel | None = None, *,
                    embedder: Embedder | None = None, local_embedder: LocalEmbedder | None = None
                    ) -> tuple[Deps, Pipeline]:
    """The deps and the pipeline around them (with the spam moderator and the brainstorm follower);
    ``embedder`` / ``local_embedder`` replace the configured ones (tests, benchmarks)."""
    register_secrets(settings.secret_values())
    deps = await open_deps(settings, chat_model=chat_model, embedder=embedder, local_embedder=local_embedder)
    try:
        outbox = Outbox(deps.store.messages, settings.bot_name, deps.store.replies, deps.store.pending,
                        deps.store.feedback)
        moderator = Moderator(deps, outbox)
        await moderator.warm_up()  # the spam model, before any platform delivers a message
        pipeline = Pipeline(deps, outbox, moderator=moderator, followers={"brainstorm": BrainstormFollower(deps)})
    except BaseException:  # the open store's threads would keep the process alive after the error
        await deps.close()
        raise
    return deps, pipeline


def configured_platforms(settings: Settings) -> list[str]:
    platforms = []
    if settings.slack_bot_token is not None:
        platforms.append("slack")
    if settings.discord_token is not None:
        platforms.append("discord")
    return platforms


def platforms_for_role(settings: Settings, platforms: list[str]) -> list[str]:
    """The platforms a process of ``CONFAB_ROLE`` runs: ``ingress`` takes Slack's HTTP requests, ``gateway``
    holds the connections (Discord shards, Slack Socket Mode), ``worker`` sends the answers of queued jobs on
    every platform (without taking events), ``indexer`` none; ``all`` everything."""
    role = settings.role
    if role == "ingress":
        return [p for p in platforms if p == "slack" and settings.slack_mode == "http"]
    if role == "gateway":
        return [p for p in platforms if p == "discord" or (p == "slack" and settings.slack_mode == "socket")]
    if role == "indexer":
        return []
    return platforms


def make_adapter(platform: str, settings: Settings) -> Adapter:
    listen = settings.role != "worker"  # a worker only sends the answers of the jobs it runs
    if platform == "slack":
        from bot.slack.adapter import SlackAdapter

        adapter: Adapter = SlackAdapter(settings, listen=listen)
        return adapter
    if platform == "discord":
        from bot.discord.adapter import DiscordAdapter

        adapter = DiscordAdapter(settings, listen=listen)
        return adapter
    raise ValueError(f"unknown platform {platform!r}; use slack or discord")


async def run_platforms(settings: Settings, platforms: list[str]) -> bool:
    """Run the given platform adapters on one pipeline until SIGTERM or Ctrl-C, then stop gracefully.

    Stopping lets the answers in flight finish (up to ``CONFAB_SHUTDOWN_GRACE_S``), removes progress
    notes of anything cut short, and returns normally, so the process exits 0. A second signal
    stops at once; then it returns True (the CLI exits 130).
    """
    adapters = [make_adapter(p, settings) for p in platforms]  # configuration errors before anything opens
    deps, pipeline = await build_app(settings)
    freeze_long_lived_objects()
    background = await start_background(deps)
    stop = StopSignals()
    running: list[asyncio.Task[None]] = []
    failed: list[asyncio.Task[None]] = []
    try:
        for adapter in adapters:
            pipeline.attach(adapter)
            running.append(asyncio.create_task(adapter.start(pipeline, pipeline.outbox), name=f"confab-{adapter.name}"))
        await pipeline.start_jobs()
        background.append(asyncio.create_task(_resume_when_ready(pipeline, adapters), name="confab-resume"))
        if settings.answers:  # the processes that send answers post the scheduled digests
            background.append(asyncio.create_task(run_digests(deps, pipeline.outbox, adapters), name="confab-digests"))
        stopping = asyncio.create_task(stop.requested.wait(), name="confab-stop")
        await asyncio.wait([*running, stopping], return_when=asyncio.FIRST_COMPLETED)
        if stop.requested.is_set():
            log.info("stopping: letting answers in flight finish", extra={"grace_s": settings.shutdown_grace_s})
        failed = [t for t in running if t.done() and not t.cancelled() and t.exception() is not None]
        stopping.cancel()
    finally:
        try:
            await pipeline.stop_jobs(settings.shutdown_grace_s)
        except Exception:
            log.exception("stopping the job worker failed")
        stop.cut_short = [asyncio.create_task(adapter.close(grace_s=settings.shutdown_grace_s))
                          for adapter in adapters]
        await asyncio.gather(*stop.cut_short, return_exceptions=True)
        for task in [*running, *background]:
            task.cancel()
        await asyncio.gather(*running, *background, return_exceptions=True)
        try:
            async with asyncio.timeout(max(1.0, settings.shutdown_grace_s)):
                await pipeline.drain()
        except TimeoutError:
            log.warning("background work did not finish before shutdown")
        await deps.close()
    for task in failed:
        raise task.exception()  # type: ignore[misc]  # an adapter that could not run (e.g. a bad token)
    log.info("stopped")
    return stop.forced


async def _resume_when_ready(pipeline: Pipeline, adapters: list[Adapter]) -> None:
    """Once every adapter is connected, answer what a crashed process had acknowledged but not answered."""
    try:
        await asyncio.gather(*(adapter.ready.wait() for adapter in adapters))
        resumed = await pipeline.resume()
        if resumed:
            log.info("resumed answers owed before the restart", extra={"count": resumed})
    except Exception:
        log.exception("resuming owed answers failed; they are tried again at the next start")


def freeze_long_lived_objects() -> None:
    """Take what startup built (modules, models, clients) out of the cyclic garbage collector's view.

    They live as long as the process; left in view, every full collection walks all of them and
    stops the event loop for 70-140 ms (measured with bench/slack_ack.py), long enough to push a
    Slack acknowledgement past its budget. Garbage is collected first so none is frozen with them.
    """
    gc.collect()
    gc.freeze()


class StopSignals:
    """SIGTERM (docker stop, systemd) and Ctrl-C: the first asks for a graceful stop; a second one
    cuts the grace period short (adapters closing cancel their answers in flight at once)."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.forced = False
        self.cut_short: list[asyncio.Task[None]] = []  # what a second signal cancels (adapters closing)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, self._on_signal)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals
                log.debug("no handler installed for a stop signal", extra={"signal": int(signum)})

    def _on_signal(self) -> None:
        if not self.requested.is_set():
            self.requested.set()
            return
        self.forced = True
        log.warning("stopping at once: answers in flight are cancelled")
        for task in self.cut_short:
            task.cancel()


async def start_background(deps: Deps) -> list[asyncio.Task[Any]]:
    """Long-running helpers: the knowledge index ready and watched, retention, loading the embedding model."""
    return [
        asyncio.create_task(deps.knowledge.prepare(), name="confab-knowledge-prepare"),
        asyncio.create_task(deps.knowledge.background(), name="confab-bg-knowledge"),
        asyncio.create_task(_retention(deps), name="confab-retention"),
        asyncio.create_task(_warm_embedder(deps), name="confab-warm-embedder"),
        *([asyncio.create_task(deps.recall.run(), name="confab-recall")]
          if deps.recall is not None and _keeps_recall_index(deps) else []),
        *([asyncio.create_task(deps.recall.run_embedder(), name="confab-recall-embedder")]
          if deps.recall is not None and deps.settings.role == "indexer" else []),
    ]


def _keeps_recall_index(deps: Deps) -> bool:
    """Only processes that answer keep the conversation index in step (its vectors in memory): an ingress, a
    gateway or the indexer never searches it. The indexer embeds new messages for the workers' indexes."""
    return deps.settings.answers


async def _warm_embedder(deps: Deps) -> None:
    """Load the local embedding model (several seconds of CPU) now, not when the first question needs it."""
    try:
        warm_up = getattr(deps.embedder, "warm_up", None)
        if warm_up is not None:
            await asyncio.to_thread(warm_up)
            freeze_long_lived_objects()  # the model's objects too
    except Exception:
        log.exception("loading the embedding model failed; it is retried on first use")


async def _retention(deps: Deps) -> None:
    days = deps.settings.retention_days
    while days > 0:
        await asyncio.sleep(6 * 3600)
        try:
            await deps.store.messages.prune(days)
        except Exception:
            log.exception("retention prune failed")

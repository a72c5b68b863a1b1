"""What every incoming event goes through, as small steps (like slack-bolt's middleware chain).

message:  accept (clean; dedupe + store + the answer or the spam screen owed, one transaction: ingest.py)
          -> screen (spam, every message, fails closed: bot/moderation.py; owed across crashes: screening.py)
          -> route (command / mention / DM / followed thread: route.py; a help channel's new post: helpdesk.py)
          -> limit (limit.py) -> answer or a follower's turn (answer.py) | command (commands.py)
          -> the reply through the outbox (bot/outbox.py) -> the owed answer settled.
Anything else is only remembered. Errors in one message never stop the next.

Adapters that acknowledge events (Slack) call :meth:`Pipeline.accept`, acknowledge, then
:meth:`Pipeline.process`; the others call :meth:`Pipeline.handle_message`, which does both. Answers owed
when a process died are resumed by :meth:`Pipeline.resume` at start (resume.py), and so are commands
the edges acknowledged (:meth:`Pipeline.owe_command`, owed_commands.py).

In the scaled mode (``deps.jobs``), a message owed an answer is stored with an ``answer`` job, and an
acknowledged command recorded with a ``command`` job (each one transaction); :meth:`process` and the edges
leave them to the jobs, which any worker runs (:meth:`run_answer_job`, :meth:`run_command_job`), and a
job whose worker died is run again by the queue, so nothing is resumed at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Protocol

from agent.classify.ledger import ReadWith, asking
from agent.deps import Deps
from agent.jobs import JobError
from agent.speech import SpeechService
from bot.adapter import Adapter
from bot.attached import files_noted
from bot.background import BackgroundWork
from bot.commands import CommandSpec, load_commands
from bot.events import (
    Accepted,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    PlatformFlag,
    Reaction,
    Reply,
    Vote,
)
from bot.feedback import record_vote
from bot.outbox import Outbox
from bot.pipeline.answer import Answerer, ThreadFollower
from bot.pipeline.commands import CommandRunner
from bot.pipeline.gave_up import answer_given_up, command_given_up
from bot.pipeline.helpdesk import HELP_CHANNEL, HelpDesk, is_post
from bot.pipeline.ingest import accept_form, owed_record
from bot.pipeline.limit import Limit
from bot.pipeline.owed_commands import answer_owed, owed_command, resume_commands
from bot.pipeline.resume import hand_back_progress, owed_message, resume_owed
from bot.pipeline.route import Router
from bot.pipeline.screening import ScreenBacklog, screen_record
from bot.platform_access import STORE_MAX_CHARS, to_stored
from bot.text import clean_incoming, scrub
from bot.voice import VoiceTranscripts, kept_transcripts

log = logging.getLogger(__name__)

# messages owed nothing (the spam screen, then remembered) worked on at once: in a burst the rest wait their turn
# (stored, their screen owed across crashes: screening.py) instead of taking the event loop from the requests
# still to be stored and acknowledged
UNOWED_AT_ONCE = 8


class Moderator(Protocol):
    async def screen(self, message: IncomingMessage, adapter: Adapter | None, read: ReadWith | None = None) -> bool:
        ...

    async def rescreen_edit(self, edit: MessageEdit, adapter: Adapter | None) -> None: ...

    async def record_external(self, flag: PlatformFlag) -> None: ...


class Pipeline:
    """The :class:`~bot.adapter.EventHandler` every adapter delivers to."""

    def __init__(self, deps: Deps, outbox: Outbox | None = None, moderator: Moderator | None = None,
                 followers: Mapping[str, ThreadFollower] | None = None) -> None:
        self.deps = deps
        self.settings = s = deps.settings
        self.store = deps.store
        self.outbox = outbox or Outbox(deps.store.messages, s.bot_name, deps.store.replies,
                                        deps.store.pending, deps.store.feedback)
        self.moderator = moderator
        self.followers = dict(followers or {})
        self.limit = Limit(deps.state.rates, self.outbox)
        self.router = Router(deps.store.messages, deps.store.threads, s.bot_name, s.brainstorm_idle_minutes,
                             self.followers)
        self.answerer = Answerer(deps.assistant, deps.store.threads, self.outbox, self.followers,
                                 s.max_message_chars, s.context_messages, embedder=deps.embedders.configured)
        self.voice = VoiceTranscripts(SpeechService(s, deps.store.speech), deps.store.messages,
                                      deps.store.channel_settings, self.outbox)
        self.command_runner = CommandRunner(load_commands(), deps, self.outbox, self.limit)
        self.helpdesk = HelpDesk(deps, self.outbox)
        self._resumed = BackgroundWork()
        self.screens = ScreenBacklog(deps.store.messages)
        self._unowed = asyncio.Semaphore(UNOWED_AT_ONCE)
        self.jobs = deps.jobs
        if self.jobs is not None:
            self.jobs.register("answer", self.run_answer_job, gave_up=partial(answer_given_up, deps.store.pending,
                                                                              self.outbox))
            self.jobs.register("command", self.run_command_job,
                               gave_up=partial(command_given_up, deps.store.pending_commands, self.outbox))

    def attach(self, adapter: Adapter) -> None:
        self.outbox.attach(adapter)

    @property
    def adapters(self) -> Mapping[str, Adapter]:
        return self.outbox.adapters

    @property
    def commands(self) -> Mapping[str, CommandSpec]:
        return self.command_runner.specs

    @commands.setter
    def commands(self, specs: Mapping[str, CommandSpec]) -> None:
        self.command_runner.specs = specs

    # --- messages ----------------------------------------------------------------------

    async def handle_message(self, message: IncomingMessage) -> None:
        accepted = await self.accept(message)
        if accepted is not None:
            await self.process(accepted)

    async def accept(self, message: IncomingMessage) -> Accepted | None:
        """Store the message and the answer it may be owed (one transaction); None for a duplicate delivery.

        Raises when it could not be stored: the platform must not be told the event arrived."""
        accepted = accept_form(message)
        if not accepted.owed and self._screened(accepted.message):
            return await self._accept_screened(accepted)
        if not accepted.owed and await self.helpdesk.owes(accepted.message):  # a help channel's new post
            accepted = replace(accepted, owed=True)
        return await self._store(accepted)

    async def _accept_screened(self, accepted: Accepted) -> Accepted | None:
        """A person's message owed nothing (the most common): stored with its screen owed, and the author's record
        the screen needs read in the same round trip; a post in a help channel (owed a possible answer after all)
        is held back by the store, then stored as owed."""
        message = accepted.message
        ask = asking(message.author.id, time.time())
        stored = to_stored(message, files_noted(accepted.text, message.attachments))
        intake = await self.store.messages.add_screened(stored, screen_record(message), ask,
                                                        unless_on=HELP_CHANNEL if is_post(message) else None)
        if intake.held:
            return await self._store(replace(accepted, owed=True))
        if not intake.stored or intake.record is None:
            log.debug("duplicate delivery dropped", extra={"message_id": message.id})
            return None
        self.screens.owed(message)
        self.answerer.count(message)
        return replace(accepted, read=ReadWith(ask, intake.record))

    async def _store(self, accepted: Accepted) -> Accepted | None:
        owed = owed_record(accepted) if accepted.owed else None
        # a message owed an answer is screened on the answer's way (resumed, or its job) if this process dies
        screen = None if accepted.owed or not self._screened(accepted.message) else screen_record(accepted.message)
        stored = to_stored(accepted.message, files_noted(accepted.text, accepted.message.attachments))
        if not await self.store.messages.add(stored, owed, screen):
            log.debug("duplicate delivery dropped", extra={"message_id": accepted.message.id})
            return None
        if screen is not None:
            self.screens.owed(accepted.message)
        self.answerer.count(accepted.message)
        return accepted

    def _screened(self, message: IncomingMessage) -> bool:
        return self.moderator is not None and not message.author.is_bot

    async def process(self, accepted: Accepted) -> None:
        """Every step after :meth:`accept`; the owed answer is settled however it ends (but not when the
        process is stopping: then it stays owed and is resumed at the next start). In the scaled mode an
        owed answer is its job's to give."""
        if accepted.owed and self.jobs is not None:
            return
        if accepted.owed:
            await self._process_now(accepted)
            return
        async with self._unowed:  # see UNOWED_AT_ONCE
            await self._process_now(accepted)

    async def start_jobs(self) -> None:
        """Begin running queued jobs here (the scaled mode, roles ``all`` and ``worker``); call once the
        adapters are attached, since jobs answer through them."""
        if self.jobs is not None and self.settings.answers:
            await self.jobs.start(platforms=self.outbox.adapters)
            if self.moderator is not None:  # what replicas that died left unscreened
                self.screens.sweep_forever(self._screen_again, list(self.outbox.adapters))

    async def stop_jobs(self, grace_s: float) -> None:
        """Let the jobs in hand finish (up to ``grace_s``; the rest go back to the queue), while the adapters
        can still deliver their answers."""
        await self.screens.close()
        if self.jobs is not None:
            await self.jobs.stop(timeout_s=grace_s)

    async def run_answer_job(self, payload: dict[str, Any]) -> None:
        """An ``answer`` job (the scaled mode): the message owed an answer, through every step. Nothing to do
        when it is no longer owed (answered by an earlier run of this job, deleted, forgotten)."""
        owed = await self.store.pending.get(str(payload.get("channel_key")), str(payload.get("message_id")))
        message = None if owed is None else await owed_message(self.store.pending, owed)
        if message is None:
            return
        if message.channel.platform not in self.outbox.adapters:
            raise JobError(f"no {message.channel.platform} adapter in this worker")  # retried elsewhere or later
        assert owed is not None
        await hand_back_progress(self.outbox, message, owed)  # what a worker that died showed: replaced
        # owed by its record, whatever the message looks like (a help channel's post is owed by its channel)
        await self._process_now(replace(accept_form(message), owed=True), queued=True)

    async def run_command_job(self, payload: dict[str, Any]) -> None:
        """A ``command`` job (the scaled mode): an acknowledged command, answered through its route (a
        response URL, an interaction's webhook) by its platform's edge here."""
        pending = self.store.pending_commands
        owed = await pending.get(str(payload.get("channel_key")), str(payload.get("command_id")))
        if owed is None:
            return  # answered by an earlier run of this job, or forgotten
        outcome = await answer_owed(pending, owed, self.outbox.commands_owed, self.settings.resume_max_age_s)
        if outcome == "elsewhere":
            raise JobError("that platform does not run in this worker")  # retried: another worker may have it

    async def _process_now(self, accepted: Accepted, queued: bool = False) -> None:
        """The steps, then the owed answer settled (an answer's reply settles it as its delivery is recorded,
        in the same write; anything else here). ``queued`` (an ``answer`` job): a failure (the database,
        Redis or a platform out of reach: the steps handle the model's and the user's own errors) leaves
        the answer owed and fails the job, so the queue runs it again; the reply ledger keeps a second run
        from answering twice."""
        message = accepted.message
        settled = False  # by the answer's delivery
        try:
            settled = await self._steps(accepted)
        except Exception:
            log.exception("failed to handle a message", extra={"channel": message.channel.key,
                                                               "message_id": message.id, "queued": queued})
            if queued:
                raise
        if accepted.owed and not settled:
            try:
                await self.store.pending.settle(message.channel.key, message.id)
            except Exception:
                log.exception("could not settle an owed answer", extra={"message_id": message.id})

    async def _steps(self, accepted: Accepted) -> bool:
        """True when the answer's delivery settled the owed answer."""
        if accepted.message.author.is_bot:
            return False
        accepted = await self.voice.transcribe(accepted)  # recordings' words: screened, routed, answered
        message = accepted.message
        if self.moderator is not None:
            flagged = await self.moderator.screen(message, self.outbox.adapter_for(message.channel), read=accepted.read)
            self.screens.done(message)
            if flagged:
                return False
        route = await self.router.route(message, accepted.text)
        if route.to == "command":
            assert route.command is not None
            for index, reply in enumerate(await self.handle_command(route.command)):
                await self.outbox.send(replace(reply, source=f"command:{message.channel.key}:{message.id}:{index}"))
        elif route.to in ("answer", "follow") and await self.limit.allows(message.author, message.channel,
                                                                         message.id):
            if route.to == "answer":
                return await self.answerer.answer(message, route.body, route.followed, owed=accepted.owed)
            await self.answerer.follow(message, route.follower, route.data)
        elif route.to == "remember" and accepted.owed and is_post(message):
            return await self.helpdesk.consider(message, route.body, owed=True)
        return False

    async def progress_shown(self, accepted: Accepted, note: str) -> None:
        """An adapter showed a progress note for this message (``note`` is its own reference to it): kept
        with the owed answer, so a restarted process can replace or remove it."""
        if accepted.owed:
            message = accepted.message
            await self.store.pending.set_note(message.channel.key, message.id, note)

    async def resume(self) -> int:
        """Resume the answers and command answers owed when the last process stopped (call once the adapters
        are connected); returns how many."""
        if self.jobs is not None:
            return 0  # answers and commands owed are jobs: the queue runs again those of a dead worker

        async def start(accepted: Accepted) -> None:
            self._resumed.spawn(self.process(accepted))

        max_age_s = self.settings.resume_max_age_s
        screen = self._screen_again if self.moderator is not None else None
        answers = await resume_owed(self.store.pending, self.outbox, start, max_age_s, screen)
        answers += await resume_commands(self.store.pending_commands, self.outbox.commands_owed, max_age_s)
        if self.moderator is not None:
            screened = await self.screens.sweep(self._screen_again, list(self.outbox.adapters), self.screens.started_at)
            if screened:
                log.info("screened messages the last process had not screened", extra={"count": screened})
        return answers

    async def _screen_again(self, message: IncomingMessage) -> None:
        """Screen a message a stopped process left; one it flagged (and acted on) before its mark was written
        is not flagged twice (no second note to the moderators)."""
        assert self.moderator is not None
        if await self.store.spam.find_flagged(message.channel.key, [message.id]):
            return
        await self.moderator.screen(message, self.outbox.adapter_for(message.channel))

    async def drain(self) -> None:
        """Wait for resumed answers and background work (rolling summaries), and mark what was screened; at
        shutdown and in tests."""
        await self._resumed.drain()
        await self.answerer.background.drain()
        await self.screens.flush()

    # --- edits, deletes, platform flags ------------------------------------------------------

    async def handle_edit(self, edit: MessageEdit) -> None:
        try:
            edit = scrub(edit)
            text = clean_incoming(edit.text)[:STORE_MAX_CHARS]
            stored = await self.store.messages.get(edit.channel.key, edit.id)
            text = text if stored is None else kept_transcripts(stored.text, text)
            await self.store.messages.edit(edit.channel.key, edit.id, text, edit.edited_at)
            if self.moderator is not None and not edit.author.is_bot:
                await self.moderator.rescreen_edit(edit, self.outbox.adapter_for(edit.channel))
        except Exception:
            log.exception("failed to handle an edit", extra={"message_id": edit.id})

    async def handle_delete(self, delete: MessageDelete) -> None:
        try:
            await self.store.messages.delete(delete.channel.key, delete.id)
        except Exception:
            log.exception("failed to handle a delete", extra={"message_id": delete.id})

    async def handle_platform_flag(self, flag: PlatformFlag) -> None:
        """A platform's own filter (Discord AutoMod) acted on a message."""
        if self.moderator is not None:
            await self.moderator.record_external(flag)

    async def handle_reaction(self, reaction: Reaction) -> None:
        """An emoji reaction (:class:`bot.adapter.HandlesReactions`): ❌ is a help channel's opt-out."""
        try:
            await self.helpdesk.on_reaction(scrub(reaction))
        except Exception:
            log.exception("failed to handle a reaction", extra={"message_id": reaction.message_id})

    # --- votes on answers -------------------------------------------------------------------

    async def handle_vote(self, vote: Vote) -> str:
        """A 👍/👎 on an answer (bot/feedback.py): what to tell the voter."""
        return await record_vote(self.store.feedback, scrub(vote))

    # --- commands -----------------------------------------------------------------------

    async def handle_command(self, command: Command) -> Sequence[Reply]:
        return await self.command_runner.run(command)

    @property
    def commands_queued(self) -> bool:
        return self.jobs is not None

    async def owe_command(self, command: Command, route: str) -> bool:
        """Record the answer an acknowledged command is owed (one write); False for a repeat delivery."""
        return await self.store.pending_commands.owe(owed_command(scrub(command), route))

    async def command_answered(self, command: Command) -> None:
        if command.id:
            try:
                await self.store.pending_commands.settle(command.channel.key, command.id)
            except Exception:
                log.exception("could not settle an owed command", extra={"command": command.name})

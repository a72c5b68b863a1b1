"""Slack slash commands and the message shortcut: recorded, acknowledged, answered through the outbox.

A command is recorded as owed with its ``response_url`` (one store write, well inside Slack's 3 s),
then acknowledged; it runs in a task the adapter tracks, and its record is settled once the replies
were delivered. If the process dies in between, the next start runs it again (:meth:`SlackCommands.resume`)
and answers through the stored ``response_url``, which Slack keeps valid for 30 minutes (5 responses);
an older one gets a short "please run it again" there while the URL still works. Slack does not
redeliver commands, so a trigger id seen twice is dropped. The ephemeral "Working on it…" note goes
through the response URL and needs no cleanup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import messages as say
from bot.events import Author, Command, Reply, SentRef
from bot.slack.convert import command_from_payload, shortcut_from_payload
from bot.slack.feedback import feedback_blocks
from bot.slack.format import PRIVATE_FILES_NOTE, PROGRESS_TEXT, format_reply
from bot.slack.notes import after
from bot.slack.ports import SlackEdge

log = logging.getLogger(__name__)

RESPONSE_URL_VALID_S = 30 * 60.0  # Slack's promise for a response_url
RESUME_MARGIN_S = 60.0  # a command resumed later than this before its URL expires could not answer in time

Respond = Callable[..., Awaitable[Any]]


class SlackCommands:
    """Commands and the shortcut, live and owed; the outbox's :class:`~bot.adapter.CommandsOwed` for Slack."""

    def __init__(self, adapter: SlackEdge, author: Callable[[Author], Awaitable[Author]]) -> None:
        self.adapter = adapter
        self.author = author  # users.info, cached by the listeners

    @property
    def max_age_s(self) -> float:
        return RESPONSE_URL_VALID_S - RESUME_MARGIN_S

    async def on_command(self, ack: Callable[[], Awaitable[None]], body: dict[str, Any], respond: Respond) -> None:
        """Record the owed answer, acknowledge (within Slack's 3 s), answer in the background."""
        command = shortcut_from_payload(body) if body.get("type") == "message_action" else command_from_payload(body)
        if command is None:
            await ack()
            log.warning("malformed slack command payload ignored", extra={"type": body.get("type")})
            return
        owed = False
        response_url = body.get("response_url")
        handler = self.adapter.handler
        if handler is not None and command.id and isinstance(response_url, str) and response_url:
            try:
                owed = await handler.owe_command(command, response_url)
                if not owed:
                    await ack()
                    log.info("repeated slack command dropped", extra={"command": command.name})
                    return
            except Exception:  # answered all the same, only not after a restart
                log.exception("could not record an owed command", extra={"command": command.name})
        await ack()
        if owed and handler is not None and handler.commands_queued:
            return  # a worker runs the queued job and answers through the response URL
        self.adapter.spawn(self._finish(command, respond, owed))

    # --- after a restart ----------------------------------------------------------------------

    async def resume(self, command: Command, route: str) -> None:
        await self.adapter.spawn(self._finish(command, AsyncRespond(response_url=route), owed=True))

    async def let_go(self, command: Command, route: str, age_s: float, text: str | None = None) -> None:
        if age_s < RESPONSE_URL_VALID_S:
            await AsyncRespond(response_url=route)(text=text or say.STOPPED_BEFORE_ANSWER, response_type="ephemeral")

    # --- answering ------------------------------------------------------------------------------

    async def _finish(self, command: Command, respond: Respond, owed: bool) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        try:
            command = dataclasses.replace(command, author=await self.author(command.author))

            async def note() -> None:
                await respond(text=PROGRESS_TEXT, response_type="ephemeral")

            replies = await after(self.adapter.progress_after_s, handler.handle_command(command), note)
            for reply in replies:
                await self._deliver_reply(dataclasses.replace(reply, user_id=reply.user_id or command.author.id),
                                          respond)
        except asyncio.CancelledError:  # Confab is stopping and the grace period is over
            try:
                await respond(text=say.STOPPED_BEFORE_ANSWER, response_type="ephemeral")
            except Exception:
                log.info("could not tell the user a command was cut short")
            raise
        except Exception:
            log.exception("slack command failed", extra={"command": command.name})
            try:
                await respond(text=say.COMMAND_FAILED.format(name=command.name), response_type="ephemeral")
            except Exception:
                log.exception("could not tell the user the command failed")
        finally:  # answered, or told why not: never again after a restart
            if owed:
                await handler.command_answered(command)

    async def _deliver_reply(self, reply: Reply, respond: Respond) -> None:
        """Ephemeral through ``respond`` (or chat.postEphemeral in a thread); public through chat.postMessage,
        else (e.g. not_in_channel) through ``respond``, which works there too. All through the outbox."""
        outbox = self.adapter.outbox
        assert outbox is not None
        max_chars = self.adapter.capabilities.max_chars

        async def responding(reply: Reply) -> SentRef | None:
            kind = "ephemeral" if reply.ephemeral else "in_channel"
            text = reply.text + (PRIVATE_FILES_NOTE if reply.ephemeral and reply.attachments else "")
            chunks = format_reply(text, max_chars)
            for index, chunk in enumerate(chunks):
                await respond(text=chunk, response_type=kind, unfurl_links=False, unfurl_media=False,
                              blocks=feedback_blocks(reply, chunk, index, len(chunks), ""))
            return SentRef(reply.channel, "")  # the response URL tells no message id

        if reply.ephemeral and not reply.channel.thread:
            await outbox.send(reply, via=responding)
        elif await outbox.send(reply) is None and not reply.ephemeral:
            await outbox.send(reply, via=responding)

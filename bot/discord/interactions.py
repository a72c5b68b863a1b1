"""Application commands and message context menus, answered through interaction follow-ups.

Every invocation is deferred first ("Confab is thinking…", ephemeral where the output is private),
well inside Discord's 3 s, then the pipeline runs the command and the replies arrive as
follow-ups: the first one takes the place of the "thinking" message. A reply whose privacy differs
from the deferral removes that message first; a public reply meant for another thread (a
brainstorm) is posted there. Every follow-up and edit carries ``allowed_mentions`` none.
Repeated deliveries of one interaction (a gateway replay) are answered once.

Before deferring, the command is recorded as owed with its way back (application id and token: a
secret, kept only in that record, :mod:`bot.discord.owed`); the record is settled once the replies were
delivered. A process that died in between runs it again at the next start while the token has time left
(:meth:`Interactions.resume`), else closes the "thinking…" message if it still can (:meth:`Interactions.let_go`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

import discord
from discord import app_commands
from discord.webhook.async_ import async_context

from bot import messages as say
from bot.delivery import FirstDelivery
from bot.discord.command_set import register
from bot.discord.convert import author_of, ref_of
from bot.discord.feedback import feedback_view
from bot.discord.layouts import layout_view
from bot.discord.owed import RESUME_WITHIN_S, TOKEN_VALID_S, InteractionRoute, ResumedInteraction
from bot.discord.polls import open_vote
from bot.discord.ports import DiscordEdge
from bot.discord.sending import NO_PINGS, chunks_of, files_for
from bot.events import ChannelRef, Command, Poll, Reply, SentRef

log = logging.getLogger(__name__)

DONE_TEXT = "Done."


class Deferred(Protocol):
    """What answering uses of a deferred interaction: a live ``discord.Interaction``, or one rebuilt after a
    restart (:class:`bot.discord.owed.ResumedInteraction`)."""

    @property
    def followup(self) -> discord.Webhook: ...

    async def edit_original_response(self, *, content: str, allowed_mentions: discord.AllowedMentions) -> Any: ...

    async def delete_original_response(self) -> None: ...


class InteractionReplies:
    """Answers one deferred interaction."""

    def __init__(self, adapter: DiscordEdge, interaction: Deferred, here: ChannelRef,
                 deferred_ephemeral: bool) -> None:
        self.adapter = adapter
        self.interaction = interaction
        self.here = here
        self.deferred_ephemeral = deferred_ephemeral
        self.original_open = True  # the "thinking…" message is still waiting for its content
        self.posted_elsewhere = False

    async def send(self, reply: Reply) -> SentRef:
        """Follow-ups carrying ``reply``; private ones are seen by the invoking user only."""
        if self.original_open and reply.ephemeral != self.deferred_ephemeral:
            await self._drop_original()
        layout = layout_view(reply)
        chunks = [] if layout is not None else chunks_of(reply)
        files = files_for(reply.attachments)
        first_id = ""
        if layout is not None:  # one components-v2 message instead of the text
            posted = await self.interaction.followup.send(view=layout, ephemeral=reply.ephemeral,
                                                          allowed_mentions=NO_PINGS, wait=True)
            layout.stop()
            self.original_open = False
            first_id = str(posted.id)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            view = feedback_view(reply, index, len(chunks), first_id)
            message = await self.interaction.followup.send(
                content=chunk or discord.utils.MISSING, ephemeral=reply.ephemeral, allowed_mentions=NO_PINGS,
                suppress_embeds=True, files=files if last and files else discord.utils.MISSING, wait=True,
                view=view or discord.utils.MISSING)
            if view is not None:
                view.stop()  # its buttons are answered by the feedback item, not kept per message
            self.original_open = False
            first_id = first_id or (str(message.id) if message is not None else "")
        if reply.poll is not None and first_id and not reply.ephemeral:
            await self._vote(reply.poll, first_id)
        return SentRef(self.here, first_id)

    async def _vote(self, poll: Poll, message_id: str) -> None:
        """The reply's poll as a follow-up, else number reactions on the reply (:mod:`bot.discord.polls`)."""
        async def post(made: discord.Poll) -> Any:
            return await self.interaction.followup.send(poll=made, allowed_mentions=NO_PINGS, wait=True)

        async def react(emoji: str) -> None:
            await self.adapter.react(self.here, message_id, emoji)

        granted = getattr(self.interaction, "app_permissions", None)  # not known for one resumed after a restart
        await open_vote(poll, post, react, allowed=granted is None or bool(granted.send_polls))

    async def deliver(self, reply: Reply) -> None:
        """Through the outbox: as a follow-up, or (a public reply meant for another thread, e.g. a
        brainstorm's seeds) posted there."""
        outbox = self.adapter.outbox
        assert outbox is not None
        if not reply.ephemeral and reply.channel.thread != self.here.thread:
            self.posted_elsewhere = await outbox.send(reply) is not None or self.posted_elsewhere
            return
        await outbox.send(reply, via=self.send)

    async def finish(self) -> None:
        """Close a "thinking…" message no reply has replaced."""
        if not self.original_open:
            return
        if self.posted_elsewhere:
            await self._drop_original()
        else:
            await self.edit_original(DONE_TEXT)

    async def edit_original(self, text: str) -> None:
        await self.interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
        self.original_open = False

    async def _drop_original(self) -> None:
        try:
            await self.interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.info("could not remove the thinking message", extra={"status": exc.status})
        self.original_open = False


class Interactions:
    """Confab's command tree on the adapter's client; each invocation answered by its own
    :class:`InteractionReplies` (never through the adapter's channel sends)."""

    def __init__(self, adapter: DiscordEdge) -> None:
        self.adapter = adapter
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(adapter.client)
        self.tree.on_error = self._on_error  # type: ignore[method-assign]
        self.first_delivery = FirstDelivery("discord:interaction", lambda: adapter.handler)
        register(self.tree, self.run)

    async def sync(self) -> None:
        """Publish the commands: to DISCORD_GUILD_ID at once (development), else globally."""
        guild_id = self.adapter.settings.discord_guild_id
        try:
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.warning("command sync failed; the commands registered before stay", extra={"status": exc.status})
            return
        log.info("discord commands synced", extra={"count": len(synced), "guild": guild_id or "global"})

    async def run(self, interaction: discord.Interaction, name: str, args: str = "", *, ephemeral: bool,
                  target: discord.Message | None = None) -> None:
        """Record the owed answer and defer at once, then answer ``/name args`` (or a context menu on
        ``target``) through the pipeline."""
        if not await self.first_delivery(str(interaction.id)):
            log.info("repeated interaction dropped", extra={"interaction": interaction.id})
            return
        handler = self.adapter.handler
        command = _command(interaction, name, args, target)
        # the record is written while the deferral is on its way (Discord's 3 s count for both)
        owing: asyncio.Future[bool] | None = None
        if handler is not None and command is not None:
            route = InteractionRoute(interaction.application_id, interaction.token, ephemeral)
            owing = asyncio.ensure_future(handler.owe_command(command, route.to_json()))
        try:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        except (discord.HTTPException, discord.InteractionResponded) as exc:
            log.warning("could not defer an interaction (expired or answered)",
                        extra={"command": name, "error": type(exc).__name__})
            if await _recorded(owing, name) and handler is not None and command is not None:
                await handler.command_answered(command)
            return
        owed = await _recorded(owing, name)
        if owed and handler is not None and handler.commands_queued:
            return  # a worker runs the queued job and answers through the interaction's webhook
        if command is not None:
            replies = InteractionReplies(self.adapter, interaction, command.channel, ephemeral)
            self.adapter.spawn(self._answer(replies, command, owed))  # tracked: drained on close

    async def _answer(self, replies: InteractionReplies, command: Command, owed: bool) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        try:
            for reply in await handler.handle_command(command):
                await replies.deliver(dataclasses.replace(reply, user_id=reply.user_id or command.author.id))
            await replies.finish()
        except asyncio.CancelledError:  # Confab is stopping and the grace period is over
            await self._tell(replies, say.STOPPED_BEFORE_ANSWER)
            raise
        except discord.RateLimited as exc:
            log.warning("command reply held back by a rate limit", extra={"command": command.name})
            await self._tell(replies, f"Discord is rate-limiting me here; try again in {round(exc.retry_after)} s.")
        except Exception:
            log.exception("discord command failed", extra={"command": command.name})
            await self._tell(replies, say.COMMAND_FAILED.format(name=command.name))
        finally:  # answered, or told why not: never again after a restart
            if owed:
                await handler.command_answered(command)

    # --- after a restart (the outbox's CommandsOwed for Discord) --------------------------------

    @property
    def max_age_s(self) -> float:
        return RESUME_WITHIN_S

    async def resume(self, command: Command, route: str) -> None:
        """Answer through the interaction's webhook, as if the process had not stopped."""
        way_back = InteractionRoute.from_json(route)
        replies = InteractionReplies(self.adapter, ResumedInteraction(self.adapter.client, way_back), command.channel,
                                     way_back.ephemeral)
        await self.adapter.spawn(self._rebased(self._answer(replies, command, owed=True)))

    async def let_go(self, command: Command, route: str, age_s: float, text: str | None = None) -> None:
        """Too late to answer: the "thinking…" message says so while the token still works."""
        if age_s < TOKEN_VALID_S:
            deferred = ResumedInteraction(self.adapter.client, InteractionRoute.from_json(route))
            await self.adapter.spawn(self._rebased(deferred.edit_original_response(
                content=text or say.STOPPED_BEFORE_ANSWER, allowed_mentions=NO_PINGS)))

    async def _rebased(self, work: Coroutine[Any, Any, Any]) -> None:
        """``work`` with webhook calls going where this client's REST goes (as in the adapter's own tasks)."""
        if self.adapter.webhooks is not None:
            async_context.set(self.adapter.webhooks)  # this task's context only
        await work

    async def _tell(self, replies: InteractionReplies, text: str) -> None:
        try:
            if replies.original_open:
                await replies.edit_original(text)
            else:
                await replies.send(Reply(replies.here, text, ephemeral=True))
        except Exception:
            log.exception("could not tell the user a command failed")

    async def _on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Bad option values, missing permissions, commands Discord knows but this version doesn't."""
        log.warning("application command rejected", extra={"error": type(error).__name__})
        text = ("You need the Manage Server permission for that." if isinstance(error, app_commands.MissingPermissions)
                else "I couldn't run that command; check its options and try again.")
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.info("could not report a command error")


def _command(interaction: discord.Interaction, name: str, args: str, target: discord.Message | None
             ) -> Command | None:
    if interaction.channel is None:
        return None
    permissions = interaction.permissions
    author = dataclasses.replace(author_of(interaction.user),
                                 is_admin=permissions.administrator or permissions.manage_guild)
    return Command(name=name, args=args.strip(), channel=ref_of(interaction.channel), author=author,
                   id=str(interaction.id), target=str(target.id) if target is not None else None,
                   target_at=target.created_at if target is not None else None,
                   is_direct=interaction.guild_id is None)


async def _recorded(owing: asyncio.Future[bool] | None, name: str) -> bool:
    """Whether the owed interaction was recorded; a failure is logged (it is answered all the same, only not
    after a restart)."""
    if owing is None:
        return False
    try:
        return await owing
    except Exception:
        log.exception("could not record an owed interaction", extra={"command": name})
        return False

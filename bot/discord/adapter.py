"""DiscordAdapter: Confab's :class:`bot.adapter.Adapter` for Discord, on discord.py.

Intents: ``guilds``, ``guild_messages``, ``dm_messages``, ``message_content`` (privileged: spam
flagging and memory read every message), ``guild_reactions`` (a help channel's ❌) and
``auto_moderation_execution``; no member intent (the
bot never needs the member list). Every send and edit carries ``allowed_mentions`` none, links
never unfold into embeds, and rate limits longer than discord.py's bounded wait raise instead of
stalling a reply. Incoming events are wired in :mod:`bot.discord.listeners`, application commands
in :mod:`bot.discord.interactions` (both use the adapter through :class:`bot.discord.ports.DiscordEdge`);
this module owns the connection and the channel sends. Discord has private replies only inside an
interaction, so commands are answered there; :meth:`DiscordAdapter.send` posts in the channel.
``DISCORD_API_BASE_URL`` moves this client only (:mod:`bot.discord.rest`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from agent.state import IdentifyGate, open_identify_gate
from bot.adapter import Capabilities, EventHandler, Outgoing
from bot.background import BackgroundWork
from bot.discord.convert import DM_WORKSPACE, message_to_event
from bot.discord.feedback import feedback_view
from bot.discord.feedback import install as install_feedback
from bot.discord.format import MAX_CHARS
from bot.discord.gateway_json import tolerate_lone_surrogates
from bot.discord.identify import GatedClient, GatedShardedClient
from bot.discord.indicator import Typing
from bot.discord.interactions import Interactions
from bot.discord.layouts import layout_view
from bot.discord.listeners import Listeners
from bot.discord.polls import vote_in_channel
from bot.discord.recall_access import DiscordRecallAccess
from bot.discord.rest import RebasedWebhooks, use_api_base
from bot.discord.sending import NO_PINGS, chunks_of, files_for, nonce_for
from bot.discord.streams import DiscordStream, LeftoverStreams
from bot.downloads import DISCORD_FILE_HOSTS, Downloader, FileHosts
from bot.errors import ConfigError
from bot.events import Attachment, Author, ChannelRef, IncomingMessage, Reply, SentRef
from bot.pings import pinged_text
from bot.settings import Settings

log = logging.getLogger(__name__)

RATE_LIMIT_WAIT_S = 30.0  # discord.py's smallest bound: a longer wait raises RateLimited instead
MAX_TIMEOUT = timedelta(days=28)  # Discord's longest member timeout
HISTORY_MAX = 1000
THREAD_NAME_MAX = 100
RECONNECT_MIN_S, RECONNECT_MAX_S = 1.0, 60.0
AUTHENTICATION_FAILED = 4004  # gateway close code: the token is invalid
BUSY_EMOJI = "⏳"  # shown on a message whose answer Discord's rate limit held back
POLL_PART = 1000  # the nonce of a reply's poll is that of this part of it (no reply has as many)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    wanted.auto_moderation_execution = True
    wanted.guild_reactions = True  # ❌ on a help channel's post or automatic answer (bot/pipeline/helpdesk.py)
    return wanted


def make_client(settings: Settings, identify: IdentifyGate, **extra: Any) -> discord.Client:
    """One gateway connection, or ``DISCORD_SHARD_COUNT`` shards on an AutoShardedClient (of which this
    process runs ``DISCORD_SHARD_IDS``, or all); each IDENTIFY waits for ``identify``'s turn."""
    options: dict[str, Any] = dict(
        intents=intents(), allowed_mentions=NO_PINGS, max_ratelimit_timeout=RATE_LIMIT_WAIT_S,
        chunk_guilds_at_startup=False, member_cache_flags=discord.MemberCacheFlags.none(),
        max_messages=1000, **extra,
    )
    discord.VoiceClient.warn_nacl = False  # Confab never joins voice: no warning about voice libraries
    discord.VoiceClient.warn_dave = False
    client = (GatedShardedClient(identify=identify, shard_count=settings.discord_shard_count,
                                 shard_ids=settings.shard_ids, **options)
              if settings.discord_shard_count else GatedClient(identify=identify, **options))
    if settings.discord_api_base_url:
        use_api_base(client, settings.discord_api_base_url)
    return client


class DiscordAdapter:
    name = "discord"
    capabilities = Capabilities(max_chars=MAX_CHARS, threads=True, files=True, ephemeral=True, reactions=True,
                                history=True, delete=True, timeout=True, markdown="markdown")

    def __init__(self, settings: Settings, identify: IdentifyGate | None = None, *, listen: bool = True,
                 file_hosts: FileHosts = DISCORD_FILE_HOSTS, **client_options: Any) -> None:
        """``client_options`` go to discord.py's client (e.g. ``guild_ready_timeout``); ``identify``: whose
        turn it is to IDENTIFY (default: from the settings, Redis when configured); ``listen=False``: REST
        only, no gateway connection (a worker answering queued jobs takes no events); ``file_hosts``: where
        attached files may be downloaded from (Discord's CDN; tests pass their loopback fake's)."""
        tolerate_lone_surrogates()
        if settings.discord_token is None:
            raise ConfigError("DISCORD_TOKEN is not set (the bot token from the Developer Portal's Bot page)")
        self.settings = settings
        self.listen = listen
        self.files = Downloader(file_hosts)  # attachment URLs are signed: no token goes with them
        self._closed = asyncio.Event()
        gate_client = None
        if identify is None:
            identify, gate_client = open_identify_gate(settings)
        self._gate_client = gate_client
        self.client = make_client(settings, identify, **client_options)
        base = settings.discord_api_base_url
        self.webhooks: AsyncWebhookAdapter | None = RebasedWebhooks(base.rstrip("/")) if base else None
        self.handler: EventHandler | None = None
        self.outbox: Outgoing | None = None
        self.ready = asyncio.Event()
        self._work = BackgroundWork()
        self.listeners = Listeners(self)
        self.interactions = Interactions(self)
        self._streams: dict[str, DiscordStream] = {}  # answers being written, by the message they answer
        self.leftovers = LeftoverStreams(self.destination)  # ... and ones a stopped process was writing
        install_feedback(self)  # 👍/👎 under answers (bot/discord/feedback.py)

    @property
    def bot_user_id(self) -> int:
        user = self.client.user
        return user.id if user is not None else 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, inbox: EventHandler, outbox: Outgoing) -> None:
        """Log in, sync application commands, then stay connected (discord.py reconnects and resumes)."""
        self.handler, self.outbox = inbox, outbox
        outbox.attach(self)
        outbox.keep_commands(self.name, self.interactions)  # interactions owed before a restart
        outbox.keep_progress(self.name, self.leftovers)  # answers it was streaming
        # interaction answers go where this client's REST goes; events run in tasks started from here
        token = async_context.set(self.webhooks) if self.webhooks is not None else None
        try:
            await self._login()
            if not self.listen:
                log.info("discord: sending only (REST; this process takes no events)")
                self.ready.set()
                await self._closed.wait()
                return
            await self.interactions.sync()
            await self._stay_connected()
        finally:
            if token is not None:
                async_context.reset(token)

    async def _login(self) -> None:
        assert self.settings.discord_token is not None
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise ConfigError("Discord rejected DISCORD_TOKEN (reset it on the Developer Portal's Bot page)") from None

    async def _stay_connected(self) -> None:
        """discord.py reconnects and resumes on network errors; this also survives what it gives up on
        (a frame it can't parse, an unexpected close) by connecting afresh after a pause."""
        pause = RECONNECT_MIN_S
        while not self.client.is_closed():
            try:
                await self.client.connect(reconnect=True)
            except discord.PrivilegedIntentsRequired:
                raise ConfigError("Discord refused the Message Content intent: enable it on the Developer Portal's "
                                  "Bot page (see deploy/discord-setup.md)") from None
            except discord.ConnectionClosed as exc:
                if exc.code == AUTHENTICATION_FAILED:
                    raise ConfigError("Discord rejected DISCORD_TOKEN on the gateway") from None
                log.warning("gateway connection closed; reconnecting", extra={"code": exc.code, "pause_s": pause})
            except Exception as exc:
                log.exception("gateway connection failed; reconnecting", extra={"error": type(exc).__name__,
                                                                               "pause_s": pause})
            if self.client.is_closed():
                return
            ws = self.client.ws
            if ws is not None and ws.open:
                await ws.close(code=4000)  # leave the broken session; the next connect identifies anew
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MAX_S)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self._work.spawn(work)

    async def drain(self) -> None:
        """Wait for in-flight event and command work (tests, graceful shutdown)."""
        await self._work.drain()

    async def close(self, grace_s: float = 5.0) -> None:
        """Graceful: let answers in flight finish for ``grace_s`` seconds, then disconnect."""
        self._closed.set()
        await self._work.stop(grace_s=grace_s)
        if not self.client.is_closed():
            await self.client.close()
        if self._gate_client is not None:
            await self._gate_client.aclose()

    # --- where things go --------------------------------------------------------------------

    def channel(self, channel_id: str | int, workspace: str | None = None) -> Any:
        """The cached channel, or a partial one that can still send and read (e.g. a DM after a restart)."""
        found = self.client.get_channel(int(channel_id))
        if found is not None:
            return found
        guild_id = int(workspace) if workspace and workspace != DM_WORKSPACE else None
        return self.client.get_partial_messageable(int(channel_id), guild_id=guild_id)

    async def channel_named(self, workspace: str, name: str) -> str | None:
        """The id of the server's one text channel called ``name`` (:class:`bot.adapter.NamesChannels`)."""
        guild = self.client.get_guild(int(workspace)) if workspace.isdigit() else None
        found = [c.id for c in guild.text_channels if c.name.lower() == name.lower()] if guild is not None else []
        return str(found[0]) if len(found) == 1 else None

    async def channel_name(self, workspace: str, channel: str) -> str | None:
        """The name of the server's channel ``channel`` (an id), from the client's cache."""
        return getattr(self.client.get_channel(int(channel)) if channel.isdigit() else None, "name", None) or None

    async def destination(self, channel: ChannelRef) -> Any:
        """The channel or thread to post in; a thread rooted on a message is opened when it doesn't exist yet
        (a thread started from a message shares its id, so the root id names both)."""
        if channel.thread is None:
            return self.channel(channel.channel, channel.workspace)
        thread = self.client.get_channel(int(channel.thread))
        if thread is not None:
            return thread
        try:
            return await self.client.fetch_channel(int(channel.thread))
        except discord.NotFound:
            pass
        parent = self.channel(channel.channel, channel.workspace)
        root = parent.get_partial_message(int(channel.thread))
        name = "Confab"
        try:
            starter = await root.fetch()
            name = (starter.clean_content.splitlines() or ["Confab"])[0].strip("*_ 🧠") or "Confab"
        except discord.HTTPException:
            log.info("thread root not readable; opening the thread anyway", extra={"message_id": channel.thread})
        return await root.create_thread(name=name[:THREAD_NAME_MAX], auto_archive_duration=1440)

    # --- outgoing ---------------------------------------------------------------------------

    def progress(self, channel: ChannelRef, reply_to: str) -> Typing:
        """"Confab is typing…" where the answer goes, while the turn runs (:class:`bot.adapter.ShowsProgress`)."""
        return Typing(self.channel(channel.thread or channel.channel, channel.workspace))

    def stream(self, channel: ChannelRef, reply_to: str, user_id: str) -> DiscordStream:
        """The answer to ``reply_to`` as one message edited while it is written (``StreamsAnswers``)."""

        async def post(content: str) -> discord.Message:
            target = await self.destination(channel)
            sent: discord.Message = await target.send(
                content=content, allowed_mentions=NO_PINGS, suppress_embeds=True,
                reference=_reference(target, channel, reply_to), mention_author=False)
            return sent

        self._streams[reply_to] = DiscordStream(post)
        return self._streams[reply_to]

    async def send(self, reply: Reply) -> SentRef:
        """Post ``reply`` in its channel or thread (an ephemeral one too: only interactions are private); an
        answer that was streamed puts its first part in the streamed message."""
        target = await self.destination(reply.channel)
        where = reply.channel
        reference = _reference(target, where, reply.reply_to)
        chunks = chunks_of(reply)
        files = files_for(reply.attachments)
        first_id = ""
        before = 0  # parts already in the streamed message
        streamed = self._streams.pop(reply.reply_to, None) if reply.reply_to else None
        left = self.leftovers.take(reply.reply_to)
        into: tuple[str, Callable[[str, discord.ui.View | None], Awaitable[bool]]] | None = None
        if streamed is not None and streamed.message is not None:
            into = str(streamed.message.id), streamed.finish
        elif left is not None:  # what a stopped process streamed: the answer replaces it
            into = left, partial(_edit_left, target, left)
        if into is not None and chunks and chunks[0]:
            rest = chunks[1:] or ([""] if files else [])
            view = feedback_view(reply, 0, 1 + len(rest), "")
            try:
                if await into[1](chunks[0], view):
                    first_id, reference, chunks, before = into[0], None, rest, 1
            finally:
                if view is not None:
                    view.stop()
        layout = layout_view(reply) if into is None else None  # one components-v2 message instead of the text
        chunks = [""] if layout is not None else chunks
        pings = NO_PINGS
        if reply.mention_group and chunks and not reply.ephemeral:  # the one ping meant (bot/pings.py): that role only
            chunks = [pinged_text(self.name, chunks[0], reply.mention_group), *chunks[1:]]
            pings = discord.AllowedMentions(everyone=False, users=False, replied_user=False,
                                            roles=[discord.Object(int(reply.mention_group))])
        try:
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                shown = layout or feedback_view(reply, before + index, before + len(chunks), first_id)
                sent = await target.send(
                    content=chunk or None, allowed_mentions=pings if index == 0 else NO_PINGS, suppress_embeds=True,
                    reference=reference if index == 0 else None, mention_author=False,
                    files=files if last and files else discord.utils.MISSING,
                    nonce=nonce_for(reply.source, before + index), view=shown or discord.utils.MISSING)
                if shown is not None:
                    shown.stop()  # its buttons are answered by the feedback item, not kept per message
                first_id = first_id or str(sent.id)
        except discord.RateLimited as exc:
            log.warning("reply dropped: the channel is rate-limited", extra={"retry_after_s": round(exc.retry_after)})
            if reply.reply_to and not first_id:  # a reaction has its own limit: the asker sees we heard them
                await self._try_react(target, reply.reply_to, BUSY_EMOJI)
            raise
        if reply.poll is not None and first_id and not reply.ephemeral:
            await vote_in_channel(target, reply.poll, first_id, nonce_for(reply.source, POLL_PART))
        return SentRef(where, first_id)

    async def _try_react(self, target: Any, message_id: str, emoji: str) -> None:
        try:
            await target.get_partial_message(int(message_id)).add_reaction(emoji)
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.info("could not react", extra={"error": type(exc).__name__})

    async def fetch_history(self, channel: ChannelRef, since: datetime | None = None,
                            limit: int = 200) -> list[IncomingMessage]:
        """Oldest-first messages of the channel or thread (discord.py pages and paces the reads)."""
        target = await self.destination(channel)
        found: list[IncomingMessage] = []
        bot_id = self.bot_user_id
        async for message in target.history(limit=min(max(1, limit), HISTORY_MAX), after=since,
                                            oldest_first=since is not None):
            own = message.author.id == bot_id  # its own words are kept as context, not skipped
            event = message_to_event(message, 0 if own else bot_id, self.settings.bot_name)
            if event is not None:
                found.append(event)
        found.sort(key=lambda m: int(m.id))
        return found

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None:
        target = self.channel(channel.thread or channel.channel, channel.workspace)
        await target.get_partial_message(int(message_id)).add_reaction(emoji)

    async def delete(self, channel: ChannelRef, message_id: str) -> None:
        """Needs Manage Messages in that channel; without it this raises and the moderator flags instead."""
        target = self.channel(channel.thread or channel.channel, channel.workspace)
        me = getattr(getattr(target, "guild", None), "me", None)
        if me is not None and not target.permissions_for(me).manage_messages:
            raise PermissionError("missing Manage Messages")
        await target.get_partial_message(int(message_id)).delete()

    async def delete_own(self, channel: ChannelRef, message_id: str) -> None:
        """One of Confab's own messages (a help channel's automatic answer): no permission needed."""
        target = self.channel(channel.thread or channel.channel, channel.workspace)
        await target.get_partial_message(int(message_id)).delete()

    async def fetch_file(self, attachment: Attachment, *, max_bytes: int) -> Path:
        """The attachment's CDN URL (cdn.discordapp.com / media.discordapp.net only)."""
        return await self.files.fetch(attachment, max_bytes)

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None:
        """Needs Moderate Members, and a role above the member's."""
        if channel.workspace == DM_WORKSPACE:
            raise PermissionError("no timeouts in direct messages")
        guild = self.client.get_guild(int(channel.workspace)) or await self.client.fetch_guild(int(channel.workspace))
        me = guild.me
        if me is not None and not me.guild_permissions.moderate_members:
            raise PermissionError("missing Moderate Members")
        member = guild.get_member(int(user_id)) or await guild.fetch_member(int(user_id))
        until = min(timedelta(seconds=max(1, seconds)), MAX_TIMEOUT)
        await member.timeout(until, reason="Confab: spam")

    def recall_access(self, author: Author, here: ChannelRef) -> DiscordRecallAccess:
        """Conversation search's access check for ``author`` (bot/discord/recall_access.py)."""
        return DiscordRecallAccess(self, self.client, author.id)

    def message_link(self, channel: ChannelRef, message_id: str) -> str | None:
        if not message_id.isdigit():
            return None
        return f"https://discord.com/channels/{channel.workspace}/{channel.thread or channel.channel}/{message_id}"


async def _edit_left(target: Any, message_id: str, content: str, view: discord.ui.View | None) -> bool:
    """Put an answer's first part in the message a stopped process was streaming it into; False when that
    message is gone (the answer is then posted anew)."""
    try:
        message = await target.fetch_message(int(message_id))  # a partial message can't suppress embeds
        await message.edit(content=content, allowed_mentions=NO_PINGS, suppress=True,
                           view=view or discord.utils.MISSING)
        return True
    except discord.HTTPException as exc:
        log.info("a message streamed before a restart could not be edited", extra={"status": exc.status})
        return False


def _reference(target: Any, where: ChannelRef, reply_to: str | None) -> discord.MessageReference | None:
    """A reply to ``reply_to`` (not when it is the thread's own root: the thread says that already)."""
    if not reply_to or reply_to == where.thread:
        return None
    return discord.MessageReference(message_id=int(reply_to), channel_id=target.id, fail_if_not_exists=False)

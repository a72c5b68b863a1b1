"""SlackAdapter: Confab's :class:`bot.adapter.Adapter` for Slack, on slack-bolt's ``AsyncApp``.

Socket Mode (``SLACK_APP_TOKEN``) by default, HTTP (Events API + commands + interactivity at
bolt's ``/slack/events``, signatures checked by bolt) with ``SLACK_MODE=http``. Incoming events are
wired in :mod:`bot.slack.listeners`; this module owns the connection and the outgoing calls.
Bot-token scopes used are listed in ``deploy/slack-app-manifest.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from agent.context import ViewedLookup
from agent.state.profiles import RedisProfiles
from bot.adapter import Capabilities, EventHandler, Outgoing
from bot.background import BackgroundWork
from bot.downloads import SLACK_FILE_HOSTS, Downloader, FileHosts
from bot.errors import ConfigError, PaceExceeded
from bot.events import Attachment, Author, ChannelRef, IncomingMessage, Reply, SentRef
from bot.pings import pinged_text
from bot.settings import Settings
from bot.slack.convert import message_from_payload
from bot.slack.earlier import earlier_parts, metadata_for
from bot.slack.feedback import SlackFeedback, feedback_actions, feedback_blocks
from bot.slack.format import MAX_CHARS, PRIVATE_FILES_NOTE, format_reply
from bot.slack.http_edge import edge_middleware, malformed_is_400, quiet_bolt_rejections
from bot.slack.listeners import SlackListeners
from bot.slack.notes import Note, NoteKeeper, ProgressNotes, thread_for
from bot.slack.pacing import SharedPacer, make_pacer
from bot.slack.pane import SlackPane
from bot.slack.pane_threads import PaneThreads
from bot.slack.recall_access import SlackAccessCache, SlackRecallAccess
from bot.slack.status import Statuses, StatusLine
from bot.slack.streams import SlackStream, SlackStreams

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"  # bolt's default; events, commands and interactivity all arrive here
HISTORY_PAGE = 200  # conversations.history/replies page size (Slack's max is 1000, 200 is recommended)
HISTORY_MAX_WAIT_S = 5.0
LISTEN_BACKLOG = 1024  # longer than this for a history page: give up instead of stalling the answer
# Slack reactions are names; the moderator and commands may hand us the emoji itself
EMOJI_NAMES = {"🚩": "triangular_flag_on_post", "⚠️": "warning", "👀": "eyes", "✅": "white_check_mark",
               "👍": "+1", "🧠": "brain", "🗑️": "wastebasket", "⏳": "hourglass_flowing_sand"}


def make_client(token: str, base_url: str | None) -> AsyncWebClient:
    """Web API client with 429 handling (honours Retry-After) on top of the connection-error retries."""
    handlers = [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    return AsyncWebClient(token=token, base_url=_api_base(base_url), retry_handlers=handlers)


def _api_base(url: str | None) -> str:
    if not url:
        return AsyncWebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


class SlackAdapter:
    name = "slack"

    def __init__(self, settings: Settings, *, http_host: str | None = None,
                 progress_after_s: float | None = 3.0, history_pages: int = 5, listen: bool = True,
                 file_hosts: FileHosts = SLACK_FILE_HOSTS) -> None:
        """``listen=False``: only the Web API (a worker answering queued jobs takes no events). ``file_hosts``:
        where attached files may be downloaded from (Slack's own; tests pass their loopback fake's)."""
        if settings.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
        self.mode = settings.slack_mode
        if listen and self.mode == "socket" and settings.slack_app_token is None:
            raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with "
                              "connections:write; or set SLACK_MODE=http")
        if listen and self.mode == "http" and settings.slack_signing_secret is None:
            raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests")
        self.settings = settings
        self.listen = listen
        self.http_host, self.http_port = http_host or settings.slack_http_host, settings.slack_http_port
        self.progress_after_s = progress_after_s
        self.history_pages = max(1, history_pages)
        self.client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base_url)
        self.files = Downloader(file_hosts, {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"})
        admin = settings.slack_admin_token  # a user token allowed to delete others' messages
        self.admin_client = make_client(admin.get_secret_value(), settings.slack_api_base_url) if admin else None
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self._signing_secret = secret
        self.pacer = make_pacer(settings)
        # the assistant pane threads' records (the viewed channel), also bolt's thread context store
        self.pane_threads = PaneThreads(self.client, lambda: self.bot_user_id, self.pacer)
        # an event is acknowledged when its listener returns, which is after the message is stored
        self.app = AsyncApp(client=self.client, signing_secret=secret, process_before_response=True,
                            request_verification_enabled=self.mode == "http",
                            assistant_thread_context_store=self.pane_threads,
                            logger=logging.getLogger("bot.slack.bolt"))
        if self.mode == "http":  # the endpoint's edges: bounded logs, 400/401 and never a 500 for bad input
            self.app.error(malformed_is_400)
            quiet_bolt_rejections()
        self.capabilities = Capabilities(
            max_chars=MAX_CHARS, threads=True, files=True, ephemeral=True, reactions=True, history=True,
            delete=self.admin_client is not None, timeout=False, markdown="mrkdwn", replies_in_thread=True,
        )
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None
        self.team_id: str | None = None
        self.team_url: str | None = None
        self.handler: EventHandler | None = None
        self.outbox: Outgoing | None = None
        self.ready = asyncio.Event()
        self.notes = ProgressNotes(self.client)  # "working on it" notes of slow answers
        profiles = RedisProfiles(self.pacer.client, settings.redis_prefix) if isinstance(self.pacer, SharedPacer) \
            else None  # the authors' profiles shared by the replicas, on the pacer's Redis client
        self.listeners = SlackListeners(self, self.app, profiles)
        self.feedback = SlackFeedback(self, self.app)  # 👍/👎 under answers (bot/slack/feedback.py)
        self.pane = SlackPane(self, self.app, self.pane_threads)  # the assistant pane (bot/slack/pane.py)
        self._closed = asyncio.Event()
        self._work = BackgroundWork()
        self.statuses = Statuses(self.client, self.spawn)  # thread statuses of answers being worked on
        self.streams = SlackStreams(self.client)  # answers shown as they are written
        self._socket: Any = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, inbox: EventHandler, outbox: Outgoing) -> None:
        self.handler, self.outbox = inbox, outbox
        outbox.attach(self)
        outbox.keep_progress(self.name, NoteKeeper(self.notes, self.pacer))
        outbox.keep_commands(self.name, self.listeners.commands)  # commands owed before a restart
        self._share_session()
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            raise ConfigError(f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')})") from None
        self.bot_user_id, self.bot_id = auth.get("user_id"), auth.get("bot_id")
        self.team_id, self.team_url = auth.get("team_id"), auth.get("url")
        if not self.listen:
            log.info("slack: sending only (this process takes no events)")
        elif self.mode == "http":
            web_app = self.app.web_app(path=EVENTS_PATH, port=self.http_port)
            web_app.middlewares.append(edge_middleware(self._signing_secret))
            self._runner = web.AppRunner(web_app)
            await self._runner.setup()
            # a deep accept queue: a burst of Slack's requests waits for the event loop instead of being
            # dropped by the kernel (each drop costs the sender a 1 s SYN retransmit)
            await web.TCPSite(self._runner, self.http_host, self.http_port, backlog=LISTEN_BACKLOG).start()
            log.info("slack HTTP endpoint listening", extra={"port": self.http_port, "path": EVENTS_PATH})
        else:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token.get_secret_value())
            await self._socket.connect_async()  # the SDK reconnects on its own (ping/pong, disconnect)
            log.info("slack socket mode connected")
        self.ready.set()
        await self._closed.wait()

    def _share_session(self) -> None:
        """One HTTP session (one connection pool) for every Web API call of this process: without one, slack_sdk
        opens and closes a session, and a TCP connection, per call. Closed by :meth:`close`."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
        for client in (self.client, self.admin_client):
            if client is not None:
                client.session = self._session

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self._work.spawn(work)

    async def drain(self) -> None:
        """Wait for in-flight event and command work (tests, graceful shutdown)."""
        await self._work.drain()

    async def close(self, grace_s: float = 0.0) -> None:
        """No new events; answers in flight get ``grace_s`` to finish; notes of cut-short ones are removed."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._work.stop(grace_s)
        await self.notes.drop_all()
        if isinstance(self.pacer, SharedPacer):
            await self.pacer.close()
        if self._session is not None:
            await self._session.close()  # a call after this (a late job) opens a session of its own again
        self._closed.set()

    @property
    def placeholders(self) -> Mapping[str, Note]:
        """Progress notes showing or being posted, by the message they answer."""
        return self.notes.showing()

    # --- outgoing ---------------------------------------------------------------------------

    def progress(self, channel: ChannelRef, reply_to: str) -> StatusLine | None:
        """The thread status of the answer to ``reply_to`` (:class:`bot.adapter.ShowsProgress`)."""
        return self.statuses.begin(channel, reply_to)

    def stream(self, channel: ChannelRef, reply_to: str, user_id: str) -> SlackStream | None:
        """A chat stream for the answer to ``reply_to`` in its thread (:class:`bot.adapter.StreamsAnswers`)."""
        return self.streams.open(channel, reply_to, user_id)

    def recall_access(self, author: Author, here: ChannelRef) -> SlackRecallAccess:
        """Conversation search's access check for ``author`` (bot/slack/recall_access.py)."""
        cache = self.__dict__.setdefault("_recall_cache", SlackAccessCache())
        return SlackRecallAccess(self, self.client, author.id, cache)

    async def channel_named(self, workspace: str, name: str) -> str | None:
        """The channel Confab is in called ``name`` (:class:`bot.adapter.NamesChannels`), from users.conversations;
        ``name`` itself when Slack could not list them."""
        try:
            return await self.recall_access(Author("", ""), ChannelRef(self.name, workspace, "")).channel_named(name)
        except Exception:  # the name as typed then: Slack posts to a channel named so, as it did before
            log.exception("listing Slack conversations to find a channel by name failed")
            return name

    async def channel_name(self, workspace: str, channel: str) -> str | None:
        """The name of the conversation ``channel`` (an id) Confab is in, from users.conversations."""
        try:
            return await self.recall_access(Author("", ""), ChannelRef(self.name, workspace, "")).channel_name(channel)
        except Exception:
            log.exception("listing Slack conversations to name a channel failed")
            return None

    def viewing(self, channel: ChannelRef, author: Author) -> ViewedLookup | None:
        """In an assistant pane thread, the lookup of the channel ``author`` is viewing (bot/slack/pane.py)."""
        return self.pane.viewing(self, channel, author)

    async def send(self, reply: Reply) -> SentRef:
        """Post ``reply``; an answer that was streamed finishes its stream, one whose progress note is showing
        takes the note's place (and thread)."""
        channel = reply.channel
        note = None if reply.ephemeral else self.notes.take(reply.reply_to)
        streamed = None if reply.ephemeral else self.streams.take(reply.reply_to)
        if streamed is not None and streamed.ts:
            if note is not None and note.ts:
                await self.notes.remove(note.channel_id, note.ts)  # the streamed message took its place
            note = Note(channel.channel, streamed.thread_ts, streamed.ts)
            if await streamed.finish(reply.text, metadata_for(reply.source, 0), feedback_actions(reply)):
                for attachment in reply.attachments:
                    await self._upload(channel.channel, streamed.thread_ts, attachment)
                return SentRef(channel.in_thread(streamed.thread_ts), streamed.ts)
        thread = note.thread if note is not None else thread_for(channel, reply.reply_to)
        chunks = format_reply(reply.text, self.capabilities.max_chars)
        if chunks and reply.mention_group and not reply.ephemeral:  # after escaping: the one ping meant (bot/pings.py)
            chunks[0] = pinged_text(self.name, chunks[0], reply.mention_group)
        where = channel.in_thread(thread)
        if reply.ephemeral and not reply.user_id:
            log.warning("ephemeral reply without a user dropped rather than posted publicly")
            return SentRef(where, "")
        if reply.ephemeral and reply.user_id:
            if reply.attachments:
                chunks = chunks or [""]
                chunks[-1] += format_reply(PRIVATE_FILES_NOTE)[0]
            ts = ""
            for index, chunk in enumerate(chunks):
                blocks = feedback_blocks(reply, chunk, index, len(chunks), "")  # a private answer's carry its key
                resp = await self.client.chat_postEphemeral(channel=channel.channel, user=reply.user_id, text=chunk,
                                                            thread_ts=thread, blocks=blocks)
                ts = ts or str(resp.get("message_ts") or "")
            return SentRef(where, ts)
        first_ts = ""
        placeholder = note if note is not None and note.ts else None
        posted: dict[int, str] = {}
        if reply.resend and reply.source:
            posted = await earlier_parts(self.client, self.pacer, channel.channel, thread, reply.reply_to,
                                         reply.source)
            if posted:
                log.info("reply already posted by an earlier attempt", extra={"parts": len(posted)})
                if placeholder is not None and placeholder.ts != posted.get(0):
                    await self.notes.remove(placeholder.channel_id, placeholder.ts)
                    placeholder = None
        for index, chunk in enumerate(chunks):
            metadata = metadata_for(reply.source, index)
            blocks = feedback_blocks(reply, chunk, index, len(chunks), first_ts)
            if index in posted:
                first_ts = first_ts or posted[index]
                continue
            if index == 0 and placeholder is not None:
                if await self.notes.replace(placeholder, chunk, metadata, blocks):
                    first_ts = placeholder.ts
                    continue
                placeholder = None
            resp = await self.client.chat_postMessage(
                channel=channel.channel, text=chunk, thread_ts=thread, unfurl_links=False, unfurl_media=False,
                link_names=False, metadata=metadata, blocks=blocks)
            first_ts = first_ts or str(resp.get("ts") or "")
        if placeholder is not None and not chunks:
            await self.client.chat_delete(channel=placeholder.channel_id, ts=placeholder.ts)
        for attachment in reply.attachments:
            file_id = await self._upload(channel.channel, thread, attachment)
            first_ts = first_ts or file_id
        return SentRef(where, first_ts)

    async def _upload(self, channel_id: str, thread: str | None, attachment: Any) -> str:
        if not attachment.data:
            log.info("attachment without data skipped", extra={"file": attachment.filename})
            return ""
        resp = await self.client.files_upload_v2(
            channel=channel_id, thread_ts=thread, content=attachment.data, filename=attachment.filename,
            title=attachment.filename, alt_txt=(attachment.alt_text or attachment.filename)[:1000])
        file = resp.get("file") or {}
        return str(file.get("id") or "") if isinstance(file, dict) else ""

    async def fetch_history(self, channel: ChannelRef, since: datetime | None = None,
                            limit: int = 200) -> list[IncomingMessage]:
        """Oldest-first messages from conversations.history / .replies: paced, at most ``history_pages``.

        Raises PaceExceeded when the workspace's Tier 3 budget is spent for more than a few seconds.
        """
        method = "conversations.replies" if channel.thread else "conversations.history"
        params: dict[str, Any] = {"channel": channel.channel, "limit": min(HISTORY_PAGE, max(1, limit))}
        if channel.thread:
            params["ts"] = channel.thread
        if since is not None:
            params["oldest"] = f"{since.timestamp():.6f}"
        found: dict[str, IncomingMessage] = {}
        cursor: str | None = None
        for page in range(self.history_pages):
            try:
                await self.pacer.wait(method, max_wait_s=HISTORY_MAX_WAIT_S)
            except PaceExceeded:
                if page == 0:
                    raise  # the caller says "history unavailable" rather than "no history"
                log.info("history paging stopped at the rate tier", extra={"method": method, "pages": page})
                break
            try:
                resp = await self.client.api_call(method, http_verb="GET",
                                                  params={**params, **({"cursor": cursor} if cursor else {})})
            except SlackApiError as exc:
                log.warning("history read failed", extra={"method": method, "error": exc.response.get("error")})
                break
            for raw in resp.get("messages") or []:
                if isinstance(raw, dict):
                    message = message_from_payload({**raw, "channel": channel.channel}, channel.workspace,
                                                   self.bot_user_id, self.settings.bot_name)
                    if message is not None:
                        found[message.id] = message
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or len(found) >= limit:
                break
        ordered = sorted(found.values(), key=lambda m: float(m.id))
        return await self.listeners.named_history(ordered[-limit:]) if limit > 0 else []

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None:
        name = EMOJI_NAMES.get(emoji, emoji).strip(":")
        try:
            await self.client.reactions_add(channel=channel.channel, timestamp=message_id, name=name)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                log.warning("reaction failed", extra={"error": exc.response.get("error")})

    async def delete(self, channel: ChannelRef, message_id: str) -> None:
        """Others' messages need SLACK_ADMIN_TOKEN (a workspace admin's user token with chat:write)."""
        client = self.admin_client or self.client
        try:
            await client.chat_delete(channel=channel.channel, ts=message_id)
        except SlackApiError as exc:
            log.warning("delete failed", extra={"error": exc.response.get("error"), "admin": bool(self.admin_client)})
            raise

    async def fetch_file(self, attachment: Attachment, *, max_bytes: int) -> Path:
        """``url_private_download`` with the bot token (needs ``files:read``), from files.slack.com only."""
        return await self.files.fetch(attachment, max_bytes)

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None:
        log.info("slack has no timeouts; not timing out", extra={"user": user_id})

    def message_link(self, channel: ChannelRef, message_id: str) -> str | None:
        if not self.team_url or not message_id.replace(".", "").isdigit():
            return None
        link = f"{self.team_url.rstrip('/')}/archives/{channel.channel}/p{message_id.replace('.', '')}"
        if channel.thread and channel.thread != message_id:
            link += f"?thread_ts={channel.thread}&cid={channel.channel}"
        return link

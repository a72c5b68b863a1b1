"""Loopback fakes of Discord: the REST API and the gateway websocket, on one aiohttp server.

``FakeDiscord`` answers the REST routes Confab uses with payloads shaped like Discord's documented
examples and records every request (method, path, JSON body or ``payload_json``, uploaded files).
Its gateway speaks the real protocol: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME
(replaying what the client missed) and dispatches pushed by the test. Also used by ``bench/``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from tests.fakes.discord_limits import BUTTON, IS_COMPONENTS_V2, SEND_POLLS, TEXT_DISPLAY, refused_message, walk
from tests.fakes.file_host import FileHost
from tests.fakes.loopback import serve_on_loopback

API = "/api/v10"
BOT_ID = 1100000000000000001
GUILD_ID = 1200000000000000001
GENERAL_ID = 1300000000000000001
MODS_ID = 1300000000000000002
ALICE_ID = 1400000000000000001
BOB_ID = 1400000000000000002
MOD_ROLE_ID = 1500000000000000001
BOT_ROLE_ID = 1500000000000000002
TOKEN = "fake-discord-token"
MESSAGE_CONTENT = 1 << 15
ALL_TEXT_PERMISSIONS = (1 << 6) | (1 << 10) | (1 << 11) | (1 << 13) | (1 << 14) | (1 << 15) | (1 << 16) | \
    (1 << 35) | (1 << 38) | (1 << 40) | SEND_POLLS  # reactions, view, send, manage messages, embed, attach, history,
# threads, … polls
MANAGE_GUILD = 1 << 5
MODERATE_MEMBERS = 1 << 40


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
            "bot": bot, "public_flags": 0}


BOT_USER = user(BOT_ID, "confab", bot=True)
ALICE = user(ALICE_ID, "alice")
BOB = user(BOB_ID, "bob")


def member(who: dict[str, Any], roles: list[int] | None = None, joined: str = "2024-01-01T00:00:00+00:00",
           with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"roles": [str(r) for r in roles or []], "joined_at": joined, "deaf": False,
                            "mute": False, "flags": 0, "nick": None, "avatar": None, "pending": False}
    if with_user:
        data["user"] = who
    return data


def text_channel(cid: int, name: str, position: int = 0) -> dict[str, Any]:
    return {"id": str(cid), "type": 0, "guild_id": str(GUILD_ID), "name": name, "position": position,
            "permission_overwrites": [], "parent_id": None, "nsfw": False, "topic": None, "last_message_id": None,
            "rate_limit_per_user": 0, "flags": 0}


def thread_channel(cid: int, name: str, parent_id: int | str, owner_id: int | str, members: int = 2,
                   archive_timestamp: str = "2026-11-23T00:00:00+00:00") -> dict[str, Any]:
    """A public thread (type 11) under ``parent_id``, open, as the gateway and REST describe it."""
    return {**text_channel(cid, name), "type": 11, "parent_id": str(parent_id), "owner_id": str(owner_id),
            "member_count": members, "message_count": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                "archive_timestamp": archive_timestamp, "locked": False}}


def forum_channel(cid: int, name: str, position: int = 2) -> dict[str, Any]:
    """A forum channel (type 15): each post is a thread whose starter message has the thread's id."""
    return {**text_channel(cid, name, position), "type": 15, "available_tags": [], "default_reaction_emoji": None,
            "default_sort_order": None, "default_forum_layout": 0, "default_thread_rate_limit_per_user": 0}


def role(rid: int, name: str, permissions: int, position: int, tags: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    data = {"id": str(rid), "name": name, "color": 0, "hoist": False, "icon": None, "unicode_emoji": None,
            "position": position, "permissions": str(permissions), "managed": tags is not None,
            "mentionable": False, "flags": 0}
    if tags is not None:
        data["tags"] = tags
    return data


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    at: float = field(default_factory=time.perf_counter)  # when the fake received it
    answer: Any = None  # what the fake answered (JSON), when it took the request

    @property
    def content(self) -> str:
        return str((self.json or {}).get("content") or "")

    @property
    def flags(self) -> int:
        return int((self.json or {}).get("flags") or 0)

    @property
    def components(self) -> list[dict[str, Any]]:
        """The message's components as sent (raw JSON: action rows, or a components-v2 layout)."""
        return list((self.json or {}).get("components") or [])

    @property
    def poll(self) -> dict[str, Any] | None:
        return (self.json or {}).get("poll")

    @property
    def is_layout(self) -> bool:
        return bool(self.flags & IS_COMPONENTS_V2)

    @property
    def text(self) -> str:
        """What the message shows as text: its content, or its text displays (components v2), in order."""
        shown = [c["content"] for c in walk(self.components) if c.get("type") == TEXT_DISPLAY]
        return "\n".join([self.content, *shown]) if shown else self.content

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in walk(self.components) if c.get("type") == BUTTON]


RUNNING: dict[str, FakeDiscord] = {}  # started fakes by REST base, so ``settle(adapter)`` finds its adapter's


@dataclass
class FakeDiscord:
    bot_permissions: int = ALL_TEXT_PERMISSIONS | MODERATE_MEMBERS
    rate_limited: dict[str, float] = field(default_factory=dict)  # path regex -> retry_after answered with 429
    invalid_token: bool = False
    callback_delay_s: float = 0.0
    refuse_polls: int | None = None  # an HTTP status answered to any message carrying a poll (e.g. 400)
    requests: list[Request] = field(default_factory=list)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> history, oldest first
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    nonces: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)  # enforced nonces, as Discord keeps
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    replay_overlap: int = 0  # on RESUME, also re-send this many events the client already had
    max_concurrency: int = 1  # /gateway/bot's session_start_limit: IDENTIFY buckets per 5 s
    events: list[dict[str, Any]] = field(default_factory=list)
    file_host: FileHost = field(default_factory=lambda: FileHost("/attachments"))  # the CDN of attachments
    extra_channels: list[dict[str, Any]] = field(default_factory=list)  # more of the guild's channels (GUILD_CREATE)
    base: str = ""
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    # --- server -----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self.file_host.install(app)
        self._runner, self.base = await serve_on_loopback(app)
        self.file_host.base = self.base
        RUNNING[self.api_base] = self
        return self.base

    async def stop(self) -> None:
        RUNNING.pop(self.api_base, None)
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return self.base + API

    @property
    def gateway_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/gateway"

    def next_id(self) -> int:
        """A snowflake: milliseconds since Discord's epoch (2015) in the high bits, a counter in the low."""
        now_ms = int(datetime.now(UTC).timestamp() * 1000) - 1420070400000
        return (now_ms << 22) | (int(next(self._ids)) & 0x3FFFFF)

    # --- what the bot did -------------------------------------------------------------------

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def posted(self, channel_id: int | None = None) -> list[Request]:
        """Messages the bot posted in channels (not interaction follow-ups)."""
        where = str(channel_id) if channel_id else r"\d+"
        return self.calls("POST", rf"/channels/{where}/messages")

    def edits(self, channel_id: int | None = None) -> list[Request]:
        """Edits of the bot's channel messages (PATCH), in order."""
        where = str(channel_id) if channel_id else r"\d+"
        return self.calls("PATCH", rf"/channels/{where}/messages/\d+")

    def typing(self, channel_id: int | None = None) -> list[Request]:
        """Typing indicators triggered ("Confab is typing…")."""
        where = str(channel_id) if channel_id else r"\d+"
        return self.calls("POST", rf"/channels/{where}/typing")

    def followups(self) -> list[Request]:
        return self.calls("POST", r"/webhooks/\d+/[^/]+")

    def polls(self) -> list[Request]:
        """Messages (channel posts or follow-ups) that opened a poll, whether Discord took them or not."""
        return [r for r in self.posted() + self.followups() if r.poll is not None]

    def reactions(self, message_id: int | str | None = None) -> list[str]:
        """The emoji the bot added as reactions (to ``message_id``, or any message), in order."""
        where = str(message_id) if message_id else r"\d+"
        return [unquote(r.path.split("/")[-2]) for r in
                self.calls("PUT", rf"/channels/\d+/messages/{where}/reactions/[^/]+/@me")]

    def callbacks(self) -> list[Request]:
        return self.calls("POST", r"/interactions/\d+/[^/]+/callback")

    # --- gateway ----------------------------------------------------------------------------

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def read_by(self, adapter: Any) -> bool:
        """Whether ``adapter``'s client has read every DISPATCH sent so far (its sequence is the last one)."""
        ws = adapter.client.ws
        return ws is not None and ws.sequence is not None and ws.sequence >= len(self.events)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a DISPATCH to the connected client (kept for replay on RESUME); returns its sequence."""
        seq = len(self.events) + 1
        frame = {"op": 0, "t": event, "s": seq, "d": data}
        self.events.append(frame)
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(json.dumps(frame))
        return seq

    async def send_raw(self, text: str) -> None:
        """A frame as is (e.g. garbage), straight to the connected client."""
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(text)

    async def drop(self, code: int = 4000) -> None:
        """Close the gateway connection like a network blip; discord.py reconnects and RESUMEs."""
        self._connected.clear()
        for ws in list(self._sockets):
            await ws.close(code=code)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    self.identifies.append(data)
                    await self._ready(ws)
                elif op == 6:
                    self.resumes.append(data)
                    await self._resume(ws, int(data.get("seq") or 0))
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._connected.clear()
        return ws

    async def _send_event(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        seq = len(self.events) + 1
        frame = {"op": 0, "t": event, "s": seq, "d": data}
        self.events.append(frame)
        await ws.send_str(json.dumps(frame))

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await self._send_event(ws, "READY", {
            "v": 10, "user": {**BOT_USER, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}], "session_id": "fake-session-1",
            "resume_gateway_url": self.gateway_url, "shard": [0, 1],
            "application": {"id": str(BOT_ID), "flags": 0}, "private_channels": [], "relationships": [],
        })
        await self._send_event(ws, "GUILD_CREATE", self.guild())
        self._connected.set()

    async def _resume(self, ws: web.WebSocketResponse, seq: int) -> None:
        for frame in self.events[max(0, seq - self.replay_overlap):]:
            await ws.send_str(json.dumps(frame))
        await self._send_event(ws, "RESUMED", {})
        self._connected.set()

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID), "name": "Confab Test", "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(ALICE_ID), "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None,
            "roles": [role(GUILD_ID, "@everyone", 1 << 10 | 1 << 11 | 1 << 16 | 1 << 6, 0),
                      role(MOD_ROLE_ID, "Moderators", MANAGE_GUILD | (1 << 13), 2),
                      role(BOT_ROLE_ID, "Confab", self.bot_permissions, 3, tags={"bot_id": str(BOT_ID)})],
            "emojis": [], "stickers": [], "joined_at": "2024-01-01T00:00:00+00:00", "large": False,
            "unavailable": False, "member_count": 3, "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "members": [member(BOT_USER, [BOT_ROLE_ID])],
            "channels": [text_channel(GENERAL_ID, "general"), text_channel(MODS_ID, "mods", 1), *self.extra_channels],
            "threads": list(self.threads.values()),
        }

    # --- payloads a test sends ----------------------------------------------------------------

    def message(self, content: str, author: dict[str, Any] | None = None, channel_id: int = GENERAL_ID,
                mentions: list[dict[str, Any]] | None = None, guild: bool = True, **extra: Any) -> dict[str, Any]:
        """A MESSAGE_CREATE payload as Discord documents it (mentions carry their member in guilds)."""
        who = author or ALICE
        data: dict[str, Any] = {
            "id": str(self.next_id()), "channel_id": str(channel_id), "author": who, "content": content,
            "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": [({**m, "member": member(m, with_user=False)} if guild else m) for m in mentions or []],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
            "nonce": None,
        }
        if guild:
            data["guild_id"] = str(GUILD_ID)
            roles = [MOD_ROLE_ID] if who.get("id") == str(ALICE_ID) else []
            data["member"] = member(who, roles, with_user=False)
        data.update(extra)
        self.messages.setdefault(channel_id, []).append(data)
        return data

    def forum_post(self, forum_id: int, title: str, content: str, author: dict[str, Any] | None = None
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new forum post as Discord sends it: THREAD_CREATE (type 11 under the forum, ``newly_created``) and
        the starter MESSAGE_CREATE in the thread, whose id is the thread's; returns (thread, message)."""
        thread_id = self.next_id()
        who = author or ALICE
        thread = {**thread_channel(thread_id, title, forum_id, who["id"], members=1, archive_timestamp=now_iso()),
                  "newly_created": True}
        self.threads[thread_id] = thread
        message = self.message(content, author=who, channel_id=thread_id, id=str(thread_id))
        return thread, message

    def reaction(self, message: dict[str, Any], emoji: str, who: dict[str, Any] | None = None,
                 roles: list[int] | None = None) -> dict[str, Any]:
        """A MESSAGE_REACTION_ADD payload as Discord documents it (a unicode emoji; the member in guilds)."""
        who = who or ALICE
        if roles is None:
            roles = [MOD_ROLE_ID] if who.get("id") == str(ALICE_ID) else []
        return {"user_id": who["id"], "channel_id": message["channel_id"], "message_id": message["id"],
                "guild_id": str(GUILD_ID), "member": member(who, roles), "emoji": {"id": None, "name": emoji},
                "message_author_id": message["author"]["id"], "burst": False, "burst_colors": [], "type": 0}

    def interaction(self, name: str, options: list[dict[str, Any]] | None = None, *, who: dict[str, Any] | None = None,
                    channel_id: int = GENERAL_ID, kind: int = 1, target: dict[str, Any] | None = None,
                    permissions: int = ALL_TEXT_PERMISSIONS, group: str | None = None) -> dict[str, Any]:
        """An INTERACTION_CREATE (type 2, application command) payload; ``kind`` 3 is a message context menu."""
        iid = self.next_id()
        data: dict[str, Any] = {"id": str(self.next_id()), "name": group or name, "type": kind,
                                "options": options or []}
        if group is not None:
            data["options"] = [{"name": name, "type": 1, "options": options or []}]
        if target is not None:
            data["target_id"] = target["id"]
            data["resolved"] = {"messages": {target["id"]: target}}
            data.pop("options")
        channel = self.threads.get(channel_id) or text_channel(channel_id, "general")
        return {
            "id": str(iid), "application_id": str(BOT_ID), "type": 2, "data": data, "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id), "channel": channel,
            "member": {**member(who or ALICE, [MOD_ROLE_ID] if (who or ALICE) is ALICE else []),
                       "permissions": str(permissions)},
            "token": f"itoken-{iid}", "version": 1, "app_permissions": str(self.bot_permissions), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0, "attachment_size_limit": 10485760,
        }

    def click(self, custom_id: str, message: dict[str, Any], *, who: dict[str, Any] | None = None,
              channel_id: int = GENERAL_ID) -> dict[str, Any]:
        """An INTERACTION_CREATE (type 3, a button click on ``message``) payload, as Discord documents it."""
        iid = self.next_id()
        channel = self.threads.get(channel_id) or text_channel(channel_id, "general")
        return {
            "id": str(iid), "application_id": str(BOT_ID), "type": 3,
            "data": {"custom_id": custom_id, "component_type": 2}, "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id), "channel": channel, "message": message,
            "member": {**member(who or BOB), "permissions": str(ALL_TEXT_PERMISSIONS)},
            "token": f"itoken-{iid}", "version": 1, "app_permissions": str(self.bot_permissions), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0, "attachment_size_limit": 10485760,
        }

    # --- REST -------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        recorded = Request(request.method, path, dict(request.query), body, files)
        self.requests.append(recorded)
        if request.headers.get("Authorization") != f"Bot {TOKEN}" and not path.startswith(("/webhooks/",
                                                                                            "/interactions/")):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if self.invalid_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for pattern, retry_after in self.rate_limited.items():
            if re.fullmatch(pattern, path) and request.method != "GET":
                return _json({"message": "You are being rate limited.", "retry_after": retry_after,
                                          "global": False}, status=429,
                                         headers={"Retry-After": str(int(retry_after)), "X-RateLimit-Scope": "user",
                                      "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                                      "X-RateLimit-Reset-After": str(retry_after),
                                      "X-RateLimit-Bucket": "fake-bucket", "Via": "1.1 google"})
        if request.method in ("POST", "PATCH") and re.fullmatch(r"/channels/\d+/messages(/\d+)?|/webhooks/.+", path):
            refused = refused_message(body or {}, self.bot_permissions)
            if refused is None and self.refuse_polls and (body or {}).get("poll"):
                return _json({"message": f"{self.refuse_polls}: refused by the test", "code": 0},
                             status=self.refuse_polls)
            if refused is not None:
                return _json(refused, status=403 if refused["code"] == 50013 else 400)
        response = await self._route(request.method, path, request.query, body)
        if isinstance(response, web.Response) and isinstance(response.body, bytes) and response.status < 300:
            recorded.answer = json.loads(response.body)
        return response

    async def _route(self, method: str, path: str, query: Any, body: Any) -> web.StreamResponse:
        def match(pattern: str) -> re.Match[str] | None:
            return re.fullmatch(pattern, path)

        if method == "GET" and path == "/users/@me":
            return _json({**BOT_USER, "verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({
                "id": str(BOT_ID), "name": "Confab", "icon": None, "description": "", "summary": "",
                "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False, "verify_key": "00" * 32,
                "owner": ALICE, "team": None, "flags": 1 << 19, "tags": [], "bot": BOT_USER,
            })
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": self.max_concurrency}})
        if m := match(r"/applications/(\d+)(?:/guilds/(\d+))?/commands"):
            if method == "PUT":
                commands = [{"description": "", "options": [], "default_member_permissions": None, "nsfw": False,
                             **c, "id": str(self.next_id()), "application_id": m.group(1), "version": "1",
                             **({"guild_id": m.group(2)} if m.group(2) else {})} for c in body or []]
                return _json(commands)
            return _json([])
        if m := match(r"/channels/(\d+)/messages"):
            channel_id = int(m.group(1))
            if method == "POST":
                body = body or {}
                nonce = body.get("nonce") if body.get("enforce_nonce") else None
                if nonce is not None and (channel_id, str(nonce)) in self.nonces:
                    # Discord: a repeat of an enforced nonce returns the message already created
                    return _json(self.nonces[(channel_id, str(nonce))])
                created = self._stored_bot_message(channel_id, body)
                if nonce is not None:
                    self.nonces[(channel_id, str(nonce))] = created
                return _json(created)
            history = self.messages.get(channel_id, [])
            limit = int(query.get("limit", 50))
            if "after" in query:
                after = int(query["after"])
                page = [x for x in history if int(x["id"]) > after][:limit]
                return _json(list(reversed(page)))
            before = int(query["before"]) if "before" in query else None
            page = [x for x in history if before is None or int(x["id"]) < before][-limit:]
            return _json(list(reversed(page)))
        if (m := match(r"/channels/(\d+)/messages/(\d+)")) and method in ("GET", "PATCH", "DELETE"):
            found = next((x for x in self.messages.get(int(m.group(1)), []) if x["id"] == m.group(2)), None)
            if found is None:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "DELETE":
                self.messages[int(m.group(1))].remove(found)
                return web.Response(status=204)
            if method == "PATCH":
                found.update({k: v for k, v in (body or {}).items() if k in ("content", "flags")})
            return _json(found)
        if match(r"/channels/\d+/messages/\d+/reactions/[^/]+/@me"):
            return web.Response(status=204)
        if match(r"/channels/\d+/typing"):
            return web.Response(status=204)
        if (m := match(r"/channels/(\d+)/messages/(\d+)/threads")) and method == "POST":
            thread = thread_channel(int(m.group(2)), (body or {}).get("name", "thread"), m.group(1), BOT_ID,
                                    members=1, archive_timestamp=now_iso())
            self.threads[int(m.group(2))] = thread
            return _json(thread, status=201)
        if m := match(r"/channels/(\d+)"):
            cid = int(m.group(1))
            if cid in self.threads:
                return _json(self.threads[cid])
            if cid in (GENERAL_ID, MODS_ID):
                return _json(text_channel(cid, "general" if cid == GENERAL_ID else "mods"))
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if m := match(rf"/guilds/{GUILD_ID}/members/(\d+)"):
            who = {str(ALICE_ID): ALICE, str(BOB_ID): BOB}.get(m.group(1), user(int(m.group(1)), "someone"))
            return _json({**member(who), "communication_disabled_until":
                                      (body or {}).get("communication_disabled_until")})
        if match(r"/interactions/\d+/[^/]+/callback"):
            if self.callback_delay_s:
                await asyncio.sleep(self.callback_delay_s)
            flags = int(((body or {}).get("data") or {}).get("flags") or 0)
            return _json({"interaction": {
                "id": path.split("/")[2], "type": 2, "response_message_loading": True,
                "response_message_ephemeral": bool(flags & 64)}})
        if (m := match(r"/webhooks/(\d+)/([^/]+)")) and method == "POST":
            return _json(self._stored_bot_message(GENERAL_ID, body or {}, remember=False))
        if match(r"/webhooks/\d+/[^/]+/messages/@original"):
            if method == "DELETE":
                return web.Response(status=204)
            return _json(self._stored_bot_message(GENERAL_ID, body or {}, remember=False))
        return _json({"message": f"fake has no route {method} {path}", "code": 0}, status=404)

    def _stored_bot_message(self, channel_id: int, body: dict[str, Any], remember: bool = True) -> dict[str, Any]:
        data = {
            "id": str(self.next_id()), "channel_id": str(channel_id), "author": BOT_USER,
            "content": body.get("content") or "", "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 19 if body.get("message_reference") else 0, "flags": body.get("flags", 0),
            "components": body.get("components") or [],
        }
        if body.get("poll"):
            poll = body["poll"]
            expiry = datetime.now(UTC) + timedelta(hours=float(poll.get("duration") or 24))
            data["poll"] = {"question": poll["question"], "allow_multiselect": bool(poll.get("allow_multiselect")),
                            "layout_type": poll.get("layout_type", 1), "expiry": expiry.isoformat(),
                            "answers": [{"answer_id": n, **a} for n, a in enumerate(poll["answers"], start=1)]}
        if channel_id not in self.threads:
            data["guild_id"] = str(GUILD_ID)
        if remember:
            self.messages.setdefault(channel_id, []).append(data)
        return data


def discord_settings(tmp_path: Path, fake: FakeDiscord, **overrides: Any) -> Any:
    from tests.fakes.settings import make_settings

    values: dict[str, Any] = {"discord_token": TOKEN, "discord_api_base_url": fake.api_base}
    values.update(overrides)
    return make_settings(tmp_path, **values)


async def settle(adapter: Any, within_s: float = 30.0) -> None:
    """Wait until the client has read every frame the fake sent (its gateway sequence caught up with the
    fake's) and the work those frames started is done: discord.py's event and command-tree tasks, the
    adapter's tracked work, then the pipeline's background; again while any of it started more."""
    from tests.fakes.harness import drain
    from tests.fakes.waiting import until

    fake = RUNNING.get(str(adapter.settings.discord_api_base_url))
    async with asyncio.timeout(within_s):
        while True:
            if fake is not None:
                await until(lambda: fake.read_by(adapter), within_s, "the client to read the fake's frames")
            started = _event_tasks()
            if started:
                await asyncio.wait(started)
            await drain(adapter)
            if not _event_tasks() and (fake is None or fake.read_by(adapter)):
                return


def _event_tasks() -> set[asyncio.Task[Any]]:
    """What discord.py runs per event: listeners (``discord.py: on_message``), command-tree invocations and
    component callbacks (``discord-ui-dynamic-item-…``: the feedback buttons)."""
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()
            and t.get_name().startswith(("discord.py: ", "CommandTree-invoker", "discord-ui-dynamic-item-",
                                          "discord-ui-view-dispatch-"))}


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", "")
            data = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                payload = json.loads(data)
            else:
                files.append((getattr(part, "filename", "") or name, bytes(data)))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return {"_raw": raw.decode("utf-8", "replace")}, []


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py reads a body as JSON only when Content-Type is exactly ``application/json``."""
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json",
                        headers=headers)

"""Loopback fakes of Slack: the Web API (aiohttp) and the Socket Mode websocket (websockets).

``FakeSlackAPI`` records every call (method, params) and answers the methods Confab uses with
shapes from Slack's documentation. ``FakeSocketMode`` speaks the Socket Mode envelope protocol:
``hello`` on connect, envelopes pushed by the test, acks recorded by ``envelope_id``.
Also used by ``bench/slack_ack.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.events import Accepted, Command, IncomingMessage, MessageDelete, MessageEdit, PlatformFlag, Reply
from tests.fakes.file_host import FileHost
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_pane import PANE_METHODS, channel_info, pane_call
from tests.fakes.slack_streams import stream_call

if TYPE_CHECKING:
    from bot.events import Vote

PAYLOADS = Path(__file__).parent / "slack_payloads"
BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"
TEAM_ID = "T0TEAM001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    body: bytes = b""
    token: str = ""  # from the Authorization header
    peer: str = ""  # the caller's host:port: one TCP connection, one peer
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class FakeSlackAPI:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages, newest first
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    rate_limit_once: set[str] = field(default_factory=set)  # methods that answer 429 once
    ws_url: str = ""
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # what went to response_url
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error code to answer
    # keep what the bot posts in history/replies (with its metadata), as Slack does; off by default so
    # the tests reading a prepared history see only that
    keep_posts: bool = False
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> {"text", "state", "metadata", ...}
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> slack_pane.channel(...) / im(...)
    file_host: FileHost = field(default_factory=FileHost)  # files.slack.com: what url_private_download serves
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base: str = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{token}", self._respond)
        self.file_host.install(app)
        self._runner, self.base = await serve_on_loopback(app)
        self.file_host.base = self.base
        return self.base + "/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted_texts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.calls
                if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")] + \
               [str(r.get("text", "")) for r in self.responses]

    def statuses(self, thread_ts: str | None = None) -> list[str]:
        """The thread statuses set (``assistant.threads.setStatus``), in order; "" clears."""
        return [str(c.params.get("status")) for c in self.calls_to("assistant.threads.setStatus")
                if thread_ts is None or c.params.get("thread_ts") == thread_ts]

    def pane_calls(self, method: str, thread_ts: str) -> list[dict[str, Any]]:
        """The params of ``assistant.threads.<method>`` calls (setSuggestedPrompts, setTitle) in a thread."""
        return [c.params for c in self.calls_to(f"assistant.threads.{method}")
                if c.params.get("thread_ts") == thread_ts]

    def response_url(self) -> str:
        return f"{self.base}/respond/{uuid.uuid4().hex}"

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], bytes]:
        raw = await request.read()
        params: dict[str, Any] = dict(request.query)
        ctype = request.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw:
            params.update(dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
        return params, raw

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, raw = await self._params(request)
        if method in self.rate_limit_once:
            self.rate_limit_once.discard(method)
            self.calls.append(Call(method + "#429", params, raw))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(Call(method, params, raw, token, f"{peer[0]}:{peer[1]}" if peer else ""))
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://confab-test.slack.com/", "team": "Confab Test", "user": "confab",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.ws_url}
        if method in ("chat.postMessage", "chat.update"):
            ts = p.get("ts") or self.next_ts()
            if self.keep_posts:
                self._keep(method, p, ts)
            return {"ok": True, "channel": p.get("channel"), "ts": ts,
                    "message": {"type": "message", "text": p.get("text", ""), "user": BOT_USER_ID, "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.delete":
            if self.keep_posts:  # gone from what the channel and its threads show
                for kept in [self.history.get(str(p.get("channel")), []),
                             *(ms for (c, _), ms in self.replies.items() if c == p.get("channel"))]:
                    kept[:] = [m for m in kept if m.get("ts") != p.get("ts")]
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{uuid.uuid4().hex[:10].upper()}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(p["files"]) if isinstance(p.get("files"), str) else p.get("files", [])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method in ("conversations.history", "conversations.replies"):
            if method == "conversations.history":
                messages = self.history.get(str(p.get("channel")), [])
            else:
                messages = self.replies.get((str(p.get("channel")), str(p.get("ts"))), [])
            start = int(p.get("cursor") or 0)
            size = min(int(p.get("limit") or 100), self.page_size)
            page = messages[start:start + size]
            if str(p.get("include_all_metadata", "")).lower() not in ("1", "true"):
                page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
            more = start + size < len(messages)
            return {"ok": True, "messages": page, "has_more": more,
                    "response_metadata": {"next_cursor": str(start + size) if more else ""}}
        if method == "conversations.info":
            if (known := channel_info(self.channels, p)) is not None:
                return known
            return {"ok": True, "channel": {"id": p.get("channel"), "name": "general", "is_channel": True}}
        if method == "users.info":
            user_id = str(p.get("user"))
            user = self.users.get(user_id) or {"id": user_id, "name": user_id.lower(), "is_admin": False,
                                               "profile": {"display_name": f"user-{user_id[-3:]}"}}
            return {"ok": True, "user": user}
        if method == "reactions.add":
            return {"ok": True}
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            answer = stream_call(self.streams, method, p, self.next_ts)
            if self.keep_posts and answer.get("ok"):
                self._keep_stream(str(answer["ts"]))
            return answer
        if method in PANE_METHODS:
            return pane_call(self.channels, method, p)
        if method == "assistant.threads.setStatus":  # needs the thread it shows in
            ok = bool(p.get("channel_id") and p.get("thread_ts") and "status" in p)
            return {"ok": True} if ok else {"ok": False, "error": "invalid_arguments"}
        return {"ok": False, "error": "unknown_method"}

    def _keep(self, method: str, p: dict[str, Any], ts: str) -> None:
        channel = str(p.get("channel"))
        metadata = json.loads(p["metadata"]) if isinstance(p.get("metadata"), str) else p.get("metadata")
        message = {"type": "message", "text": p.get("text", ""), "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts,
                   **({"metadata": metadata} if metadata else {})}
        if method == "chat.update":
            for kept in [*self.history.get(channel, []), *(m for (c, _), ms in self.replies.items()
                                                            if c == channel for m in ms)]:
                if kept.get("ts") == ts:
                    kept.update(message)
            return
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
            self.replies.setdefault((channel, str(p["thread_ts"])), []).append(message)
        else:
            self.history.setdefault(channel, []).insert(0, message)

    def _keep_stream(self, ts: str) -> None:
        """A streamed message in its thread's replies as it grows, with the metadata its stop gave, as Slack shows
        it to ``conversations.replies``."""
        stream = self.streams[ts]
        key = (str(stream["channel"]), str(stream["thread_ts"]))
        kept = next((m for m in self.replies.get(key, []) if m.get("ts") == ts), None)
        if kept is None:
            kept = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts, "thread_ts": key[1]}
            self.replies.setdefault(key, []).append(kept)
        kept["text"] = stream["text"]
        if stream["metadata"]:
            kept["metadata"] = stream["metadata"]

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(json.loads(await request.read()))
        return web.Response(text="ok")


class FakeSocketMode:
    """A Socket Mode server: ``hello`` on connect; ``push`` an envelope; ``acks`` by envelope id."""

    def __init__(self) -> None:
        self.connections: list[Any] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()
        self._ack_events: dict[str, asyncio.Event] = {}
        self._server: Any = None
        self.url = ""

    async def start(self) -> str:
        import websockets

        self._server = await websockets.serve(self._serve, "127.0.0.1", 0)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/?ticket=test"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, ws: Any) -> None:
        self.connections.append(ws)
        await ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"},
                                  "debug_info": {"host": "loopback", "approximate_connection_time": 3600}}))
        self.connected.set()
        async for raw in ws:
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            envelope_id = data.get("envelope_id")
            if envelope_id:
                self.acks[envelope_id] = data
                self._ack_events.setdefault(envelope_id, asyncio.Event()).set()

    async def push(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        envelope_id = uuid.uuid4().hex
        self._ack_events[envelope_id] = asyncio.Event()
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else ""}
        await self.connections[-1].send(json.dumps(envelope))
        return envelope_id

    async def wait_ack(self, envelope_id: str) -> dict[str, Any]:
        async with asyncio.timeout(5):
            await self._ack_events[envelope_id].wait()
        return self.acks[envelope_id]

    async def ask_to_reconnect(self) -> None:
        self.connected.clear()
        await self.connections[-1].send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request: X-Slack-Request-Timestamp and the v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope as Slack documents it."""
    return {
        "token": "verification-token-unused", "team_id": TEAM_ID, "api_app_id": "A0TEST", "event": event,
        "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()), "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID,
                                                            "user_id": BOT_USER_ID, "is_bot": True}],
        "is_ext_shared_channel": False, "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
    }


def command_form(command: str, text: str, response_url: str, user_id: str = "U0ALICE01",
                 channel_id: str = "C0GENERAL") -> dict[str, str]:
    """A slash command's form fields, as Slack documents them."""
    return {"token": "unused", "team_id": TEAM_ID, "team_domain": "confab-test", "channel_id": channel_id,
            "channel_name": "general", "user_id": user_id, "user_name": "alice", "command": command,
            "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": f"{uuid.uuid4().int % 10**10}.1.abc"}


def payload(name: str) -> dict[str, Any]:
    """A JSON fixture from slack_payloads/ (shaped like Slack's documented examples)."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text("utf-8"))
    return data


SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RecordingHandler:
    """A minimal EventHandler that records what the adapter delivers and answers commands."""

    messages: list[IncomingMessage] = field(default_factory=list)
    edits: list[MessageEdit] = field(default_factory=list)
    deletes: list[MessageDelete] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    command_replies: Callable[[Command], Sequence[Reply]] | None = None
    delay_s: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_message(self, message: IncomingMessage) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def accept(self, message: IncomingMessage) -> Accepted | None:
        if any(m.id == message.id and m.channel == message.channel for m in self.messages):
            return None  # a repeat delivery: the pipeline's store says so (the insert is the dedupe)
        await self.handle_message(message)
        return Accepted(message, message.text, owed=False)

    async def process(self, accepted: Accepted) -> None:
        return None

    async def progress_shown(self, accepted: Accepted, note: str) -> None:
        return None

    async def handle_platform_flag(self, flag: PlatformFlag) -> None:
        return None

    async def handle_edit(self, edit: MessageEdit) -> None:
        self.edits.append(edit)
        self.arrived.set()

    async def handle_delete(self, delete: MessageDelete) -> None:
        self.deletes.append(delete)
        self.arrived.set()

    commands_queued = False

    async def owe_command(self, command: Command, route: str) -> bool:
        return True

    async def command_answered(self, command: Command) -> None:
        return None

    async def handle_vote(self, vote: Vote) -> str:
        self.votes.append(vote)
        self.arrived.set()
        return f"voted {vote.value}"

    async def handle_command(self, command: Command) -> Sequence[Reply]:
        self.commands.append(command)
        self.arrived.set()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.command_replies is not None:
            return self.command_replies(command)
        return [Reply(command.channel, f"did {command.name}: {command.args}", ephemeral=True,
                      user_id=command.author.id)]


def slack_settings(tmp_path: Path, api: FakeSlackAPI, mode: str, **overrides: Any) -> Any:
    """Settings for a SlackAdapter talking to ``api`` (everything under ``tmp_path``)."""
    from tests.fakes.settings import make_settings

    values: dict[str, Any] = {"slack_bot_token": "xoxb-test-token", "slack_mode": mode,
                              "slack_api_base_url": api.base + "/api/"}
    if mode == "http":
        values.update(slack_signing_secret=SECRET, slack_http_port=free_port())
    else:
        values.update(slack_app_token="xapp-1-test-token")
    values.update(overrides)
    return make_settings(tmp_path, **values)


# --- delivering to a running SlackAdapter in HTTP mode ----------------------------------------

async def post(adapter: Any, body: str, content_type: str, headers: dict[str, str] | None = None,
               secret: str = SECRET, timestamp: int | None = None) -> tuple[int, str]:
    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    all_headers = {"Content-Type": content_type, **sign(secret, body, timestamp), **(headers or {})}
    async with aiohttp.ClientSession() as session, session.post(url, data=body.encode(), headers=all_headers) as resp:
        return resp.status, await resp.text()


async def post_event(adapter: Any, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> tuple[int, str]:
    return await post(adapter, json.dumps(event_body(event, event_id)), "application/json", **kw)


async def post_form(adapter: Any, form: dict[str, str], **kw: Any) -> tuple[int, str]:
    return await post(adapter, urllib.parse.urlencode(form), "application/x-www-form-urlencoded", **kw)


async def settle(adapter: Any, within_s: float = 30.0) -> None:
    """Wait until what was delivered is done: the adapter's in-flight work, then the pipeline's background.

    No sleep is needed first: bolt runs the listeners before it answers (``process_before_response``), so
    by the time a POST or a Socket Mode ack came back the work they start is already tracked."""
    from tests.fakes.harness import drain

    async with asyncio.timeout(within_s):
        await drain(adapter)

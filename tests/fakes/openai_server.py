"""A loopback fake of the OpenAI HTTP API, scripted per test; the real ``openai`` SDK and
``langchain-openai`` talk to it over HTTP.

    async def test_x(fake_openai):
        fake_openai.chat.append(tool_reply(call("search_knowledge", {"query": "deploy"})))
        fake_openai.chat.append(text_reply("Deploy with Docker [1]."))
        ... CONFAB_MODEL=openai:gpt-4.1-mini, OPENAI_BASE_URL=fake_openai.base_url ...
        assert fake_openai.requests_to("/v1/chat/completions")[1].json["messages"][-1]["role"] == "tool"

Scripted entries are consumed in order per endpoint (``chat``, ``images``, ``transcriptions``); an empty chat script
answers "ok". ``responders`` (functions of the request body returning a Scripted or None) answer
first, e.g. a tool's own model calls, told apart by carrying no ``tools``.
Every request is recorded (path, JSON body, headers without the Authorization value); a multipart
transcription request is recorded as its form: the fields, and ``file`` as ``{"filename", "content_type", "data"}``.
Streaming (``"stream": true``) is served as server-sent events chunked like OpenAI's.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import struct
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import BodyPartReader, web

from tests.fakes.loopback import serve_on_loopback


@dataclass
class Scripted:
    """One scripted answer: a JSON body (status 200 unless set), a raw body, and/or a delay first.
    Streamed: ``chunk_delay_s`` between content chunks, and ``cut_after`` content chunks the connection drops."""

    body: Any = None
    status: int = 200
    raw: bytes | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    cut_after: int | None = None


@dataclass
class Recorded:
    path: str
    json: Any
    headers: dict[str, str]


def call(name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """A tool call; pass a string to send malformed/raw arguments."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"name": name, "arguments": args}


def text_reply(text: str, delay_s: float = 0.0, chunk_delay_s: float = 0.0, cut_after: int | None = None
               ) -> Scripted:
    return Scripted({"content": text}, delay_s=delay_s, chunk_delay_s=chunk_delay_s, cut_after=cut_after)


def tool_reply(*calls: dict[str, Any], content: str | None = None) -> Scripted:
    return Scripted({"content": content, "tool_calls": list(calls)})


def error_reply(status: int, message: str, code: str, kind: str = "invalid_request_error",
                delay_s: float = 0.0) -> Scripted:
    return Scripted({"error": {"message": message, "type": kind, "param": None, "code": code}},
                    status=status, delay_s=delay_s)


def garbage_reply(raw: bytes = b"<html>502 Bad Gateway</html>", status: int = 200) -> Scripted:
    return Scripted(raw=raw, status=status)


def png_bytes(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A real, decodable PNG (8-bit RGB, no filter), built with zlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_reply(data: bytes | None = None, as_url: bool = False, revised_prompt: str | None = None) -> Scripted:
    """An Images API answer carrying ``data`` (a PNG by default) as base64, or as a URL this server serves."""
    return Scripted({"image": data if data is not None else png_bytes(), "as_url": as_url,
                     "revised_prompt": revised_prompt})


def transcript_reply(text: str, segments: list[tuple[float, float, str, float]] | None = None,
                     language: str = "english", duration: float | None = None, delay_s: float = 0.0) -> Scripted:
    """A transcription answer; ``segments`` (start, end, text, no_speech_prob) make it whisper-1's verbose_json."""
    body: dict[str, Any] = {"text": text}
    if segments is not None:
        body.update(task="transcribe", language=language, duration=duration or (segments[-1][1] if segments else 0),
                    segments=[{"id": i, "start": a, "end": b, "text": t, "no_speech_prob": p}
                              for i, (a, b, t, p) in enumerate(segments)])
    return Scripted(body, delay_s=delay_s)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass
class FakeOpenAI:
    chat: deque[Scripted] = field(default_factory=deque)
    responders: list[Callable[[dict[str, Any]], Scripted | None]] = field(default_factory=list)
    images: deque[Scripted] = field(default_factory=deque)
    transcriptions: deque[Scripted] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    embedding_dim: int = 32
    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # --- handlers -----------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in request.headers.items()}
        self.requests.append(Recorded(request.path, body, headers))
        return body

    async def _scripted(self, script: deque[Scripted], body: dict[str, Any] | None = None) -> Scripted | web.Response:
        entry = next((found for r in self.responders if body is not None and (found := r(body)) is not None), None)
        if entry is None and script:
            entry = script.popleft()
        if entry is None:
            return Scripted({"content": "ok"})
        if entry.delay_s:
            await asyncio.sleep(entry.delay_s)
        if entry.raw is not None:
            return web.Response(body=entry.raw, status=entry.status, content_type="text/html")
        if entry.status != 200:
            return web.json_response(entry.body, status=entry.status)
        return entry

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return web.json_response({"error": {"message": "messages is required", "type": "invalid_request_error",
                                                "param": "messages", "code": None}}, status=400)
        entry = await self._scripted(self.chat, body)
        if isinstance(entry, web.Response):
            return entry
        message = entry.body
        calls = [{"id": f"call_{next(self._ids)}", "type": "function", "function": c}
                 for c in message.get("tool_calls") or []]
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in body["messages"]) + 5
        completion_tokens = len(str(message.get("content") or "").split()) + 5 * len(calls) + 1
        model = body.get("model", "gpt-test")
        finish = "tool_calls" if calls else "stop"
        if body.get("stream"):
            return await self._stream(request, model, message.get("content"), calls, finish,
                                      _usage(prompt_tokens, completion_tokens), entry)
        reply: dict[str, Any] = {"role": "assistant", "content": message.get("content"), "refusal": None}
        if calls:
            reply["tool_calls"] = calls
        return web.json_response({
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": reply, "finish_reason": finish, "logprobs": None}],
            "usage": _usage(prompt_tokens, completion_tokens),
        })

    async def _stream(self, request: web.Request, model: str, content: str | None, calls: list[dict[str, Any]],
                      finish: str, usage: dict[str, int], entry: Scripted) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        ident, created = f"chatcmpl-{next(self._ids)}", int(time.time())

        async def send(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> None:
            chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
            chunk.update(extra)
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        for index, word in enumerate((content or "").split(" ") if content else []):
            if index and entry.chunk_delay_s:
                await asyncio.sleep(entry.chunk_delay_s)
            if entry.cut_after is not None and index >= entry.cut_after:
                if request.transport is not None:
                    request.transport.abort()  # the connection drops mid-answer
                return response
            await send({"content": word + " "})
        for index, tool_call in enumerate(calls):
            head = {"index": index, "id": tool_call["id"], "type": "function",
                    "function": {"name": tool_call["function"]["name"], "arguments": ""}}
            await send({"tool_calls": [head]})
            arguments = tool_call["function"]["arguments"]
            for start in range(0, len(arguments), 8):
                piece = {"index": index, "function": {"arguments": arguments[start:start + 8]}}
                await send({"tool_calls": [piece]})
        await send({}, finish)
        final = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                 "usage": usage}
        await response.write(f"data: {json.dumps(final)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        inputs = body.get("input") if isinstance(body, dict) else None
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs:
            return web.json_response({"error": {"message": "input is required", "type": "invalid_request_error",
                                                "param": "input", "code": None}}, status=400)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(inputs):
            vector = self.embed(item if isinstance(item, str) else " ".join(map(str, item)))
            encoded: Any = (base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                            if as_base64 else vector)
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(str(i).split()) for i in inputs)
        return web.json_response({"object": "list", "data": data, "model": body.get("model", "text-embedding-test"),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def embed(self, text: str) -> list[float]:
        """Deterministic hashed bag of words, L2-normalised: texts sharing words are close."""
        vector = [0.0] * self.embedding_dim
        for word in text.lower().split():
            vector[zlib.crc32(word.strip(".,;:!?").encode()) % self.embedding_dim] += 1.0
        norm = sum(v * v for v in vector) ** 0.5 or 1.0
        return [v / norm for v in vector]

    async def image_generations(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return web.json_response({"error": {"message": "prompt is required", "type": "invalid_request_error",
                                                "param": "prompt", "code": None}}, status=400)
        entry = await self._scripted(self.images)
        if isinstance(entry, web.Response):
            return entry
        spec = entry.body if isinstance(entry.body, dict) and "image" in entry.body else image_reply().body
        item: dict[str, Any] = {"revised_prompt": spec.get("revised_prompt")}
        if spec.get("as_url"):
            name = f"img-{next(self._ids)}.png"
            self.files[name] = spec["image"]
            item["url"] = f"{self.base_url.removesuffix('/v1')}/files/{name}"
        else:
            item["b64_json"] = base64.b64encode(spec["image"]).decode()
        return web.json_response({"created": int(time.time()), "data": [item]})

    async def audio_transcriptions(self, request: web.Request) -> web.Response:
        """OpenAI's ``/v1/audio/transcriptions``: multipart with ``file`` and ``model`` (400 without them); answers
        the next scripted entry (a body, an error, garbage, a delay) or ``{"text": "ok"}``."""
        form: dict[str, Any] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                form[part.name] = {"filename": part.filename, "content_type": part.headers.get("Content-Type"),
                                   "data": bytes(await part.read())}
            else:
                form.setdefault(part.name, [])
                form[part.name].append(await part.text())
        fields = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in form.items()}
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in request.headers.items()}
        self.requests.append(Recorded(request.path, fields, headers))
        if "file" not in fields or "model" not in fields:
            return web.json_response({"error": {"message": "file and model are required", "param": "file",
                                                "type": "invalid_request_error", "code": None}}, status=400)
        entry = await self._scripted(self.transcriptions)
        if isinstance(entry, web.Response):
            return entry
        return web.json_response(entry.body if isinstance(entry.body, dict) and "text" in entry.body
                                 else {"text": "ok"})

    async def file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/png")


@asynccontextmanager
async def serving() -> AsyncIterator[FakeOpenAI]:
    """The fake on a loopback port for the block (benchmarks); tests use the ``fake_openai`` fixture."""
    fake = FakeOpenAI()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", fake.chat_completions)
    app.router.add_post("/v1/embeddings", fake.embeddings)
    app.router.add_post("/v1/images/generations", fake.image_generations)
    app.router.add_post("/v1/audio/transcriptions", fake.audio_transcriptions)
    app.router.add_get("/files/{name}", fake.file)
    runner, base = await serve_on_loopback(app, shutdown_timeout=0.1)
    fake.base_url = f"{base}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with serving() as fake:
        yield fake

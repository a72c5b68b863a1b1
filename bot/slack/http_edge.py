"""The edge of the Slack HTTP endpoint (``SLACK_MODE=http``): what reaches bolt is signed, current
and a JSON object; nothing anyone can send gets a 500 or writes more than a bounded, escaped line
to the log.

- :func:`edge_middleware` (aiohttp) checks the signature and timestamp itself, before bolt: an
  unsigned, stale or non-numeric-timestamp request is answered 401 and logged as one short summary
  (size, content type, the first bytes escaped). Bolt's own rejection line would log the whole
  body (up to 1 MB, newlines and all) at INFO; :func:`quiet_bolt_rejections` bounds it as well in
  case bolt ever logs one. A body that is not UTF-8 or not a JSON object (form ``payload`` too) is
  answered 400.
- :func:`malformed_is_400` (bolt's ``app.error``): a signed payload whose fields have the wrong
  type (``"event": "x"``, ``"channel": 5``, ``"user": null`` …) makes bolt's internals raise
  TypeError/AttributeError/KeyError/ValueError; that is answered 400 with a warning naming where it
  broke, instead of bolt's 500. Any other error keeps its 500 (a real fault; Slack retries).
- A delivery its sender gave up on (the connection closed: Slack stops waiting after 3 s and retries) is
  not worked on: :func:`abandoned` tells the listeners, which raise :class:`DeliveryAbandoned` before the
  author lookup and before storing (answered 503, to no one). Under a burst that outruns the replicas,
  every delivery still waiting was otherwise looked up and stored, acknowledged to no one, and its retry
  did the same work again to find it stored: the retries (up to 4 deliveries per event) cost as much as
  the events.
"""

from __future__ import annotations

import json
import logging
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("bot.slack.adapter")

LOGGED_BODY_CHARS = 120  # how much of a rejected body a log line shows (escaped)
DATA_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_delivery: ContextVar[web.Request | None] = ContextVar("slack_delivery", default=None)


class DeliveryAbandoned(Exception):
    """The sender of the request being handled closed its connection: no one waits for the acknowledgement."""


def abandoned() -> bool:
    """Whether the sender of the HTTP request this task handles has closed its connection (False in Socket Mode
    and outside a request). Only then: a 200 after a closed connection reaches no one, so the event is not
    worked on; one still open is never refused on a guess about the sender's clock."""
    request = _delivery.get()
    if request is None:
        return False
    transport = request.transport
    return transport is None or transport.is_closing()


def _gone() -> web.Response:
    log.debug("slack delivery dropped: its sender stopped waiting")
    return web.json_response({"error": "the sender stopped waiting"}, status=503)


def escaped(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` with newlines and other control characters escaped."""
    cut = text[:limit]
    shown = cut.encode("unicode_escape").decode("ascii")
    return shown + ("…" if len(text) > limit else "")


def request_summary(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Log fields describing a request without repeating it: bounded, escaped, never the signature."""
    return {"bytes": len(body), "content_type": escaped(headers.get("Content-Type", ""), 60),
            "timestamp": escaped(headers.get("X-Slack-Request-Timestamp", ""), 24),
            "body_start": escaped(body[:LOGGED_BODY_CHARS * 4].decode("utf-8", "replace"), LOGGED_BODY_CHARS)}


def _is_ssl_check(text: str) -> bool:
    """Slack's ssl_check ping: bolt answers it without a signature, as Slack's docs allow."""
    return "ssl_check=1" in text and dict(urllib.parse.parse_qsl(text)).get("ssl_check") == "1"


def payload_problem(text: str, content_type: str) -> str | None:
    """Why ``text`` is not a Slack payload bolt can dispatch (parsed as bolt does), or None."""
    try:
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            body: Any = json.loads(text)
        else:
            form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
            if "payload" not in form:
                return None if form or not text.strip() else "not a form body"
            body = json.loads(form["payload"])
    except ValueError as exc:
        return f"not JSON ({type(exc).__name__})"
    if not isinstance(body, dict):
        return "not a JSON object"
    event = body.get("event")
    if "event" in body and not isinstance(event, dict):
        return '"event" is not an object'
    authorizations = body.get("authorizations")
    if authorizations is not None and not (isinstance(authorizations, list)
                                           and all(isinstance(a, dict) for a in authorizations)):
        return '"authorizations" is not a list of objects'
    return None


def edge_middleware(signing_secret: str) -> Middleware:
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def slack_edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        body = await request.read()  # aiohttp keeps it: bolt reads the same bytes
        token = _delivery.set(request)
        try:
            return await _checked(request, body, handler)
        finally:
            _delivery.reset(token)

    async def _checked(request: web.Request, body: bytes, handler: Handler) -> web.StreamResponse:
        if abandoned():
            return _gone()
        summary = request_summary(body, request.headers)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("slack request rejected: the body is not UTF-8", extra=summary)
            return web.json_response({"error": "malformed request"}, status=400)
        if not _is_ssl_check(text):
            timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
            signature = request.headers.get("X-Slack-Signature", "")
            if not (timestamp.isascii() and timestamp.isdigit()) or not verifier.is_valid(text, timestamp, signature):
                log.info("slack request rejected: bad signature or timestamp", extra=summary)
                return web.json_response({"error": "invalid request"}, status=401)
        problem = payload_problem(text, request.headers.get("Content-Type", ""))
        if problem is not None:
            log.warning("slack request rejected: malformed payload", extra={"reason": problem, **summary})
            return web.json_response({"error": "malformed request"}, status=400)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:  # bolt builds its request before its own error handling starts
            log.warning("malformed request to the slack endpoint", extra={"error": type(exc).__name__, **summary})
            return web.json_response({"error": "malformed request"}, status=400)

    return slack_edge


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


async def malformed_is_400(error: Exception, request: Any, response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's error handler: a wrongly typed field in a signed payload is the sender's error (400); a delivery
    whose sender stopped waiting is dropped (503, quietly)."""
    if isinstance(error, DeliveryAbandoned):
        log.debug("slack delivery dropped: its sender stopped waiting")
        return BoltResponse(status=503, body={"error": "the sender stopped waiting"})
    raw = getattr(request, "raw_body", "") or ""
    headers = {"Content-Type": str((getattr(request, "headers", {}) or {}).get("content-type", [""])[0])}
    summary = request_summary(raw.encode("utf-8", "replace"), headers)
    if isinstance(error, DATA_ERRORS):
        log.warning("slack payload with a wrongly typed field rejected",
                    extra={"error": f"{type(error).__name__}: {escaped(str(error), 120)}", "where": _where(error),
                           **summary})
        return BoltResponse(status=400, body={"error": "malformed request"})
    log.error("slack request handling failed", exc_info=error, extra=summary)
    return None


class _BoundedRejection(logging.Filter):
    """Bolt logs a rejected signature with the whole body; keep a bounded, escaped line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request signature detected"):
            record.msg, record.args = "slack request rejected by bolt: " + escaped(message, 200), None
        return True


def quiet_bolt_rejections() -> None:
    logger = logging.getLogger("slack_bolt.AsyncRequestVerification")
    if not any(isinstance(f, _BoundedRejection) for f in logger.filters):
        logger.addFilter(_BoundedRejection())

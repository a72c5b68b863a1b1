"""The fake Slack Web API's chat streaming (chat.startStream / appendStream / stopStream), as Slack
documents it: startStream opens a reply in a thread (in channels naming the recipient), appendStream adds
markdown, stopStream adds the last and ends it; after that nothing more is accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def stream_call(streams: dict[str, dict[str, Any]], method: str, p: dict[str, Any],
                next_ts: Callable[[], str]) -> dict[str, Any]:
    """Answer one streaming call, keeping each stream (by ts) in ``streams``: text, state, metadata."""
    text = str(p.get("markdown_text") or "") + "".join(
        str(c.get("text", "")) for c in p.get("chunks") or [] if c.get("type") == "markdown_text")
    if method == "chat.startStream":
        if not p.get("channel") or not p.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        if str(p["channel"]).startswith("C") and not (p.get("recipient_user_id") and p.get("recipient_team_id")):
            return {"ok": False, "error": "missing_recipient_user_id"}
        ts = next_ts()
        streams[ts] = {"text": text, "state": "streaming", "channel": p["channel"], "thread_ts": p["thread_ts"],
                       "metadata": None}
        return {"ok": True, "channel": p["channel"], "ts": ts}
    stream = streams.get(str(p.get("ts")))
    if stream is None or stream["state"] != "streaming":
        return {"ok": False, "error": "message_not_in_streaming_state"}
    stream["text"] += text
    if method == "chat.stopStream":
        stream["state"] = "stopped"
        metadata = p.get("metadata")
        stream["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
    return {"ok": True, "channel": stream["channel"], "ts": p.get("ts")}

"""deploy/slack-app-manifest.yml declares exactly what the adapter uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.listeners import SHORTCUT, SLASH_COMMANDS

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-app-manifest.yml"

# Web API method -> bot scope it needs (https://api.slack.com/methods)
METHOD_SCOPES = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write", "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write", "reactions.add": "reactions:write", "users.info": "users:read",
    "conversations.history": "channels:history", "conversations.replies": "channels:history",
    "assistant.threads.setStatus": "chat:write",  # in channel threads; the assistant pane would need assistant:write
    "chat.startStream": "chat:write", "chat.appendStream": "chat:write", "chat.stopStream": "chat:write",
}
# event subscription -> scope
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.channels": "channels:history",
                "message.groups": "groups:history", "message.im": "im:history", "message.mpim": "mpim:history"}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return data


def test_commands_and_shortcut_match_the_listeners() -> None:
    features = manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == [f"/{name}" for name in SLASH_COMMANDS]
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [("message", SHORTCUT)]


def test_scopes_are_exactly_those_the_calls_and_events_need() -> None:
    data = manifest()
    needed = set(METHOD_SCOPES.values()) | set(EVENT_SCOPES.values()) | {"commands"}
    assert set(data["oauth_config"]["scopes"]["bot"]) == needed
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)
    assert "user" not in data["oauth_config"]["scopes"]  # the admin user token is opt-in


def test_socket_mode_is_the_default_and_interactivity_is_on() -> None:
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True


"""deploy/slack-app-manifest.yml declares exactly what the adapter uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.listeners import SHORTCUT, SLASH_COMMANDS
from bot.slack.pane import prompts_for

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-app-manifest.yml"

# the conversation kinds the assistant pane may find beside it: public, private, DM, group DM
CONVERSATION_READ = ("channels:read", "groups:read", "im:read", "mpim:read")
# Web API method -> bot scope(s) it needs (https://api.slack.com/methods)
METHOD_SCOPES: dict[str, str | tuple[str, ...]] = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write", "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write", "reactions.add": "reactions:write", "users.info": "users:read",
    "conversations.history": "channels:history", "conversations.replies": "channels:history",
    "assistant.threads.setStatus": ("chat:write", "assistant:write"),  # channel threads; the pane's threads
    "assistant.threads.setSuggestedPrompts": "assistant:write", "assistant.threads.setTitle": "assistant:write",
    "conversations.info": CONVERSATION_READ, "conversations.members": CONVERSATION_READ,
    "chat.startStream": "chat:write", "chat.appendStream": "chat:write", "chat.stopStream": "chat:write",
    "url_private_download": "files:read",  # not a method: the download of an attached file, with the bot token
}
# event subscription -> scope
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.channels": "channels:history",
                "message.groups": "groups:history", "message.im": "im:history", "message.mpim": "mpim:history",
                "reaction_added": "reactions:read",
                "assistant_thread_started": "assistant:write", "assistant_thread_context_changed": "assistant:write"}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return data


def test_commands_and_shortcut_match_the_listeners() -> None:
    features = manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == [f"/{name}" for name in SLASH_COMMANDS]
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [("message", SHORTCUT)]


def test_scopes_are_exactly_those_the_calls_and_events_need() -> None:
    data = manifest()
    needed = {scope for scopes in METHOD_SCOPES.values() for scope in ([scopes] if isinstance(scopes, str) else scopes)}
    needed |= set(EVENT_SCOPES.values()) | {"commands"}
    assert set(data["oauth_config"]["scopes"]["bot"]) == needed
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)
    assert "user" not in data["oauth_config"]["scopes"]  # the admin user token is opt-in


def test_socket_mode_is_the_default_and_interactivity_is_on() -> None:
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True



def test_the_assistant_pane_is_declared_with_the_prompts_it_suggests() -> None:
    features = manifest()["features"]
    pane = features["assistant_view"]
    assert pane["assistant_description"].strip()
    assert pane["suggested_prompts"] == prompts_for({"channel_id": "C1"})  # a thread's own, beside a channel
    assert features["app_home"]["messages_tab_enabled"] is True  # the pane's threads are the app's DMs

"""What Discord refuses in a message body, as its API documents the limits, for the fake REST API
(:mod:`tests.fakes.discord`): components v2 without content, embeds or poll, at most 40 components and 4,000
characters of text displays; content up to 2,000 characters; polls of 1-10 answers up to 55 characters, sent
only with the Send Polls permission."""

from __future__ import annotations

from typing import Any

SEND_POLLS = 1 << 49
IS_COMPONENTS_V2 = 1 << 15
BUTTON, SECTION, TEXT_DISPLAY = 2, 9, 10


def walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component, nested ones included (rows' and containers' children, sections' accessories)."""
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        found += walk(list(component.get("components") or []))
        if isinstance(component.get("accessory"), dict):
            found += walk([component["accessory"]])
    return found


def refused_message(body: dict[str, Any], bot_permissions: int) -> dict[str, Any] | None:
    """Discord's error for a message body it refuses (as its API documents the limits), else None."""
    components = walk(list(body.get("components") or []))
    if int(body.get("flags") or 0) & IS_COMPONENTS_V2:
        if body.get("content") or body.get("embeds") or body.get("poll"):
            return {"message": "Invalid Form Body: content, embeds and poll can't be used with components v2",
                    "code": 50035}
        if len(components) > 40 or sum(len(c.get("content") or "") for c in components if
                                       c.get("type") == TEXT_DISPLAY) > 4000:
            return {"message": "Invalid Form Body: too many components or characters", "code": 50035}
    elif len(str(body.get("content") or "")) > 2000:
        return {"message": "Invalid Form Body: content longer than 2000", "code": 50035}
    poll = body.get("poll")
    if poll is not None:
        answers = poll.get("answers") or []
        if not 1 <= len(answers) <= 10 or any(len(a["poll_media"]["text"]) > 55 for a in answers) or \
                len(poll["question"]["text"]) > 300:
            return {"message": "Invalid Form Body: poll", "code": 50035}
        if not bot_permissions & SEND_POLLS:
            return {"message": "Missing Permissions", "code": 50013}
    return None

"""A channel's guidance (agent/guidance.py) as each backend stores it: instructions and knowledge folders round-trip,
cleared values and damaged ones read as none, and /forget takes them with the channel."""

from __future__ import annotations

from agent.guidance import INSTRUCTIONS, KNOWLEDGE, MAX_INSTRUCTIONS_CHARS, Guidance, read_guidance
from agent.storage.ports import Storage

KEY = "slack:T1:C1"


async def test_guidance_round_trips_and_damaged_values_read_as_none(store: Storage) -> None:
    assert await read_guidance(store.channel_settings, KEY) == Guidance()
    text = "Réponds en français 🇫🇷.\n\tFocus on invoices."
    await store.channel_settings.set(KEY, INSTRUCTIONS, text)
    await store.channel_settings.set(KEY, KNOWLEDGE, ["billing", "legal/contracts", "team docs"])
    assert await read_guidance(store.channel_settings, KEY) == \
        Guidance(text, ("billing", "legal/contracts", "team docs"))
    assert await read_guidance(store.channel_settings, "slack:T1:C2") == Guidance()  # another channel's are its own
    await store.channel_settings.set(KEY, INSTRUCTIONS, None)
    await store.channel_settings.set(KEY, KNOWLEDGE, None)
    assert await read_guidance(store.channel_settings, KEY) == Guidance()
    # written by hand into the database: only what a command could have stored is used
    await store.channel_settings.set(KEY, INSTRUCTIONS, {"text": "x"})
    await store.channel_settings.set(KEY, KNOWLEDGE, ["../outside", "/etc", "billing", 5, "a//b", "a\\b", ""])
    assert await read_guidance(store.channel_settings, KEY) == Guidance("", ("billing",))
    await store.channel_settings.set(KEY, INSTRUCTIONS, "\u202e" + "y" * 5000)
    assert await read_guidance(store.channel_settings, KEY) == Guidance("y" * MAX_INSTRUCTIONS_CHARS, ("billing",))
    await store.messages.forget(KEY)
    assert await read_guidance(store.channel_settings, KEY) == Guidance()

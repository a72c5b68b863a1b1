"""The reactions Confab acts on: ❌ and its kin, a help channel's "not this one" (bot/pipeline/helpdesk.py).

Adapters deliver only these to the pipeline, so the many other reactions people add cost no lookup (a Slack
author, a Discord thread's parent)."""

from __future__ import annotations

# ❌ (Slack names it ``x``), ✖️ and 🙅 (``no_good``)
OPT_OUT = frozenset({"❌", "x", "✖️", "✖", "heavy_multiplication_x", "🙅", "no_good"})


def acted_on(emoji: str) -> bool:
    """Whether a reaction with ``emoji`` (a character, or Slack's name without colons) means anything to Confab."""
    return emoji in OPT_OUT

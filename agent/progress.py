"""How a running turn tells people what it is doing: the one progress interface the agent core owns.

The core and the tools call :func:`agent.context.report` with a short phase ("searching the docs…", "reading 240
messages…", "drawing…"); the platform side implements :class:`Progress` (a Slack thread status, a
typing indicator, nothing at all) and gets it to the turn in :attr:`agent.context.TurnContext.progress`.
A model that streams also hands over the answer as it is written (:meth:`Progress.partial`).
Reporting is fire and forget: an implementation never blocks the turn and never raises into it, and a
failing one is logged here and ignored.

Phases are lower-case verb phrases ending in "…", written for the person waiting; they never carry
text from a model, a document or a message (only counts and fixed words).
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)

THINKING = "thinking…"
READING_FILES = "reading the attached files…"


class Progress(Protocol):
    def phase(self, text: str) -> None:
        """What the turn is doing now; the latest phase replaces the one before."""

    def partial(self, text: str) -> None:
        """The answer as written so far (the whole text, not a delta), while a model streams it.

        A step that ends in tool calls instead of an answer is followed by :meth:`discard`."""

    def discard(self) -> None:
        """What :meth:`partial` showed was not the answer (the model went on to call tools)."""


def tell(progress: Progress | None, text: str) -> None:
    """``progress.phase(text)``, if there is one; a failure is logged, never raised."""
    if progress is None:
        return
    try:
        progress.phase(text)
    except Exception:  # showing progress is a nicety; the turn goes on
        log.exception("reporting progress failed")

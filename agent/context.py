"""Who and where the current agent turn is for, handed to tools without passing it through the model.

The agent core sets :data:`current_turn` before running tools; tasks inherit it (contextvars), so
a tool reads the channel it is working for and cannot be pointed at another one by model output.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from agent.files.model import AttachedFile
from agent.memory.models import StoredMessage
from agent.progress import Progress, tell
from agent.recall.access import ChannelAccess

HistoryFetcher = Callable[[datetime | None, int], Awaitable[list[StoredMessage]]]


@dataclass(frozen=True, slots=True)
class Viewed:
    """A channel the person asking may read, other than the one the turn answers in: the channel they are
    looking at while they ask from an assistant pane beside it. ``label`` names it for them."""

    channel_key: str
    label: str
    fetch_history: HistoryFetcher | None = None
    message_link: Callable[[str], str | None] | None = None


# looks the viewed channel up and checks, at the time of use, that the person asking (and the bot) can read
# it: the channel, or why it can't be read (a short reason that names nothing the person can't see), or None
# when the turn is not in such a pane after all (then "this channel" is the turn's own)
ViewedLookup = Callable[[], Awaitable["Viewed | str | None"]]


@dataclass(frozen=True, slots=True)
class TurnContext:
    channel_key: str
    platform: str
    author_id: str
    author_name: str
    thread: str | None = None
    is_admin: bool = False
    # the message this turn answers (already stored): conversation search never quotes the question as its answer
    message_id: str | None = None
    # reads the platform's history API (through the adapter) for what predates the bot's memory
    fetch_history: HistoryFetcher | None = None
    # builds a link to a message on the platform, where it has links
    message_link: Callable[[str], str | None] | None = None
    # shows what the turn is doing (and a streamed answer) where the platform can; see agent.progress
    progress: Progress | None = None
    # asked from a pane beside another channel: "this channel" means that one, read only through this lookup
    viewed: ViewedLookup | None = None
    # the files that came with the message answered (or its thread), read (agent/files); never another channel's
    files: tuple[AttachedFile, ...] = ()
    # which channels the asker may read, checked when conversation search runs (agent/recall/access.py)
    recall_access: ChannelAccess | None = None
    # set by the channel's admins (agent/guidance.py): instructions for the model, trusted below the safety
    # rules; and the knowledge folders searched (empty: all of them)
    instructions: str = ""
    knowledge_scope: tuple[str, ...] = ()


current_turn: ContextVar[TurnContext | None] = ContextVar("confab_current_turn", default=None)


def require_turn() -> TurnContext:
    turn = current_turn.get()
    if turn is None:
        raise RuntimeError("tool called outside an agent turn")
    return turn


def report(phase: str) -> None:
    """Tell whoever waits on the current turn what it is doing now ("searching the docs…"; see
    :mod:`agent.progress`); nothing outside a turn, and never an error."""
    turn = current_turn.get()
    tell(turn.progress if turn is not None else None, phase)

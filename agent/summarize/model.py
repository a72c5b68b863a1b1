"""The values a summary is made of. Every point keeps the ids of the messages it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_MESSAGES = 20_000  # a summary never reads more than this many messages


@dataclass(frozen=True, slots=True)
class Point:
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionItem:
    owner: str  # a participant's name, or "team" ("remind us to …")
    text: str  # the task, without its due date
    sources: tuple[str, ...] = ()  # the message that set it, then any that took it on ("will do")
    due: str | None = None  # as said: "Friday", "tomorrow morning", "EOD", "before the 3.2 release"
    asked_by: str | None = None  # who asked the owner; None when owners said it themselves

    def describe(self) -> str:
        """E.g. "Take the migration — due tomorrow morning (asked by alice)"."""
        text = self.text + ((f" — {self.due}" if self.due.startswith("not ") else f" — due {self.due}")
                            if self.due else "")
        return text + (f" (asked by {self.asked_by})" if self.asked_by and self.asked_by != self.owner else "")


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of the conversation the summary read, stated in every summary."""

    messages: int
    people: int
    start: datetime | None = None
    end: datetime | None = None
    available: int | None = None  # messages in scope before the MAX_MESSAGES bound
    left_out_bot: int = 0
    from_platform: int = 0  # messages that came from the platform's history API, not memory
    notes: tuple[str, ...] = ()

    @property
    def truncated(self) -> bool:
        return self.available is not None and self.available > self.messages

    def describe(self) -> str:
        """E.g. "1,240 messages from 14 people, 09:00–17:30"."""
        people = f"{self.people} {'person' if self.people == 1 else 'people'}"
        noun = "message" if self.messages == 1 else "messages"
        text = f"{self.messages:,} {noun} from {people}"
        if self.start and self.end:
            same_day = self.start.date() == self.end.date()
            fmt_start = "%H:%M" if same_day else "%b %d %H:%M"
            fmt_end = "%H:%M" if same_day else "%b %d %H:%M"
            day = f"{self.start:%b %d}, " if same_day else ""
            text += f", {day}{self.start.strftime(fmt_start)}–{self.end.strftime(fmt_end)} UTC"
        if self.truncated:
            text += (f" (the newest {self.messages:,} of {self.available:,} messages in scope; "
                     f"older ones were not read)")
        return text


@dataclass(slots=True)
class Summary:
    tldr: str
    tldr_sources: tuple[str, ...] = ()  # the messages the TL;DR retells (its decision among them)
    key_points: list[Point] = field(default_factory=list)
    decisions: list[Point] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    open_questions: list[Point] = field(default_factory=list)
    participants: list[tuple[str, int]] = field(default_factory=list)  # (name, messages), most active first
    mood: str = "mood unavailable"
    coverage: Coverage = field(default_factory=lambda: Coverage(0, 0))
    method: str = "offline"  # "offline" (extractive) or "llm"
    model_calls: int = 0
    tokens: int = 0
    numbers: dict[str, int] = field(default_factory=dict)  # message id -> its number in the window (1-based)
    more: dict[str, int] = field(default_factory=dict)  # e.g. {"action items": 12} not listed (older ones)

    @property
    def empty(self) -> bool:
        return self.coverage.messages == 0

    def plain_text(self) -> str:
        """The summary's prose (TL;DR and key points) as one plain string, e.g. for scoring."""
        parts = [self.tldr] + [p.text for p in self.key_points if p.text not in self.tldr]
        return " ".join(part.strip() for part in parts if part.strip())

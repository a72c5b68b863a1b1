"""The console's small pretend workspace: channels, people, numbered messages and threads.

Pure state and parsing, no I/O: a typed line becomes an action (a message, a command for the bot,
or a console control such as ``/join`` or ``/as``).
"""

from __future__ import annotations

import mimetypes
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.events import Attachment, Author, ChannelRef, Command, IncomingMessage
from bot.text import without_lone_surrogates

PLATFORM = "console"
WORKSPACE = "local"
CONSOLE_COMMANDS = {
    "join": "/join #name: switch to (or create) a channel",
    "as": "/as name [admin|member|guest]: speak as someone else (an admin may run admin commands, and stays one; "
          "a guest is a stranger to the spam screen)",
    "reply": "/reply N text: answer message N in its thread (also: >N text)",
    "dm": "/dm: a direct conversation with the bot (/join #general to go back)",
    "channels": "/channels: list channels",
    "attach": "/attach PATH: a file on this machine goes with your next message (text, code, logs, PDF, images)",
    "rate": "/rate up|down [N]: 👍 or 👎 my answer N (default: my last answer here); the same again takes it back",
    "react": "/react N EMOJI: react to message N, e.g. /react 12 ❌ (a help channel's opt-out)",
    "quit": "/quit: leave (also Ctrl-D)",
}
_REPLY_SHORT = re.compile(r"^>(\d+)(?:\s+(.*))?$", re.S)  # ">12" alone: a reply with nothing in it, not a message
_NAME = re.compile(r"^[\w.\-]{1,40}$")


@dataclass(frozen=True, slots=True)
class Say:
    message: IncomingMessage


@dataclass(frozen=True, slots=True)
class RunCommand:
    command: Command


@dataclass(frozen=True, slots=True)
class Control:
    text: str  # what the console prints back
    quit: bool = False


@dataclass(frozen=True, slots=True)
class Rate:
    """``/rate up|down [N]``: a vote on the bot's answer numbered N (None: its last answer here)."""

    value: str  # "up" or "down"
    number: str | None


@dataclass(frozen=True, slots=True)
class React:
    """``/react N EMOJI``: the current user reacts to message N of the current channel."""

    number: str
    emoji: str


Action = Say | RunCommand | Control | Rate | React
REACT_USAGE = "Usage: /react N EMOJI, e.g. /react 12 ❌ (N: the message's number)"
RATE_USAGE = "Usage: /rate up|down [N], e.g. /rate up or /rate down 12 (N: the number of my answer)"
_RATE_VALUES = {"up": "up", "+1": "up", "+": "up", "👍": "up", "down": "down", "-1": "down", "-": "down", "👎": "down"}


@dataclass
class Workspace:
    bot_name: str = "confab"
    user: str = "you"
    admins: set[str] = field(default_factory=lambda: {"you"})  # who was made admin with /as NAME admin
    guests: set[str] = field(default_factory=set)  # who was made a guest with /as NAME guest (a stranger to the screen)
    channel: str = "general"
    channels: set[str] = field(default_factory=lambda: {"general"})
    counter: int = 0
    thread_of: dict[str, str | None] = field(default_factory=dict)  # message number -> thread root number
    # a command's number -> the thread its answer opened (``/brainstorm`` as [1], the bot's post [2] opens thread 2)
    opened: dict[str, str] = field(default_factory=dict)
    channel_of: dict[str, str] = field(default_factory=dict)  # message number -> its channel
    # ids stay unique across runs (memory dedupes by id); people see the short numbers
    session: str = field(default_factory=lambda: format(time.time_ns() // 1000, "x"))
    attaching: list[Attachment] = field(default_factory=list)  # files for the next message (``/attach PATH``)

    @property
    def is_direct(self) -> bool:
        return self.channel.startswith("dm-")

    def ref(self, thread: str | None = None) -> ChannelRef:
        """``thread`` is a root message number; the ref carries its session-unique id."""
        return ChannelRef(PLATFORM, WORKSPACE, self.channel, self.id_of(thread) if thread else None)

    def id_of(self, number: str) -> str:
        return f"{self.session}.{number}"

    def number_of(self, message_id: str | None) -> str | None:
        if message_id is None:
            return None
        return message_id.removeprefix(f"{self.session}.")

    @property
    def admin(self) -> bool:
        return self.user in self.admins

    def author(self) -> Author:
        return Author(id=self.user, name=self.user, is_admin=self.admin, is_guest=self.user in self.guests)

    def next_number(self, thread: str | None, channel: str | None = None) -> str:
        """The next message's number, in ``thread`` of ``channel`` (default: the current channel)."""
        self.counter += 1
        number = str(self.counter)
        self.thread_of[number] = thread
        self.channel_of[number] = channel or self.channel
        return number

    def elsewhere(self, number: str) -> Control | None:
        """Message ``number`` is in another channel: what to do instead of answering it from here (the reply
        would open a thread under a message this channel doesn't have)."""
        there = self.channel_of.get(number, self.channel)
        if there == self.channel:
            return None
        place = (f"#{there} (/join #{there})" if not there.startswith("dm-") else
                 f"your DM with @{self.bot_name} (/dm)" if there == f"dm-{self.user}" else f"{there[3:]}'s DM")
        return Control(f"[{number}] is in {place}; go there first, then reply with >{number}.")

    def answered(self, command: str, posts: list[str]) -> None:
        """The bot posted ``posts`` answering command number ``command`` in the channel: when its one post there
        opened a thread (the ``/brainstorm`` post, its seeds in the thread), a reply to the command line goes to
        that thread, as on Discord, where the command and the post that answers it are one message."""
        top = [p for p in posts if self.thread_of.get(p, "") is None]
        if len(top) == 1 and any(self.thread_of.get(p) == top[0] for p in posts) \
                and not any(root == command for root in self.thread_of.values()):
            self.opened[command] = top[0]

    def label(self) -> str:
        return f"@{self.bot_name} (DM)" if self.is_direct else f"#{self.channel}"

    def parse(self, line: str) -> Action | None:
        line = without_lone_surrogates(line.rstrip("\n"))  # undecodable terminal bytes arrive as surrogates
        if not line.strip():
            return None
        if match := _REPLY_SHORT.match(line.strip()):
            return self._reply(match.group(1), match.group(2) or "")
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            return self._command(name.lower(), args.strip())
        return Say(self._message(line, thread=None))

    def _command(self, name: str, args: str, thread: str | None = None) -> Action:
        if name in ("quit", "exit"):
            return Control("Bye!", quit=True)
        if name == "join":
            channel = args.lstrip("#").strip().lower()
            if not _NAME.match(channel):
                return Control("Usage: /join #channel-name")
            self.channels.add(channel)
            dropped = self._drop_attached(user=self.user, channel=channel)
            self.channel = channel
            return Control(f"You are now in #{channel}.{dropped}")
        if name == "as":
            parts = args.split()
            role = parts[1].lower() if len(parts) > 1 else None
            if not parts or not _NAME.match(parts[0]) or role not in (None, "admin", "member", "guest"):
                return Control("Usage: /as name [admin|member|guest]")
            dropped = self._drop_attached(user=parts[0], channel=self.channel)
            self.user = parts[0]
            if role == "admin":  # the team's admins stay admins when you speak as them again ("/as alice")
                self.admins.add(self.user)
                self.guests.discard(self.user)
            elif role == "member":
                self.admins.discard(self.user)
                self.guests.discard(self.user)
            elif role == "guest":
                self.admins.discard(self.user)
                self.guests.add(self.user)
            status = " (admin)" if self.admin else " (guest)" if self.user in self.guests else ""
            return Control(f"You are now {self.user}{status}.{dropped}")
        if name == "dm":
            dropped = self._drop_attached(user=self.user, channel=f"dm-{self.user}")
            self.channel = f"dm-{self.user}"
            return Control(f"Direct conversation with @{self.bot_name}. /join #general to go back.{dropped}")
        if name == "attach":
            return self._attach(args)
        if name == "channels":
            return Control("Channels: " + ", ".join(f"#{c}" for c in sorted(self.channels)))
        if name == "reply":
            number, _, text = args.partition(" ")
            return self._reply(number, text)
        if name == "rate":
            words = args.split()
            value = _RATE_VALUES.get(words[0].lower()) if words else None
            if value is None or len(words) > 2 or (len(words) == 2 and not words[1].lstrip("[").rstrip("]").isdigit()):
                return Control(RATE_USAGE)
            return Rate(value, words[1].lstrip("[").rstrip("]") if len(words) == 2 else None)
        if name == "react":
            words = args.split()
            if len(words) != 2 or not words[0].lstrip("[").rstrip("]").isdigit() or len(words[1]) > 32:
                return Control(REACT_USAGE)
            number = words[0].lstrip("[").rstrip("]")
            if number not in self.thread_of:  # "alice reacted ❌ to [999]" for a message that never was
                return Control(f"There is no message {number} to react to.")
            return self.elsewhere(number) or React(number, words[1])
        return RunCommand(Command(name=name, args=args, channel=self.ref(thread), author=self.author(),
                                  id=self.id_of(self.next_number(thread)), is_direct=self.is_direct))

    def _attach(self, args: str) -> Control:
        """``/attach PATH``: the file goes with the next message (read when that message is answered)."""
        if not args:
            return Control("Usage: /attach PATH (the file goes with your next message)")
        path = Path(args.strip().strip("'\"")).expanduser().absolute()
        if not path.is_file():
            return Control(f"There is no file at {path}.")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.attaching.append(Attachment(path.name, mime=mime, url=path.as_uri(), size=path.stat().st_size))
        return Control(f"{path.name} will go with your next message.")

    def _reply(self, number: str, text: str) -> Action:
        if number not in self.thread_of:
            return Control(f"There is no message {number} to reply to.")
        if (away := self.elsewhere(number)) is not None:
            return away
        if not text.strip():
            return Control("Usage: >N your reply")
        root = self.thread_of[number] or self.opened.get(number) or number
        if text.startswith("/"):  # a command inside the thread, as on Discord (``/brainstorm wrap``)
            name, _, args = text[1:].partition(" ")
            return self._command(name.lower(), args.strip(), thread=root)
        return Say(self._message(text, thread=root))

    def _message(self, text: str, thread: str | None) -> IncomingMessage:
        mentions = re.search(rf"(?i)(^|\W)@{re.escape(self.bot_name)}\b", text) is not None
        return IncomingMessage(
            id=self.id_of(self.next_number(thread)), channel=self.ref(thread), author=self.author(), text=text,
            mentions_bot=mentions, is_direct=self.is_direct, created_at=datetime.now(UTC),
            mentions_everyone=re.search(r"@(everyone|here)\b", text) is not None,
            mention_count=len(re.findall(r"@\w+", text)), attachments=self._take_attached(),
        )

    def _drop_attached(self, user: str, channel: str) -> str:
        """Files attached for the next message belong to the person who attached them, in that place (as a file
        in a Slack or Discord composer does): speaking as someone else or moving elsewhere drops them, said."""
        if not self.attaching or (user, channel) == (self.user, self.channel):
            return ""
        names = ", ".join(file.filename for file in self.attaching)
        self.attaching = []
        return f" ({names}, attached by {self.user} in {self.label()}, was not sent.)"

    def _take_attached(self) -> tuple[Attachment, ...]:
        files, self.attaching = tuple(self.attaching), []
        return files

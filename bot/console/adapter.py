"""The console adapter: a terminal chat with Confab (``confab chat``), and the offline demo.

Interactive in a terminal (rich), scriptable from a pipe: when stdin is not a terminal each line
is processed in order, so ``printf '@confab hi\\n' | confab chat`` prints the answer and exits.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from rich.console import Console
from rich.markdown import Markdown

from bot import messages as say
from bot.adapter import Capabilities, EventHandler, HandlesReactions, Outgoing
from bot.console.workspace import CONSOLE_COMMANDS, Control, Rate, React, RunCommand, Say, Workspace
from bot.downloads import copy_local
from bot.errors import FileRefused
from bot.events import Attachment, Author, ChannelRef, Command, IncomingMessage, Reaction, Reply, SentRef, Vote
from bot.pings import pinged_text
from bot.recall_access import ConsoleAccess

_SAFE_FILE = re.compile(r"[^\w.\-]+")
# what a terminal would act on instead of showing (ESC opens a sequence that can set the title, move the cursor or
# rewrite what was printed; rich drops BEL and BS but passes ESC): shown escaped, "\x1b"
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` as the console prints it: control characters from documents, models and other people's messages
    shown escaped, never acted on by the terminal; new lines and tabs kept."""
    return _TERMINAL_CONTROL.sub(lambda match: f"\\x{ord(match.group(0)):02x}", text)
T = TypeVar("T")


class ConsoleAdapter:
    name = "console"
    capabilities = Capabilities(max_chars=100_000, threads=True, files=True, ephemeral=True, reactions=True,
                                history=False, delete=True, timeout=False)

    def __init__(self, data_dir: Path, bot_name: str = "confab", user: str = "you",
                 stdin: IO[str] | None = None, console: Console | None = None) -> None:
        self.workspace = Workspace(bot_name=bot_name, user=user, admins={user})  # the one at the keyboard
        self.images_dir = data_dir / "images"
        self.stdin = stdin or sys.stdin
        interactive = self.stdin.isatty()
        self.console = console or Console(highlight=False, soft_wrap=True,
                                          force_terminal=None if interactive else False)
        self.interactive = interactive
        self.ready = asyncio.Event()
        self._closed = False
        self._last_rated: dict[str, str] = {}  # channel -> the number of the bot's last answer there (for /rate)
        self._rateable: set[str] = set()  # the numbers of every answer that can be rated, in any channel
        self._reading: asyncio.Future[str] | None = None

    # --- input loop ---------------------------------------------------------------------

    async def start(self, inbox: EventHandler, outbox: Outgoing) -> None:
        outbox.attach(self)
        self.ready.set()
        if self.interactive:
            self.console.print(f"[bold]Confab[/bold] console. You are [cyan]{self.workspace.user}[/cyan] in "
                               f"[green]#general[/green]. Mention [bold]@{self.workspace.bot_name}[/bold] to ask; "
                               "/help for commands; Ctrl-D to quit.")
        while not self._closed:
            line = await self._read_line()
            if line is None:
                break
            if not await self.process_line(line, inbox, outbox):
                break

    async def _read_line(self) -> str | None:
        if self.interactive:
            ws = self.workspace
            prompt = f"[{ws.counter + 1}] {ws.user}@{ws.label()}> "  # the number your message will get
            try:
                return await self._read(self.console.input, prompt)
            except (EOFError, KeyboardInterrupt):
                return None
        line = await self._read(self.stdin.readline)
        return line or None

    async def _read(self, read: Callable[..., str], *args: str) -> str | None:
        """One line read in a daemon thread: a stop (:meth:`stop`) abandons the read, and a thread left
        waiting for a line that never comes does not keep the process alive."""
        self._reading = in_daemon_thread(read, *args)
        try:
            return await self._reading
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closed and task is not None and not task.cancelling():
                return None  # stop() abandoned the read
            raise
        finally:
            self._reading = None

    def stop(self) -> None:
        """Read no further line (SIGTERM, Ctrl-C); the line being answered finishes."""
        self._closed = True
        if self._reading is not None:
            self._reading.cancel()

    async def process_line(self, line: str, inbox: EventHandler, outbox: Outgoing) -> bool:
        """Handle one typed line; returns False when the user quits."""
        ws = self.workspace
        action = ws.parse(line)
        if action is None:
            return True
        if isinstance(action, Control):
            self._note(action.text)
            return not action.quit
        if isinstance(action, Rate):
            await self._rate(action, inbox)
            return True
        if isinstance(action, React):
            if isinstance(inbox, HandlesReactions):
                ws = self.workspace
                await inbox.handle_reaction(Reaction(ws.ref(), ws.id_of(action.number), action.emoji, ws.author()))
            self._note(f"{self.workspace.user} reacted {action.emoji} to [{action.number}].")
            return True
        if isinstance(action, RunCommand):
            if not self.interactive:
                self._echo_command(action.command)
            elif action.command.channel.thread:
                self._note(f"(in thread {ws.number_of(action.command.channel.thread)})")
            if action.command.name == "help":  # after the line it answers
                self._note("Console: " + "; ".join(CONSOLE_COMMANDS.values()))
            for reply in await inbox.handle_command(action.command):
                await outbox.send(reply)
            if not action.command.channel.thread:
                number = ws.number_of(action.command.id) or ""
                ws.answered(number, [str(n) for n in range(int(number) + 1, ws.counter + 1)] if number else [])
            return True
        assert isinstance(action, Say)
        if not self.interactive:
            self._echo(action.message)
        elif action.message.channel.thread:
            self._note(f"(in thread {ws.number_of(action.message.channel.thread)})")
        await inbox.handle_message(action.message)
        return True

    async def _rate(self, rate: Rate, inbox: EventHandler) -> None:
        """``/rate up|down [N]``: a vote on answer N (default: the last answer here), as the current user."""
        ws = self.workspace
        number = rate.number or self._last_rated.get(ws.channel)
        if number is None:
            self._note("There is no answer of mine here to rate yet.")
            return
        if number not in self._rateable:  # a person's message, a note, or a number not shown yet: no answer to find
            last = self._last_rated.get(ws.channel)
            self._note(f"[{number}] is not one of my answers. "
                       + (f"My last answer here is [{last}]: `/rate up {last}`." if last else
                          "There is no answer of mine here to rate yet."))
            return
        self._note(await inbox.handle_vote(Vote(ws.ref(), ws.id_of(number), ws.author(), rate.value)))

    # --- output -------------------------------------------------------------------------

    def _echo(self, message: IncomingMessage) -> None:
        ws = self.workspace
        where = self._thread_tag(message.channel)
        self.console.print(terminal_safe(f"[{ws.number_of(message.id)}] {where}{message.author.name}: {message.text}"),
                           markup=False)

    def _echo_command(self, command: Command) -> None:
        ws = self.workspace
        typed = f"/{command.name} {command.args}".strip()
        self.console.print(terminal_safe(f"[{ws.number_of(command.id) or ''}] {self._thread_tag(command.channel)}"
                                         f"{ws.user}: {typed}"), markup=False)

    def _thread_tag(self, channel: ChannelRef) -> str:
        return f"(thread {self.workspace.number_of(channel.thread)}) " if channel.thread else ""

    def _note(self, text: str) -> None:
        self.console.print(f"[dim]{text}[/dim]" if self.interactive else f"* {text}",
                           markup=self.interactive)

    async def send(self, reply: Reply) -> SentRef:
        ws = self.workspace
        thread = ws.number_of(reply.channel.thread)
        number = ws.next_number(thread, reply.channel.channel)
        where = "" if reply.channel.channel == self.workspace.channel else f"#{reply.channel.channel} "
        where += f"(thread {thread}) " if thread else ""
        private = "(only you can see this) " if reply.ephemeral else ""
        header = f"[{number}] {where}{private}{self.workspace.bot_name}:"
        text = terminal_safe(pinged_text(self.name, reply.text, reply.mention_group))  # a help channel's helper group
        if self.interactive:
            self.console.print(f"[bold magenta]{header}[/bold magenta]", markup=True)
            self.console.print(Markdown(_hard_breaks(text)))
        else:
            self.console.print(f"{header} {text}", markup=False)
        if reply.rated is not None:
            self._last_rated[reply.channel.channel] = number
            self._rateable.add(number)
            if self.interactive:
                self._note(f"rate it: /rate up {number} or /rate down {number}")
        for attachment in reply.attachments:
            path = self._save(attachment.filename, attachment.data)
            self._note(f"image saved: {path}" + (f" ({attachment.alt_text})" if attachment.alt_text else ""))
        return SentRef(reply.channel, ws.id_of(number))

    def _save(self, filename: str, data: bytes) -> Path:
        self.images_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.images_dir / f"{stamp}-{_SAFE_FILE.sub('_', Path(filename).name)[:80] or 'image.png'}"
        path.write_bytes(data)
        return path

    async def fetch_history(self, channel: ChannelRef, since: datetime | None = None,
                            limit: int = 200) -> list[IncomingMessage]:
        return []  # everything said in the console is already in memory

    async def fetch_file(self, attachment: Attachment, *, max_bytes: int) -> Path:
        """A file ``/attach PATH`` named on this machine, copied to a private folder with the same caps."""
        if not attachment.url or not attachment.url.startswith("file://"):
            raise FileRefused(say.FILE_NO_LINK)
        return await copy_local(Path(url2pathname(urlsplit(attachment.url).path)), attachment, max_bytes)

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None:
        self._note(f"{self.workspace.bot_name} reacted :{emoji}: to [{self.workspace.number_of(message_id)}]")

    async def delete(self, channel: ChannelRef, message_id: str) -> None:
        self._note(f"[{self.workspace.number_of(message_id)}] was removed by moderation")

    async def delete_own(self, channel: ChannelRef, message_id: str) -> None:
        """A help channel's automatic answer, hidden at the asker's request."""
        self._note(f"[{self.workspace.number_of(message_id)}] was hidden")

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None:
        self._note(f"{user_id} was timed out for {seconds // 60} min")

    def message_link(self, channel: ChannelRef, message_id: str) -> str | None:
        return None

    def message_label(self, channel: ChannelRef, message_id: str) -> str | None:
        """The number this console shows the message under (``[12]``); None for an earlier session's."""
        number = self.workspace.number_of(message_id)
        return f"[{number}]" if number and number.isdigit() else None

    def recall_access(self, author: Author, here: ChannelRef) -> ConsoleAccess:
        """Conversation search's access check: the whole console, but another name's DM (bot/recall_access.py)."""
        return ConsoleAccess(self, author.id)

    async def close(self, grace_s: float = 0.0) -> None:
        self._closed = True


def in_daemon_thread(call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """``call(*args)`` in a daemon thread, as a future of this loop (asyncio.to_thread's threads are joined at
    exit, so one blocked on a terminal or a pipe held the process until a line came)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(result)

    def run() -> None:
        try:
            result, error = call(*args), None
        except BaseException as exc:  # EOFError, KeyboardInterrupt: the reader's to judge
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop is closed: nobody waits for this line any more
            pass

    threading.Thread(target=run, name="confab-console-input", daemon=True).start()
    return future


def _hard_breaks(text: str) -> str:
    """Chat text uses single newlines as line breaks; Markdown needs them marked (outside code)."""
    out, in_code = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        out.append(line if in_code or not line.strip() else line + "  ")
    return "\n".join(out)

"""The offline default end to end: a real ``confab chat`` process with piped stdin."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.console.workspace import Control, RunCommand, Say, Workspace
from tests.fakes.openai_server import text_reply
from tests.fakes.waiting import until

CONFAB = Path(sys.executable).with_name("confab")


def run_chat(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFAB_", "OPENAI_", "SLACK_", "DISCORD_"))}
    env.update(CONFAB_DATA_DIR=str(tmp_path / "data"), CONFAB_KNOWLEDGE_DIR=str(tmp_path / "kb"),
               CONFAB_KNOWLEDGE_WATCH="false", HF_HUB_OFFLINE="1")
    (tmp_path / "kb").mkdir(exist_ok=True)
    command = [str(CONFAB)] if CONFAB.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run([*command, "chat", "--user", "alice"], input=script, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_piped_console_session(tmp_path: Path) -> None:
    script = "\n".join([
        "@confab hi",
        "the deploy runbook lives in the ops wiki",
        "/as bob",
        ">3 thanks, and the staging password rotates weekly",
        "/join #random",
        "/channels",
        "/nonsense",
        ">5 /help",
        "@confab",
        "/quit",
        "@confab never reached",
    ]) + "\n"
    result = run_chat(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] alice: @confab hi" in out
    assert "[2] confab: Hi! I'm confab" in out
    assert "You are now bob." in out
    assert "[4] (thread 3) bob: thanks" in out
    assert "You are now in #random." in out and "#general, #random" in out
    assert "don't know the command `/nonsense`" in out
    assert "[7] (thread 5) bob: /help" in out and "[8] (thread 5) (only you can see this) confab: **confab**" in out
    assert out.index("[7] (thread 5) bob: /help") < out.index("* Console: /join") < out.index("[8] (thread 5)")
    assert "never reached" not in out
    assert (tmp_path / "data" / "confab.db").exists()
    assert "Traceback" not in result.stderr


def test_memory_survives_restart(tmp_path: Path) -> None:
    run_chat(tmp_path, "we ship on fridays after the retro\n")
    out = run_chat(tmp_path, "@confab when do we ship?\n").stdout
    assert "Earlier in this channel" in out and "we ship on fridays" in out


def test_workspace_parsing() -> None:
    ws = Workspace()
    first = ws.parse("@confab hi there")
    assert isinstance(first, Say) and first.message.mentions_bot and ws.number_of(first.message.id) == "1"
    reply = ws.parse(">1 in thread")
    assert isinstance(reply, Say) and reply.message.channel.thread == first.message.id
    nested = ws.parse(">2 deeper")
    assert isinstance(nested, Say) and nested.message.channel.thread == first.message.id
    assert isinstance(ws.parse(">99 nope"), Control)
    empty = ws.parse(">2")  # was said to the channel as the text ">2"
    assert isinstance(empty, Control) and empty.text == "Usage: >N your reply" and ws.counter == 3
    cmd = ws.parse("/summarize last 50")
    assert isinstance(cmd, RunCommand) and cmd.command.name == "summarize" and cmd.command.args == "last 50"
    assert cmd.command.channel.thread is None
    in_thread = ws.parse(">2 /brainstorm wrap")  # a command run inside the thread, as on Discord
    assert isinstance(in_thread, RunCommand) and in_thread.command.name == "brainstorm"
    assert in_thread.command.args == "wrap" and in_thread.command.channel.thread == first.message.id
    assert ws.parse("   ") is None
    assert isinstance(ws.parse("/join bad name!"), Control)
    dm = ws.parse("/dm")
    assert isinstance(dm, Control) and ws.is_direct
    said = ws.parse("hello")
    assert isinstance(said, Say) and said.message.is_direct


def test_a_reply_to_the_command_that_opened_a_thread_lands_in_that_thread(tmp_path: Path) -> None:
    """A newcomer answered their own ``[1] /brainstorm …`` line with ``>1`` instead of the bot's ``[2]`` that opened
    the brainstorm: the ideas landed in a thread of their own and ``>1 /brainstorm wrap`` said "This isn't a
    brainstorm thread". A command whose answer opened no thread keeps its own number."""
    script = "\n".join([
        "/brainstorm names for the new billing service",
        ">1 how about Northstar?",
        "/as bob",
        ">1 Ledger, short and about money",
        ">1 /brainstorm wrap",
        "/help",
        ">8 thanks",
    ]) + "\n"
    result = run_chat(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[2] confab: 🧠 **Brainstorm: names for the new billing service**" in out
    assert "[4] (thread 2) alice: how about Northstar?" in out and "[5] (thread 2) bob: Ledger" in out
    assert "[6] (thread 2) bob: /brainstorm wrap" in out and "isn't a brainstorm thread" not in out
    wrap = out.split("[7] (thread 2) confab:")[1]
    assert "Northstar" in wrap and "Ledger" in wrap
    assert "[10] (thread 8) bob: thanks" in out  # /help [8] is answered in the channel: no thread opened


def test_a_reply_to_a_command_goes_to_the_one_thread_its_answer_opened() -> None:
    ws = Workspace()
    opened = ws.parse("/brainstorm names")
    assert isinstance(opened, RunCommand)
    root, seeds = ws.next_number(None), ws.next_number("2")  # the bot's post, and its seeds in the thread it opened
    ws.answered("1", [root, seeds])
    reply = ws.parse(">1 how about Northstar?")
    assert isinstance(reply, Say) and reply.message.channel.thread == ws.id_of("2")
    asked = ws.parse("/ask what is confab?")
    assert isinstance(asked, RunCommand)
    ws.answered("5", [ws.next_number(None)])  # an answer in the channel, no thread: the command's own number
    thanks = ws.parse(">5 thanks")
    assert isinstance(thanks, Say) and thanks.message.channel.thread == ws.id_of("5")


def test_a_reply_to_a_message_of_another_channel_says_where_it_is() -> None:
    """In #random, ``>9`` to #general's message 9 was filed as a thread of #random under a message #random doesn't
    have, and the bot's answers there too. It now says where message 9 is; a reaction the same."""
    ws = Workspace()
    said = ws.parse("the deploy is done")
    assert isinstance(said, Say)
    answer = ws.next_number(None)  # the bot's answer, in #general
    ws.parse("/join #random")
    for line in (">1 nice", f">{answer} /brainstorm wrap", "/react 1 👍"):
        away = ws.parse(line)
        assert isinstance(away, Control) and away.text.startswith("[") and "#general (/join #general)" in away.text
    ws.parse("/dm")
    private = ws.parse("how do I reset my data?")
    assert isinstance(private, Say) and ws.number_of(private.message.id) == "3"
    ws.parse("/join #general")
    to_dm = ws.parse(">3 and my settings?")
    assert isinstance(to_dm, Control) and "your DM with @confab (/dm)" in to_dm.text
    reply = ws.parse(">1 nice")
    assert isinstance(reply, Say) and reply.message.channel.thread == ws.id_of("1")
    assert ws.number_of(reply.message.id) == "4"


def test_an_admin_stays_admin_when_you_speak_as_them_again() -> None:
    """``/as alice admin``, then ``/as bob``, then ``/as alice``: alice was still refused admin commands, told to
    become admin with the very command she had used."""
    ws = Workspace(user="you", admins={"you"})
    assert ws.author().is_admin
    for line, admin in (("/as alice admin", True), ("/as bob", False), ("/as alice", True), ("/as alice member", False),
                        ("/as alice", False), ("/as you", True)):
        said = ws.parse(line)
        assert isinstance(said, Control) and ws.author().is_admin is admin, line
        assert said.text.endswith("(admin).") is admin
    refused = ws.parse("/as alice boss")
    assert isinstance(refused, Control) and "Usage" in refused.text


async def test_sigterm_lets_the_answer_in_flight_finish_and_exits_0(tmp_path: Path, fake_openai: Any) -> None:
    """The console died at once on SIGTERM (exit -15): the answer being written was lost. It now stops reading,
    lets what is in flight finish and exits 0, without waiting for stdin to close."""
    fake_openai.chat.append(text_reply("the answer that was in flight", delay_s=3.0))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFAB_", "OPENAI_", "SLACK_", "DISCORD_"))}
    env.update(CONFAB_DATA_DIR=str(tmp_path / "data"), CONFAB_KNOWLEDGE_DIR=str(tmp_path / "none"),
               CONFAB_MODEL="openai:gpt-test", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake_openai.base_url,
               CONFAB_STREAM_ANSWERS="false", HF_HUB_OFFLINE="1")
    process = await asyncio.create_subprocess_exec(
        str(CONFAB), "chat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path)
    assert process.stdin is not None
    process.stdin.write(b"@confab what is the plan?\n")
    await process.stdin.drain()
    await until(lambda: fake_openai.requests_to("/v1/chat/completions"), 60, "the question to reach the model")
    process.send_signal(signal.SIGTERM)  # stdin stays open: the stop must not wait for it
    out, err = await _output(process)
    assert process.returncode == 0, err.decode()[-2000:]
    assert "the answer that was in flight" in out.decode() and b"Traceback" not in err


async def _output(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    assert process.stdout is not None and process.stderr is not None
    out, err, _ = await asyncio.wait_for(asyncio.gather(process.stdout.read(), process.stderr.read(), process.wait()),
                                         30)
    return out, err


def test_control_characters_are_shown_escaped_never_sent_to_the_terminal(tmp_path: Path) -> None:
    """An escape sequence in someone's message or in a document's text ("\\x1b]0;…" retitles the terminal,
    "\\x1b[2J" clears it) is printed escaped; rich drops BEL and BS, but passed ESC on as it was."""
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "deploy.md").write_text("# Deploy\n\nTo deploy, run \x1b]0;pwned\x07`make deploy` from the "
                                               "release branch.\n", encoding="utf-8")
    out = run_chat(tmp_path, "the screen \x1b[2J is clear\n@confab how do I deploy?\n").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "the screen \\x1b[2J is clear" in out and "make deploy" in out


def test_a_summary_of_another_channel_asked_elsewhere_says_where_to_ask(tmp_path: Path) -> None:
    """"can you summarise the #general channel for me?" in a DM summarized the DM ("nothing to summarize here")."""
    script = "\n".join(["the deploy is done", "/dm", "hey, can you summarise the #general channel for me?",
                        "/join #general", "@confab summarize #general"]) + "\n"
    out = run_chat(tmp_path, script).stdout
    assert "[3] confab: I summarize the conversation I'm asked in, so not #general from here: run `/summarize` in " \
           "#general" in out, out
    assert "[5] confab: **Summary of this channel" in out and "The deploy is done" in out, out  # named here: here


def test_reacting_to_a_message_that_never_was_says_so() -> None:
    """``/react 999 ❌`` printed "alice reacted ❌ to [999]." and passed the reaction on, for no message."""
    from bot.console.workspace import Control, React, Workspace

    ws = Workspace()
    ws.parse("hello")
    missing = ws.parse("/react 999 ❌")
    assert isinstance(missing, Control) and missing.text == "There is no message 999 to react to."
    assert isinstance(ws.parse("/react [1] ❌"), React)

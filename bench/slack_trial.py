"""A newcomer's trial over Slack: a transcript of what people post, played into the real ``confab run --platform
slack`` (HTTP mode, SQLite, offline unless a model is configured) against the fake Slack Web API, and what Confab
sent back printed under each line. Loopback only; nothing is asserted: it is for reading, as a new team would.

    python -m bench.slack_trial TRANSCRIPT [--data DIR] [--knowledge DIR]

Transcript lines (people: alice, an admin; bob, carol, dave; channels #general, #release, #secret (alice only)):

    alice: text                 a message in the current channel ("@confab" becomes the bot's mention)
    bob >3: text                a reply in the thread of post 3 (posts are numbered as printed, Confab's too)
    alice /confab settings      a slash command (Slack has /summarize, /ask, /imagine, /brainstorm, /recall,
                                /confab, /digest; the others are sent as "@confab /spam …")
    dm bob: text                a direct message to Confab (also ``dm bob /recall …``)
    alice ~1: new text          an edit of post 1;  ``bob -2`` deletes post 2
    #release                    the channel the next lines are posted in
    sleep 5                     wait

Each line waits until Confab is quiet (nothing new from it for 2 s, no thread status showing). Found this way
on 2026-12-01: the 16 bugs of that day's session note (follow-ups, open questions, the help channel, a summary
asked in a DM, brainstorms asked in a mention).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp

from bench.replicas import ROOT
from tests.fakes.slack import BOT_USER_ID, SECRET, TEAM_ID, FakeSlackAPI, command_form, event_body, free_port, sign
from tests.fakes.slack_pane import channel, im

PEOPLE = {"alice": "U0ALICE01", "bob": "U0BOB0001", "carol": "U0CAROL01", "dave": "U0DAVE001"}
CHANNELS = {"general": "C0GENERAL", "release": "C0RELEASE", "secret": "C0SECRET0"}
SHOWN = ("chat.postMessage", "chat.postEphemeral", "chat.update", "reactions.add", "chat.delete", "chat.startStream",
         "chat.stopStream")
QUIET_S = 2.0
_EDIT = re.compile(r"^(\w+) ([~-])(\d+)(?:: (.*))?$")
_SAY = re.compile(r"^(dm )?(\w+)(?: >(\d+))?(:| /)(.*)$")


def dm_of(user_id: str) -> str:
    return "D0" + user_id[2:9]


def fake_slack() -> FakeSlackAPI:
    api = FakeSlackAPI(keep_posts=True, page_size=200)
    for name, uid in PEOPLE.items():
        api.users[uid] = {"id": uid, "name": name, "is_admin": name == "alice", "profile": {"display_name": name}}
        api.channels[dm_of(uid)] = im(dm_of(uid), uid)
    everyone = list(PEOPLE.values())
    for name, cid in CHANNELS.items():
        api.channels[cid] = channel(cid, name, everyone if name != "secret" else [PEOPLE["alice"]],
                                    private=name == "secret")
    return api


class Trial:
    def __init__(self, api: FakeSlackAPI, session: aiohttp.ClientSession, url: str) -> None:
        self.api, self.session, self.url = api, session, url
        self.channel = CHANNELS["general"]
        self.posts: dict[int, tuple[str, str, str | None]] = {}  # number -> (channel, ts, thread root)
        self.numbers = itertools.count(1)
        self.seen = self.answered = self.responses = 0
        self.posted: list[dict[str, Any]] = []  # what the fake answered to chat.postMessage, in order

    async def deliver(self, body: str, content_type: str) -> int:
        async with self.session.post(self.url, data=body.encode(), headers={"Content-Type": content_type,
                                                                            **sign(SECRET, body)}) as response:
            return response.status

    async def line(self, line: str) -> None:
        if line.startswith("#"):
            self.channel = CHANNELS.get(line[1:].strip(), self.channel)
            print(f"\n== #{line[1:].strip()}")
            return
        if line.startswith("sleep "):
            await asyncio.sleep(float(line.split()[1]))
            return
        if (edit := _EDIT.match(line)) is not None:
            await self.edit(*edit.groups())
        elif (said := _SAY.match(line)) is not None:
            await self.say(bool(said.group(1)), said.group(2), said.group(3), said.group(4) == " /", said.group(5))
        else:
            print(f"\n(not understood: {line!r})")
            return
        await self.quiet()
        self.show()

    async def say(self, dm: bool, who: str, reply_to: str | None, command: bool, rest: str) -> None:
        uid = PEOPLE[who]
        where = dm_of(uid) if dm else self.channel
        if command:
            name, _, args = rest.partition(" ")
            form = {**command_form("/" + name, args, self.api.response_url(), user_id=uid), "channel_id": where}
            status = await self.deliver(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
            print(f"\n[{who}] /{name} {args}  (HTTP {status})")
            return
        ts = f"{time.time():.6f}"
        text = rest.strip().replace("@confab", f"<@{BOT_USER_ID}>")
        event: dict[str, Any] = {"type": "message", "channel": where, "user": uid, "text": text, "ts": ts,
                                 "event_ts": ts, "channel_type": "im" if dm else "channel", "team": TEAM_ID,
                                 "client_msg_id": f"m{ts}"}
        if reply_to is not None:
            _, root_ts, root = self.posts[int(reply_to)]
            event["thread_ts"] = root or root_ts
        number = next(self.numbers)
        self.posts[number] = (where, ts, event.get("thread_ts"))
        await self.deliver(json.dumps(event_body(event, f"Ev{ts.replace('.', '')}")), "application/json")
        if f"<@{BOT_USER_ID}>" in text and not dm:  # Slack sends both events for a mention
            mention = {**event, "type": "app_mention"}
            await self.deliver(json.dumps(event_body(mention, f"Ev{ts.replace('.', '')}m")), "application/json")
        thread = f" (in the thread of {reply_to})" if reply_to else ""
        print(f"\n({number}) {'DM ' if dm else ''}{who}{thread}: {rest.strip()}")

    async def edit(self, who: str, op: str, number: str, text: str | None) -> None:
        where, ts, root = self.posts[int(number)]
        uid, now = PEOPLE[who], f"{time.time():.6f}"
        before = {"type": "message", "user": uid, "text": "", "ts": ts}
        event: dict[str, Any] = {"type": "message", "channel": where, "hidden": True, "event_ts": now, "ts": now,
                                 "channel_type": "channel", "previous_message": before}
        if op == "~":
            event.update(subtype="message_changed", message={**before, "text": text or "", **(
                {"thread_ts": root} if root else {}), "edited": {"user": uid, "ts": now}})
        else:
            event.update(subtype="message_deleted", deleted_ts=ts)
        status = await self.deliver(json.dumps(event_body(event, f"Ev{op}{number}{now}")), "application/json")
        print(f"\n{who} {'edits' if op == '~' else 'deletes'} ({number}) {text or ''}  (HTTP {status})")

    async def quiet(self) -> None:
        """Until nothing new came from Confab for QUIET_S and no thread status shows it at work (60 s at most)."""
        last, calm, start = len(self.api.calls), 0.0, time.monotonic()
        while time.monotonic() - start < 60 and calm < QUIET_S:
            await asyncio.sleep(0.25)
            statuses = [c for c in self.api.calls[self.seen:] if c.method == "assistant.threads.setStatus"]
            working = bool(statuses) and bool(statuses[-1].params.get("status"))
            calm = 0.0 if len(self.api.calls) != last or working else calm + 0.25
            last = len(self.api.calls)

    def show(self) -> None:
        for call in self.api.calls[self.seen:]:
            p = call.params
            if call.method not in SHOWN:
                continue
            number = ""
            if call.method == "chat.postMessage" and (ts := self._posted_ts(p)) is not None:
                self.posts[n := next(self.numbers)] = (str(p.get("channel")), ts, p.get("thread_ts"))
                number = f" ({n})"
            text = p.get("text") or p.get("markdown_text") or p.get("name") or ""
            thread = f" in the thread of {p['thread_ts']}" if p.get("thread_ts") else ""
            print(f"   -> {call.method}{number}{thread}: {text}")
        self.seen = len(self.api.calls)
        for response in self.api.responses[self.responses:]:
            print(f"   -> the command's answer ({response.get('response_type')}): {response.get('text')}")
        self.responses = len(self.api.responses)

    def _posted_ts(self, params: dict[str, Any]) -> str | None:
        """The ts the fake gave the post (kept with its metadata in the channel's history or a thread)."""
        where = str(params.get("channel"))
        kept = self.api.replies.get((where, str(params["thread_ts"])), []) if params.get("thread_ts") \
            else self.api.history.get(where, [])
        fresh = [m for m in kept if m.get("ts") not in {ts for _, ts, _ in self.posts.values()}]
        return str(fresh[-1 if params.get("thread_ts") else 0]["ts"]) if fresh else None


async def run(lines: list[str], data: Path, knowledge: Path) -> None:
    """``data`` exists (made by :func:`main`)."""
    api = fake_slack()
    await api.start()
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_MODE": "http", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_HTTP_PORT": str(port), "SLACK_API_BASE_URL": api.base + "/api/", "CONFAB_DATA_DIR": str(data),
           "CONFAB_KNOWLEDGE_DIR": str(knowledge), "CONFAB_HELP_GRACE_S": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    with (data / "confab.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", "--platform", "slack",
                                                       env=env, stdout=log, stderr=log, cwd=data)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):  # the first start converts the local model
                try:
                    async with session.get(f"http://127.0.0.1:{port}/"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            trial = Trial(api, session, f"http://127.0.0.1:{port}/slack/events")
            for line in lines:
                await trial.line(line)
    finally:
        process.terminate()
        await process.wait()
        await api.stop()
    print(f"\nConfab's log: {data / 'confab.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("transcript", type=Path)
    parser.add_argument("--data", type=Path, default=None, help="CONFAB_DATA_DIR (default: a new temporary one)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="confab-slack-trial-"))
    data.mkdir(parents=True, exist_ok=True)
    lines = [line.strip() for line in args.transcript.read_text(encoding="utf-8").splitlines() if line.strip()]
    asyncio.run(run(lines, data, args.knowledge))


if __name__ == "__main__":
    main()

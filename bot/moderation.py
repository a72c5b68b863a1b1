"""Automatic spam flagging on every message, by per-channel policy.

Policies: ``off``; ``flag`` (a 🚩 reaction plus a note with the reasons and a link in the moderators'
channel); ``delete``; ``delete_timeout`` — the last two only where the platform allows it and the bot
has the right (adapter capabilities), else it falls back to flagging. Admins, exempt roles and
allow-listed people (a moderator's ``/spam not-spam``) are never screened. The screen never raises
and never blocks long: on an error or timeout the message is let through with a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from bot.events import ChannelRef, IncomingMessage, MessageEdit, Reply
from bot.text import neutralize_mentions

if TYPE_CHECKING:
    from agent.classify.service import Classification
    from agent.classify.spam import SpamResult
    from agent.services import Services
    from bot.adapter import Adapter

log = logging.getLogger(__name__)

SCREEN_TIMEOUT_S = 5.0
FLAG_EMOJI = "🚩"
NEW_MEMBER_S = 24 * 3600


class Moderator:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self._allowed: dict[str, set[str]] = {}  # workspace -> allow-listed author ids (cache)

    @property
    def classification(self) -> Classification:
        return self.services.features["classify"]  # type: ignore[no-any-return]

    async def warm_up(self) -> None:
        """Load the spam model before the platforms deliver messages, so the first one doesn't wait."""
        await self.classification.ready_spam()

    async def screen(self, message: IncomingMessage, adapter: Adapter | None) -> bool:
        """True when the message was flagged (it then never reaches the agent)."""
        try:
            async with asyncio.timeout(SCREEN_TIMEOUT_S):
                return await self._screen(message.channel, message.id, message.author, message.text, adapter,
                                          new_member=_is_new(message))
        except TimeoutError:
            log.warning("spam screen timed out; message let through", extra={"message_id": message.id})
        except Exception:
            log.exception("spam screen failed; message let through", extra={"message_id": message.id})
        return False

    async def rescreen_edit(self, edit: MessageEdit, adapter: Adapter | None) -> None:
        """An edit can turn a clean message into spam."""
        try:
            async with asyncio.timeout(SCREEN_TIMEOUT_S):
                await self._screen(edit.channel, edit.id, edit.author, edit.text, adapter, edited=True)
        except Exception:
            log.exception("spam re-screen of an edit failed", extra={"message_id": edit.id})

    async def policy(self, channel: ChannelRef) -> str:
        return str(await self.services.memory.get_setting(channel.key, "spam_policy", self.settings.spam_policy))

    async def _exempt(self, channel: ChannelRef, author: Any) -> bool:
        if author.is_bot or author.is_admin:
            return True
        if {r.lower() for r in author.roles} & self.settings.exempt_role_set:
            return True
        if channel.workspace not in self._allowed:
            rows = await self.services.memory.fetch(
                "SELECT author_id FROM spam_allowlist WHERE workspace = ?", (channel.workspace,))
            self._allowed[channel.workspace] = {r[0] for r in rows}
        return author.id in self._allowed[channel.workspace]

    def allow(self, workspace: str, author_id: str) -> None:
        self._allowed.setdefault(workspace, set()).add(author_id)

    async def _screen(self, channel: ChannelRef, message_id: str, author: Any, text: str, adapter: Adapter | None,
                      new_member: bool = False, edited: bool = False) -> bool:
        policy = await self.policy(channel)
        if policy == "off" or await self._exempt(channel, author):
            return False
        feature = self.classification
        spam = await feature.ready_spam()
        result = spam.classify(text, author.id, channel.key, new_member=new_member)
        result = await feature.judge_spam(text, result)
        if result.label != "spam":
            return False
        action = await self._act(policy, channel, message_id, author, result, adapter, edited)
        await self._store_flag("REPLACE", channel, message_id, author.id, text, result.score, result.reasons, action)
        log.info("message flagged as spam", extra={"channel": channel.key, "message_id": message_id,
                                                   "score": result.score, "action": action})
        return True

    async def record_external(self, channel: ChannelRef, message_id: str, author_id: str, text: str, reason: str,
                              action: str) -> None:
        """A platform's own filter (Discord AutoMod) acted on a message: kept with Confab's flags, so
        ``/spam stats`` and moderators' corrections see both."""
        try:
            await self._store_flag("IGNORE", channel, message_id, author_id, text, 1.0, (reason,), action)
            log.info("platform filter flagged a message", extra={"channel": channel.key, "message_id": message_id,
                                                                  "action": action})
        except Exception:
            log.exception("recording a platform flag failed", extra={"message_id": message_id})

    async def _store_flag(self, on_conflict: Literal["REPLACE", "IGNORE"], channel: ChannelRef, message_id: str,
                          author_id: str, text: str, score: float, reasons: Sequence[str], action: str) -> None:
        """A row of ``spam_flags``; a re-flag (an edit) replaces Confab's own row, a platform's never does."""
        await self.services.memory.write(  # on_conflict is one of two literals, never input
            f"INSERT OR {on_conflict} INTO spam_flags (channel_key, message_id, author_id, text, score, reasons, "  # noqa: S608
            "action, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (channel.key, message_id, author_id, text[:4000], score, json.dumps(list(reasons)), action, time.time()))

    async def _act(self, policy: str, channel: ChannelRef, message_id: str, author: Any, result: SpamResult,
                   adapter: Adapter | None, edited: bool) -> str:
        if adapter is None:
            return "recorded"
        caps = adapter.capabilities
        done = []
        if policy in ("delete", "delete_timeout") and caps.delete:
            if await _try(adapter.delete(channel, message_id), "delete"):
                done.append("deleted")
        if policy == "delete_timeout" and caps.timeout:
            minutes = self.settings.spam_timeout_minutes
            if await _try(adapter.timeout_user(channel, author.id, minutes * 60), "timeout"):
                done.append(f"timed out {minutes} min")
        if "deleted" not in done and caps.reactions and await _try(adapter.react(channel, message_id, FLAG_EMOJI),
                                                                  "react"):
            done.append("flagged")
        await self._note(channel, message_id, author, result, adapter, done or ["recorded"], edited)
        return ", ".join(done) or "recorded"

    async def _note(self, channel: ChannelRef, message_id: str, author: Any, result: SpamResult, adapter: Adapter,
                    done: list[str], edited: bool) -> None:
        mods = await self.services.memory.get_setting(channel.key, "mod_channel", self.settings.mod_channel)
        if not mods:
            return
        link = getattr(adapter, "message_link", None)
        url = link(channel, message_id) if link is not None else None
        where = f"[this message]({url})" if isinstance(url, str) else f"message {message_id}"
        reasons = "\n".join(f"• {r}" for r in result.reasons[:5]) or "• high spam score"
        text = (f"{FLAG_EMOJI} Possible spam{' (after an edit)' if edited else ''} by **{author.name}** in "
                f"#{channel.channel}: {where} — score {result.score:.2f}, action: {', '.join(done)}.\n{reasons}\n"
                f"Not spam? Reply `/spam not-spam {message_id}` in that channel.")
        target = ChannelRef(channel.platform, channel.workspace, str(mods))
        await _try(adapter.send(Reply(target, neutralize_mentions(text))), "moderators' note")


def _is_new(message: IncomingMessage) -> bool:
    joined = message.author.joined_at
    return joined is not None and (message.created_at - joined).total_seconds() < NEW_MEMBER_S


async def _try(action: Any, what: str) -> bool:
    try:
        await action
    except Exception as exc:  # a missing permission must not stop the other actions
        log.warning("spam action failed", extra={"action": what, "error": f"{type(exc).__name__}: {exc}"[:200]})
        return False
    return True

"""Automatic spam flagging on every message, by per-channel policy.

Policies: ``off``; ``flag`` (a 🚩 reaction plus a note to moderators with the reasons and a link);
``delete``; ``delete_timeout`` — the last two only where the platform allows it and the bot has the
right (adapter capabilities), else it falls back to flagging. Admins, bots and exempt roles are not
screened. Moderators' corrections (:mod:`agent.classify.ledger`) lower an author's risk or exempt
them in one channel for a while, never from known phishing domains and scam phrases.

Where the note goes: the channel's ``mod_channel`` setting (``CONFAB_MOD_CHANNEL`` by default); with
none set, a reply to the flagged message, in its thread (Slack: a thread reply; Discord: a reply to
the message; console: in the channel), so moderators see the reasons where the 🚩 is, with no setup.
A deleted message's note goes to its channel.

The screen fails closed: if it raises or takes longer than :data:`SCREEN_TIMEOUT_S`, the message is
held (it never reaches the agent), recorded with the reason "screen error", logged, and noted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from agent.classify.ledger import EXEMPT_DAYS, ReadWith, SpamLedger
from agent.classify.standing import Sender
from bot.events import Author, ChannelRef, IncomingMessage, MessageEdit, PlatformFlag, Reply
from bot.text import neutralize_mentions, scrub

if TYPE_CHECKING:
    from agent.classify.service import Classification
    from agent.classify.spam import SpamResult
    from agent.deps import Deps
    from bot.adapter import Adapter
    from bot.outbox import Outbox

log = logging.getLogger(__name__)

SCREEN_TIMEOUT_S = 5.0
NOTE_TIMEOUT_S = 5.0
FLAG_EMOJI = "🚩"
NEW_MEMBER_S = 24 * 3600
MEMBER_DAYS = 30  # in the server this long: vouched for (spam standing)
NEW_ACCOUNT_DAYS = 7  # a platform account younger than this gets no standing at all
DISCORD_EPOCH_MS = 1420070400000
SCREEN_ERROR = "screen error"
NO_MOD_CHANNEL = ("none", "off", "thread")  # mod_channel values meaning "note in the flagged message's thread"


class Moderator:
    def __init__(self, deps: Deps, outbox: Outbox) -> None:
        self.settings = deps.settings
        self.outbox = outbox  # the moderators' notes go out like every other reply
        self.classification: Classification = deps.classifier
        self.channel_settings = deps.store.channel_settings
        self.ledger = SpamLedger(deps.store.spam)

    async def warm_up(self) -> None:
        """Load the spam model before the platforms deliver messages, so the first one doesn't wait."""
        await self.classification.ready_spam()

    async def screen(self, message: IncomingMessage, adapter: Adapter | None, read: ReadWith | None = None) -> bool:
        """True when the message was flagged or held (it then never reaches the agent). The pipeline hands
        it over scrubbed of lone surrogates (:func:`bot.text.scrub`), with ``read``, the author's record, when
        it was read with the message's insert."""
        try:
            async with asyncio.timeout(SCREEN_TIMEOUT_S):
                return await self._screen(message.channel, message.id, message.author, message.text, adapter,
                                          new_member=_is_new(message), at=message.created_at, read=read)
        except Exception as exc:  # TimeoutError included: fail closed
            log.error("spam screen failed; message held", exc_info=not isinstance(exc, TimeoutError),
                      extra={"message_id": message.id, "channel": message.channel.key,
                             "error": type(exc).__name__})
            await self._hold(message.channel, message.id, message.author, message.text, adapter)
            return True

    async def rescreen_edit(self, edit: MessageEdit, adapter: Adapter | None) -> None:
        """An edit can turn a clean message into spam."""
        try:
            async with asyncio.timeout(SCREEN_TIMEOUT_S):
                await self._screen(edit.channel, edit.id, edit.author, edit.text, adapter, edited=True)
        except Exception:
            log.exception("spam re-screen of an edit failed", extra={"message_id": edit.id})

    def _trusted(self, author: Author) -> bool:
        """Admins and exempt roles: screened only for what no one's standing covers (known phishing links, scam
        phrases, requests for passwords, card details or gift-card codes): a hijacked admin account is the
        account such a link comes from."""
        return author.is_admin or bool({r.lower() for r in author.roles} & self.settings.exempt_role_set)

    async def _screen(self, channel: ChannelRef, message_id: str, author: Author, text: str, adapter: Adapter | None,
                      new_member: bool = False, edited: bool = False, at: datetime | None = None,
                      read: ReadWith | None = None) -> bool:
        if author.is_bot:  # before any read: other bots cost nothing
            return False
        trusted = self._trusted(author)
        standing = await self.ledger.standing(channel.key, author.id, read=read)  # with the channel's policy
        policy = self.settings.spam_policy if standing.policy is None else str(standing.policy)
        if policy == "off":
            return False
        feature = self.classification
        spam = await feature.ready_spam()
        discount = 1.0 if trusted else standing.discount  # all soft evidence set aside; hard signals stay
        result = await spam.aclassify(text, author.id, channel.key, new_member=new_member, discount=discount,
                                      extra=standing.extra, sender=sender_of(channel.platform, author, at),
                                      scope=_workspace(channel), posted_before=standing.posted_before,
                                      watched=not standing.new_here)
        if not (standing.exempt or trusted):  # an exempted author's soft evidence is not the judge's to revive
            result = await feature.judge_spam(text, result)
        if result.label != "spam":
            return False
        await spam.flagged(author.id, _workspace(channel))
        action = await self._act(policy, channel, message_id, author, result, adapter, edited)
        await self.ledger.record_flag(channel.key, message_id, author.id, text, result.score, result.reasons, action)
        log.info("message flagged as spam", extra={"channel": channel.key, "message_id": message_id,
                                                   "score": result.score, "action": action})
        return True

    async def _hold(self, channel: ChannelRef, message_id: str, author: Author, text: str,
                    adapter: Adapter | None) -> None:
        """Best effort after a failed screen: record the held message and tell moderators."""
        try:
            async with asyncio.timeout(NOTE_TIMEOUT_S):
                await self.ledger.record_flag(channel.key, message_id, author.id, text, 0.0, (SCREEN_ERROR,), "held")
                if adapter is not None:
                    await self._note(channel, message_id, author, 0.0, (SCREEN_ERROR,), adapter, ["held"], False)
        except Exception:
            log.exception("recording a held message failed", extra={"message_id": message_id})

    async def record_external(self, flag: PlatformFlag) -> None:
        """A platform's own filter (Discord AutoMod) acted on a message: kept with Confab's flags, so
        ``/spam stats`` and moderators' corrections see both."""
        try:
            await self.ledger.record_flag(flag.channel.key, flag.message_id, flag.author_id, scrub(flag.text), 1.0,
                                          (flag.reason,), flag.action, replace=False)
            log.info("platform filter flagged a message", extra={"channel": flag.channel.key,
                                                                  "message_id": flag.message_id, "action": flag.action})
        except Exception:
            log.exception("recording a platform flag failed", extra={"message_id": flag.message_id})

    async def _act(self, policy: str, channel: ChannelRef, message_id: str, author: Author, result: SpamResult,
                   adapter: Adapter | None, edited: bool) -> str:
        if adapter is None:
            return "recorded"
        caps = adapter.capabilities
        done = []
        if policy in ("delete", "delete_timeout") and result.score < self.settings.spam_delete_threshold \
                and not result.hard:
            policy = "flag"  # not sure enough to remove someone's message: flag it for moderators
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
        await self._note(channel, message_id, author, result.score, result.reasons, adapter, done or ["recorded"],
                         edited)
        return ", ".join(done) or "recorded"

    async def _note(self, channel: ChannelRef, message_id: str, author: Author, score: float, reasons: Sequence[str],
                    adapter: Adapter, done: list[str], edited: bool) -> None:
        mods = await self.channel_settings.get(channel.key, "mod_channel", self.settings.mod_channel)
        url = _link(adapter, channel, message_id)
        ref = url or _number(adapter, channel, message_id) or message_id
        bot = self.settings.bot_name
        correct = f"@{bot} /spam not-spam {ref}" if channel.platform == "slack" else f"/spam not-spam {ref}"
        listed = "\n".join(f"• {r}" for r in reasons[:5]) or "• high spam score"
        held = SCREEN_ERROR in reasons
        what = ("Held (not answered): my spam screen failed on a message" if held
                else f"{FLAG_EMOJI} Possible spam{' (after an edit)' if edited else ''}")
        score_text = "" if held else f" — score {score:.2f}"
        if mods and str(mods).lower() not in NO_MOD_CHANNEL:
            where = f"[this message]({url})" if url else f"message {ref}"
            text = (f"{what} by **{author.name}** in #{channel.channel}: {where}{score_text}, action: "
                    f"{', '.join(done)}.\n{listed}\nNot spam? `{correct}`")
            reply = Reply(ChannelRef(channel.platform, channel.workspace, str(mods)), neutralize_mentions(text))
        else:  # no moderators' channel: the note answers the flagged message, where moderators see the 🚩
            gone = "deleted" in done
            text = (f"{what} by **{author.name}**{score_text}, action: {', '.join(done)}.\n{listed}\n"
                    f"Moderators: not spam? `{correct}` (set a private moderators' channel with "
                    f"`/confab settings mod_channel #channel`).")
            reply = Reply(channel, neutralize_mentions(text), reply_to=None if gone else message_id)
        # one note per flag, even when the screen runs again after a crash (the reply ledger keeps it once)
        kind = "held" if held else "edited" if edited else "flagged"
        reply = replace(reply, source=f"spam-note:{channel.key}:{message_id}:{kind}")
        if await self.outbox.send(reply) is None:
            log.warning("the moderators' note could not be posted", extra={"channel": reply.channel.key})


def _link(adapter: Adapter, channel: ChannelRef, message_id: str) -> str | None:
    make = getattr(adapter, "message_link", None)
    try:
        url = make(channel, message_id) if make is not None else None
    except Exception:
        log.exception("building a message link failed")
        return None
    return url if isinstance(url, str) and url else None


def _number(adapter: Adapter, channel: ChannelRef, message_id: str) -> str | None:
    """The short number a person sees for a message (the console's ``[12]`` gives ``12``), where there is one."""
    label = getattr(adapter, "message_label", None)
    shown = label(channel, message_id) if callable(label) else None
    return shown.strip("[]") if isinstance(shown, str) and shown else None


def exempt_days(value: Any) -> float:
    """The channel setting ``spam_exempt_days`` (0: corrections only lower the author's risk)."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return float(EXEMPT_DAYS)


def _workspace(channel: ChannelRef) -> str:
    return f"{channel.platform}:{channel.workspace}"


def sender_of(platform: str, author: Author, at: datetime | None = None) -> Sender:
    """What the platform says about the author, for the spam screen's standing (:mod:`agent.classify.standing`)."""
    at = at or datetime.now(UTC)
    if author.is_guest:
        return Sender()
    if platform == "discord" and author.id.isdigit():  # the account's creation time is in its snowflake id
        created = datetime.fromtimestamp(((int(author.id) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
        if at - created < timedelta(days=NEW_ACCOUNT_DAYS):
            return Sender(new_account=True)
    if author.roles:
        return Sender(True, "has a role in this server")
    if author.joined_at is not None:
        days = (at - author.joined_at).days
        return Sender(True, f"a member for {days} days") if days >= MEMBER_DAYS else Sender()
    if platform == "slack":
        return Sender(True, "a full member of this workspace")
    if platform == "console":  # everyone at the console is the team's, as a Slack workspace's full members are;
        return Sender(True, "a member of this workspace")  # `/as NAME guest` is a stranger (a Slack guest)
    return Sender()


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

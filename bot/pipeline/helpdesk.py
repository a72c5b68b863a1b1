"""Help-channel mode (``/confab settings help_channel on``, off by default): new posts answered from the docs.

A new top-level post in a help channel (on Discord, a forum post's starter message too) that asks something
(bot/conversation.py: not small talk), written by a person and not flagged as spam (the screen runs first), waits
``CONFAB_HELP_GRACE_S``. Then, unless a person answered in its thread meanwhile, someone reacted ❌ to it, or it
was deleted, Confab searches the knowledge base: when the search does not abstain (its calibrated relevance,
``CONFAB_KNOWLEDGE_MIN_RELEVANCE``) and is not unsure either (an answer to a mention would open "The docs may not
answer this exactly"), the quoted answer goes into the post's thread, marked as automatic; otherwise Confab stays
silent, or posts one short note pinging the channel's helper group (``help_group``, the one ping Confab ever
means: bot/pings.py).

Never twice: the post is owed an answer from the moment it is stored (bot/pipeline/ingest.py: resumed after a
restart, a job in the scaled mode), and the answer and the note share one reply-ledger source
(``help:<channel key>:<post id>``), so a post gets at most one of them however often it is delivered, resumed or
run. A ❌ on the post before the answer claims that source with no message (nothing is posted then); a ❌ on
the automatic answer (or on the post, after it) by the post's author or an admin deletes the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from agent.deps import Deps
from agent.embeddings import Embedder
from agent.errors import ConfabError
from agent.knowledge.ranking import quote_hits
from agent.knowledge.spelling import read_as
from agent.memory.models import StoredMessage
from agent.tools.base import ToolOutput
from agent.tools.knowledge import barely_answers, render
from bot.adapter import DeletesOwn
from bot.conversation import expects_answer
from bot.events import ChannelRef, IncomingMessage, Reaction, Reply
from bot.feedback import rated_for
from bot.outbox import Outbox
from bot.reactions import acted_on

log = logging.getLogger(__name__)

HELP_CHANNEL = "help_channel"  # channel setting: "on" or "off" (the default)
HELP_GROUP = "help_group"  # channel setting: the helper group pinged when the docs don't cover a post
MARK = "_Answered automatically from the docs. React ❌ to hide it if it didn't help._"
NOTE = "The docs don't cover this one, so I'm leaving it to the helpers. Could one of you take a look?"
OPTED_OUT = ""  # the ledger's message id for a post opted out before its answer: nothing was posted
THREAD_READ = 100  # messages of the post's thread read for a person's answer


def help_source(channel_key: str, post_id: str) -> str:
    """The reply-ledger source the automatic answer (or the helpers' note) to a post is posted under."""
    return f"help:{channel_key}:{post_id}"


def is_post(message: IncomingMessage) -> bool:
    """A person's new top-level post (a forum post's starter message shares its thread's id), not addressed to
    Confab (that is answered as usual)."""
    return (not message.author.is_bot and not message.is_direct and not message.mentions_bot
            and not message.replies_to_bot and message.channel.thread in (None, message.id))


class HelpDesk:
    def __init__(self, deps: Deps, outbox: Outbox, grace_s: float | None = None) -> None:
        """``grace_s``: how long a post waits for a person's answer (default ``CONFAB_HELP_GRACE_S``)."""
        self.deps = deps
        self.settings = deps.settings
        self.store = deps.store
        self.outbox = outbox
        self.grace_s = self.settings.help_grace_s if grace_s is None else grace_s
        self.embedder: Callable[[], Embedder] = deps.embedders.configured

    async def enabled(self, channel_key: str) -> bool:
        """Whether the channel is a help channel (an unreadable setting counts as off: no unasked answers)."""
        try:
            return bool(await self.store.channel_settings.get(channel_key, HELP_CHANNEL, "off") == "on")
        except Exception:
            log.exception("could not read the help-channel setting", extra={"channel": channel_key})
            return False

    async def owes(self, message: IncomingMessage) -> bool:
        """Whether accepting ``message`` owes it a (possible) automatic answer: a post in a help channel."""
        return is_post(message) and await self.enabled(message.channel.key)

    async def consider(self, message: IncomingMessage, text: str, owed: bool) -> bool:
        """Answer the post if it is due (see the module's docstring); True when the reply settled the answer
        owed (the outbox does as it records the delivery)."""
        key = message.channel.key
        if not is_post(message) or not await self.enabled(key):
            return False
        if not text.strip() or len(text) > self.settings.max_message_chars \
                or not expects_answer(text, self.settings.bot_name):
            log.debug("help post is not a question; left to people", extra={"channel": key})
            return False
        if self.grace_s > 0:
            await asyncio.sleep(self.grace_s)
        if not await self._still_open(message):
            return False
        answer = await self._docs_answer(text)
        group = None if answer is not None else await self._group(key)
        if answer is None and group is None:
            log.info("help post not covered by the docs; left to people", extra={"channel": key})
            return False
        where = message.channel.in_thread(message.id)
        source = help_source(key, message.id)
        if answer is not None:
            reply = Reply(where, f"{MARK}\n\n{answer.for_user}", reply_to=message.id, source=source,
                          rated=rated_for(text, self.settings.model, answer.citations))
        else:
            reply = Reply(where, NOTE, reply_to=message.id, source=source, mention_group=group)
        settles = (key, message.id) if owed and self.outbox.pending is not None else None
        # the thread is not followed: people take it from here (a mention asks Confab more)
        await self.outbox.send(reply, settles=settles)
        log.info("help post answered" if answer is not None else "help post handed to the helpers",
                 extra={"channel": key})
        return settles is not None

    async def _still_open(self, message: IncomingMessage) -> bool:
        """After the grace: the channel is still a help channel, the post is still there and no person other than
        its author answered in its thread."""
        key = message.channel.key
        if not await self.enabled(key):
            return False
        stored = await self.store.messages.get(key, message.id)
        if stored is None or stored.deleted:
            log.info("help post deleted before its answer", extra={"channel": key})
            return False
        said = await self.store.messages.recent(key, limit=THREAD_READ, thread=message.id)
        if any(_answered_by_person(m, message) for m in said):
            log.info("a person answered the help post first; Confab stays out", extra={"channel": key})
            return False
        return True

    async def _docs_answer(self, question: str) -> ToolOutput | None:
        """The quoted answer from the knowledge base, or None when its search abstains (or fails: nothing is
        posted on a failure, not even the helpers' note)."""
        try:
            result = await self.deps.knowledge.search(question)
        except ConfabError as exc:
            log.warning("knowledge search failed for a help post", extra={"error": str(exc)[:200]})
            return None
        if result.abstained:
            return None
        if barely_answers(result):  # "the docs may not answer this exactly": in a help channel, left to people
            log.info("help post only weakly covered by the docs; left to people",
                     extra={"relevance": round(result.relevance, 2)})
            return None
        scorer = self._similarities if self.settings.is_offline else None
        quotes = await quote_hits(read_as(question, result.read_as), result.hits, scorer)
        _, output = render(result, self.settings.knowledge_base_url, str(self.settings.knowledge_dir), quotes)
        return output

    async def _similarities(self, question: str, texts: list[str]) -> list[float]:
        vectors = await self.embedder().aembed([question, *texts])
        return [float(s) for s in vectors[1:] @ vectors[0]]

    async def _group(self, channel_key: str) -> str | None:
        group = await self.store.channel_settings.get(channel_key, HELP_GROUP, None)
        return str(group) if group and str(group).lower() != "none" else None

    # --- reactions ---------------------------------------------------------------------------

    async def on_reaction(self, reaction: Reaction) -> None:
        """❌ on a post in a help channel: no automatic answer (anyone may ask this); on the automatic answer,
        or on the post after it was answered, by the post's author or an admin: the answer is deleted."""
        if not acted_on(reaction.emoji) or reaction.user.is_bot:
            return
        key = reaction.channel.key
        stored = await self.store.messages.get(key, reaction.message_id)
        if stored is None or stored.deleted:
            return
        if stored.is_bot:
            if stored.thread and stored.text.startswith(MARK):
                root = await self.store.messages.get(key, stored.thread)
                if root is not None:
                    await self._hide(reaction, root, stored.id)
            return
        if stored.thread not in (None, stored.id) or not await self.enabled(key):
            return
        source = help_source(key, stored.id)
        state, earlier = await self.store.replies.claim(source, key, time.time())
        if state == "new":
            await self.store.replies.delivered(source, OPTED_OUT)
            log.info("help post opted out of an automatic answer", extra={"channel": key})
        elif state == "done" and earlier:
            await self._hide(reaction, stored, earlier)

    async def _hide(self, reaction: Reaction, post: StoredMessage, answer_id: str) -> None:
        """Delete the automatic answer ``answer_id`` to ``post`` when the reaction's author may (the post's
        author or an admin) and it is that post's answer (the ledger says so)."""
        key = reaction.channel.key
        if reaction.user.id != post.author_id and not reaction.user.is_admin:
            log.info("❌ on an automatic answer by someone else than the asker; kept", extra={"channel": key})
            return
        state, earlier = await self.store.replies.claim(help_source(key, post.id), key, time.time())
        if state != "done" or earlier != answer_id:
            if state == "new":  # not an automatic answer after all: the claim just made must not stop one
                await self.store.replies.delivered(help_source(key, post.id), OPTED_OUT)
            return
        channel = ChannelRef(reaction.channel.platform, reaction.channel.workspace, reaction.channel.channel,
                             post.thread or post.id)
        adapter = self.outbox.adapter_for(channel)
        if adapter is None:
            return
        try:  # its own message: no moderator's permission needed (``capabilities.delete`` is about others')
            await (adapter.delete_own if isinstance(adapter, DeletesOwn) else adapter.delete)(channel, answer_id)
        except Exception:
            log.exception("deleting an automatic answer failed", extra={"channel": key})
            return
        await self.store.messages.delete(key, answer_id)
        log.info("automatic answer hidden at the asker's request", extra={"channel": key})


def _answered_by_person(said: StoredMessage, post: IncomingMessage) -> bool:
    return not said.is_bot and not said.deleted and said.id != post.id and said.author_id != post.author.id

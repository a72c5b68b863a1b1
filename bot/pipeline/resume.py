"""Answers owed when the process stopped (a crash, ``kill -9``, a lost machine): resumed at start.

Each owed answer younger than ``CONFAB_RESUME_MAX_AGE_S`` goes through the pipeline again from the
spam screen on (its message is already stored); the progress note a crashed process showed is handed
back to its adapter, so the answer takes its place. Older ones are let go: their notes are removed
and the record settled, since an answer to a question from long ago would surprise more than help; their
message is still screened for spam (``screen``), which its answer would have done first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from agent.storage.ports import PendingAnswer, PendingAnswers
from bot.adapter import NOTE_POSTING
from bot.events import Accepted, IncomingMessage
from bot.outbox import Outbox
from bot.pipeline.ingest import accept_form, from_payload

log = logging.getLogger(__name__)


async def resume_owed(pending: PendingAnswers, outbox: Outbox, process: Callable[[Accepted], Awaitable[None]],
                      max_age_s: float, screen: Callable[[IncomingMessage], Awaitable[object]] | None = None) -> int:
    """Resume every owed answer still worth giving (oldest first); returns how many were resumed."""
    resumed = 0
    now = time.time()
    for owed in await pending.owed():
        message = await owed_message(pending, owed)
        if message is None:
            continue
        if message.channel.platform not in outbox.adapters:
            continue  # that platform is not running in this process; it stays owed
        await hand_back_progress(outbox, message, owed)
        if now - owed.created_at > max_age_s:
            log.info("owed answer too old to resume; let go", extra={"channel": owed.channel_key,
                                                                    "age_s": round(now - owed.created_at)})
            await outbox.drop_progress(message.channel, message.id)
            if screen is not None and not message.author.is_bot:
                await screen(accept_form(message).message)
            await pending.settle(owed.channel_key, owed.message_id)
            continue
        log.info("resuming an answer owed before a restart", extra={"channel": owed.channel_key,
                                                                    "message_id": owed.message_id})
        await process(replace(accept_form(message), owed=True))  # owed by its record (a help post by its channel)
        resumed += 1
    return resumed


async def hand_back_progress(outbox: Outbox, message: IncomingMessage, owed: PendingAnswer) -> None:
    """The progress note or streamed message an earlier attempt showed, handed back to the adapter for the
    answer to take its place (rather than stay beside it, half an answer looking whole)."""
    if owed.note == NOTE_POSTING:  # the process died while posting a note, maybe before recording it
        await outbox.recover_progress(message.channel, message.id)
    elif owed.note:
        outbox.restore_progress(message.channel, message.id, owed.note)


async def owed_message(pending: PendingAnswers, owed: PendingAnswer) -> IncomingMessage | None:
    """The message an answer is owed to, from its record; None (and the record let go) when it is damaged."""
    try:
        return from_payload(owed.payload)
    except (ValueError, KeyError, TypeError):
        log.error("damaged owed-answer record dropped", extra={"channel": owed.channel_key,
                                                               "message_id": owed.message_id})
        await pending.settle(owed.channel_key, owed.message_id)
        return None

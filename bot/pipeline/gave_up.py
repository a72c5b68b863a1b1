"""Jobs that used up their runs (the scaled mode): the asker is told, once, and what was owed is settled.

Nothing resumes an owed answer in the scaled mode but its job, so a job the queue gives up on (its last run
failed: the database, Redis or the platform kept failing; or its workers kept dying) would leave the answer
owed forever and the asker waiting. The queue hands it here instead (``gave_up`` of
:meth:`agent.jobs.Jobs.register`):

- an ``answer`` job: a short "couldn't answer, please ask again" reply through the outbox, under the answer's
  own source, so the reply ledger lets through either the answer or this, once (a part of the answer that did
  reach the platform is found there first);
- a ``command`` job: the same words through the command's way back (Slack's response URL, a Discord
  interaction's webhook), claimed in the reply ledger first so it is said once.

Then the owed record is settled and a log line says why. A record already settled (answered after all) is
left alone.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from agent.storage.ports import PendingAnswers, PendingCommands
from bot import messages as say
from bot.events import Reply
from bot.outbox import Outbox
from bot.pipeline.answer import answer_source
from bot.pipeline.owed_commands import command_from_json
from bot.pipeline.resume import owed_message

log = logging.getLogger(__name__)


async def answer_given_up(pending: PendingAnswers, outbox: Outbox, payload: dict[str, Any], reason: str) -> None:
    key, message_id = str(payload.get("channel_key")), str(payload.get("message_id"))
    owed = await pending.get(key, message_id)
    message = None if owed is None else await owed_message(pending, owed)
    if owed is None or message is None:
        return  # answered after all, settled, or damaged (settled and logged by owed_message)
    where = {"channel": key, "message_id": message_id, "reason": reason[:300]}
    if message.channel.platform not in outbox.adapters:
        log.error("owed answer given up; no adapter here to tell the asker", extra=where)
    else:
        if owed.note:  # the progress note a process showed: the apology takes its place
            outbox.restore_progress(message.channel, message.id, owed.note)
        sent = await outbox.send(Reply(message.channel, say.GAVE_UP, reply_to=message.id,
                                       source=answer_source(message)))
        log.warning("owed answer given up; the asker was asked to ask again" if sent is not None
                    else "owed answer given up; telling the asker failed too", extra=where)
    await pending.settle(key, message_id)


async def command_given_up(pending: PendingCommands, outbox: Outbox, payload: dict[str, Any], reason: str) -> None:
    key, command_id = str(payload.get("channel_key")), str(payload.get("command_id"))
    owed = await pending.get(key, command_id)
    if owed is None:
        return
    where = {"channel": key, "reason": reason[:300]}
    try:
        command = command_from_json(owed.payload)
    except (ValueError, KeyError, TypeError):
        log.error("owed command given up; its record is damaged", extra=where)
        await pending.settle(key, command_id)
        return
    edge = outbox.commands_owed.get(command.channel.platform)
    source = f"gave-up:command:{key}:{command_id}"
    if edge is None:
        log.error("owed command given up; no adapter here to tell the asker", extra=where)
    elif outbox.replies is not None and (await outbox.replies.claim(source, key, time.time()))[0] != "new":
        log.info("owed command given up; the asker was told already", extra=where)
    else:
        try:
            await edge.let_go(command, owed.route, time.time() - owed.created_at, text=say.GAVE_UP)
            log.warning("owed command given up; the asker was asked to run it again",
                        extra={**where, "command": command.name})
        except Exception:
            log.exception("owed command given up; telling the asker failed too", extra=where)
    await pending.settle(key, command_id)

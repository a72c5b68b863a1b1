"""The job queue behind the PostgreSQL store's ``on_owed`` seam: the answer job is written in the transaction
that stores the message, so a redelivered message owes no second job and a failed ingest leaves none."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.jobs import JobError
from agent.jobs.postgres import ProcrastinateJobs
from agent.memory.models import StoredMessage
from agent.storage.ports import PendingAnswer
from agent.storage.postgres import Connection, PostgresStorage
from tests.fakes.waiting import until
from tests.jobs.support import FAST, job_rows

KEY = "slack:T1:C1"


def mention(message_id: str) -> tuple[StoredMessage, PendingAnswer]:
    message = StoredMessage(KEY, message_id, "u1", "ana", "@confab how do I deploy?", datetime.now(UTC))
    return message, PendingAnswer(KEY, message_id, payload="{}", created_at=time.time())


async def test_the_answer_job_is_stored_with_its_message_once(postgres_url: str) -> None:
    seen: list[dict[str, Any]] = []
    fail_after_defer = False

    async def answer(payload: dict[str, Any]) -> None:
        seen.append(payload)

    queue = await ProcrastinateJobs(postgres_url, tuning=FAST).open()
    queue.register("answer", answer)

    async def on_owed(conn: Connection, owed: PendingAnswer) -> None:
        await queue.defer("answer", {"channel_key": owed.channel_key, "message_id": owed.message_id}, conn=conn)
        if fail_after_defer:
            raise RuntimeError("the ingest failed after the defer")

    store = await PostgresStorage.open(postgres_url, on_owed=on_owed)
    try:
        assert await store.messages.add(*mention("m1"))
        assert not await store.messages.add(*mention("m1"))  # a redelivery: no message, no second job
        fail_after_defer = True
        with pytest.raises(RuntimeError):
            await store.messages.add(*mention("m2"))
        assert await store.messages.get(KEY, "m2") is None
        assert await job_rows(postgres_url) == [("confab.answer", "todo", 0)]

        await queue.start()
        await until(lambda: seen, what="the answer job")
        assert seen == [{"channel_key": KEY, "message_id": "m1"}]
    finally:
        await queue.stop()
        await store.close()
    with pytest.raises(JobError, match="answer job not queued"):
        await queue.defer("answer", {"message_id": "m3"})  # a closed queue says so in its own words


async def test_mentions_stored_together_each_get_one_job(postgres_url: str) -> None:
    """A burst's owed messages share one transaction (group commit): each distinct one gets its job in it, a
    redelivery in the same batch none."""
    queue = await ProcrastinateJobs(postgres_url, tuning=FAST).open()

    async def on_owed(conn: Connection, owed: PendingAnswer) -> None:
        await queue.defer("answer", {"channel_key": owed.channel_key, "message_id": owed.message_id}, conn=conn)

    store = await PostgresStorage.open(postgres_url, on_owed=on_owed)
    try:
        ids = [f"m{i}" for i in range(8)]
        got = await asyncio.gather(*(store.messages.add(*mention(i)) for i in ids + ids[::-1]))
        assert sum(got) == len(ids)
        assert store.messages.batched.batches < store.messages.batched.writes
        assert await job_rows(postgres_url) == [("confab.answer", "todo", 0)] * len(ids)
    finally:
        await queue.stop()
        await store.close()

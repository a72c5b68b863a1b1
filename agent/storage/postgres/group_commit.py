"""Group commit: the message inserts that arrive while another is being stored go to PostgreSQL together, in
one round trip and one transaction (one commit), instead of one statement, one round trip and one commit each.

In a burst most of a plain message's storing cost is per round trip, not per row: the socket writes that
wake PostgreSQL and wake this process again, and the commit. Nothing waits for a batch to fill: a write
that finds no flush running is flushed at the loop's next turn (with whatever else arrived in that turn), so
a lone message costs what it did (the same single statement); writes arriving while a flush is in flight wait
for it and then go together, up to :data:`MOST` at a time.

Each caller gets its own statement's row only after the transaction holding it committed; when the batch
fails every caller in it gets that error, as a lone insert would raise it (nothing is acknowledged that
was not stored). A batch that fails on one write's data (a value PostgreSQL refuses) is written again one
by one, so only that write fails. Writes are made in the order of their keys, so two replicas' batches
holding the same redelivered events take the key's lock in the same order (no deadlock between them).

Writes of a kind that has a :class:`Together` form (a plain message's) go as one statement for the batch;
the others (a message owed an answer, with its job) as a statement each, pipelined in the same transaction.
One statement is cheaper here too: psycopg's pipeline mode still waits on the event loop and writes to the
socket once per statement (``python -m bench.group_commit``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from agent.storage.postgres.db import Connection, Database, Params, Query

log = logging.getLogger(__name__)

MOST = 100  # writes in one transaction: a batch's locks are held until its commit
LANES = 1  # flushes in flight at once (the next batch forms while one is written)

Row = tuple[Any, ...]
Then = Callable[[Connection, Row], Awaitable[None]]  # more writes in the same transaction, given the row (a job)
# a refused value, not a broken connection: the others of its batch are written again without it
_DATA_ERRORS = (psycopg.DataError, psycopg.IntegrityError)


@dataclass(frozen=True)
class Together:
    """Several writes of one kind as ONE statement: ``query`` with ``params(each write's params)`` returns a
    row for each write, in their order, and takes their keys' locks in key order."""

    query: Query
    params: Callable[[Sequence[Params]], Params]


@dataclass
class _Write:
    order: tuple[str, ...]
    query: Query
    params: Params
    then: Then | None
    together: Together | None
    done: asyncio.Future[Row] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    def __init__(self, db: Database, most: int = MOST, lanes: int = LANES) -> None:
        self.db = db
        self.most = most
        self.lanes = lanes
        self._waiting: list[_Write] = []
        self._running = 0  # flushes in flight
        self._tasks: set[asyncio.Task[None]] = set()  # held, so none is garbage-collected while it runs
        self.batches = 0  # counters: writes / batches is the mean batch size
        self.writes = 0

    async def write(self, order: tuple[str, ...], query: Query, params: Params, then: Then | None = None,
                    together: Together | None = None) -> Row:
        """The first row ``query`` returns, once it is committed; ``then(conn, row)`` runs in the same
        transaction (if it raises, the write is not stored). ``order``: the key whose lock the write takes.
        ``together``: how writes like this one go as one statement when a batch holds several."""
        write = _Write(order, query, params, then, together)
        self._waiting.append(write)
        if self._running < self.lanes:
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._flush_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await write.done

    async def _flush_waiting(self) -> None:
        batch: list[_Write] = []
        try:
            while self._waiting:  # no await between this test and the end: a write appended now is seen
                batch, self._waiting = self._waiting[:self.most], self._waiting[self.most:]
                await self._flush(batch)
        except BaseException as exc:  # cancelled at shutdown: nobody is left waiting for ever
            rest, self._waiting = self._waiting, []
            _fail([*batch, *rest], exc)
            raise
        finally:
            self._running -= 1

    async def _flush(self, batch: list[_Write]) -> None:
        self.batches += 1
        self.writes += len(batch)
        try:
            rows = await (self._one(batch[0]) if len(batch) == 1 else self._together(batch))
        except _DATA_ERRORS as exc:
            if len(batch) == 1:
                _fail(batch, exc)
                return
            log.warning("a batch of writes refused; writing them one by one", extra={"writes": len(batch)})
            for write in batch:
                await self._flush([write])
            return
        except Exception as exc:
            _fail(batch, exc)
            return
        for write, row in zip(batch, rows, strict=True):
            if not write.done.done():  # its caller may have been cancelled
                write.done.set_result(row)

    async def _one(self, write: _Write) -> list[Row]:
        """A lone write: the single statement (its own transaction) it was before there were batches."""
        if write.then is None:
            return [(await self.db.fetch(write.query, write.params))[0]]
        async with self.db.transaction() as conn:
            row = await (await conn.execute(write.query, write.params)).fetchone()
            assert row is not None
            await write.then(conn, row)
        return [row]

    async def _together(self, batch: Sequence[_Write]) -> list[Row]:
        rows: list[Row | None] = [None] * len(batch)
        kinds: dict[Together, list[int]] = {}
        for i, write in enumerate(batch):
            if write.together is not None and write.then is None:
                kinds.setdefault(write.together, []).append(i)
        kinds = {together: many for together, many in kinds.items() if len(many) > 1}
        grouped = {i for many in kinds.values() for i in many}
        alone = sorted((i for i in range(len(batch)) if i not in grouped), key=lambda i: batch[i].order)
        # pipeline mode: BEGIN, every statement and COMMIT go out together and their results come back together
        async with self.db.pool.connection() as conn, conn.pipeline():
            async with conn.transaction():
                # first each kind's statement (its keys in order), then the others' in key order
                kind_cursors = [(many, await conn.execute(together.query, together.params(
                    [batch[i].params for i in many]))) for together, many in kinds.items()]
                cursors = [(i, await conn.execute(batch[i].query, batch[i].params)) for i in alone]
                for many, cursor in kind_cursors:
                    for i, row in zip(many, await cursor.fetchall(), strict=True):
                        rows[i] = row
                for i, cursor in cursors:
                    rows[i] = await cursor.fetchone()
                for i in alone:
                    then, stored = batch[i].then, rows[i]
                    assert stored is not None  # each statement returns one row
                    if then is not None:
                        await then(conn, stored)
        done = [row for row in rows if row is not None]
        assert len(done) == len(batch)
        return done


def _fail(batch: Sequence[_Write], exc: BaseException) -> None:
    for write in batch:
        if write.done.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            write.done.cancel()
        else:
            write.done.set_exception(exc)

"""Brainstorm ideas in PostgreSQL (tables ``brainstorm_ideas``, ``brainstorm_counters``): the
:class:`~agent.storage.ports.IdeaStore` port. Vectors are float32 bytes (``bytea``), as in SQLite.

A thread's next number comes from its counter row, incremented by the statement that stores the idea: the
row lock serialises replicas adding to the same thread, so numbers never collide (``max + 1`` would)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from agent.storage.ports import Idea
from agent.storage.postgres.db import Database
from agent.storage.rows import IDEA_COLUMNS, ideas_from_rows, vector_bytes


class PostgresIdeas:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ideas(self, channel_key: str, thread: str) -> tuple[list[Idea], np.ndarray]:
        rows = await self.db.fetch(
            f"SELECT {IDEA_COLUMNS} FROM brainstorm_ideas WHERE channel_key = %s AND thread = %s ORDER BY number",
            (channel_key, thread))
        return ideas_from_rows(rows)

    async def add(self, channel_key: str, thread: str, text: str, author: str, message_id: str,
                  vector: np.ndarray) -> Idea:
        [(number,)] = await self.db.fetch(
            "WITH n AS (INSERT INTO brainstorm_counters (channel_key, thread, last_number) VALUES (%(key)s, "
            "%(thread)s, 1) ON CONFLICT (channel_key, thread) DO UPDATE SET last_number = "
            "brainstorm_counters.last_number + 1 RETURNING last_number) "
            "INSERT INTO brainstorm_ideas (channel_key, thread, number, text, author, message_id, vector) "
            "SELECT %(key)s, %(thread)s, n.last_number, %(text)s, %(author)s, %(message_id)s, %(vector)s FROM n "
            "RETURNING number",
            {"key": channel_key, "thread": thread, "text": text, "author": author, "message_id": message_id,
             "vector": vector_bytes(vector)})
        return Idea(int(number), text, author, message_id)

    async def bump(self, channel_key: str, thread: str, number: int, what: Literal["votes", "merged"]) -> None:
        column = {"votes": "votes", "merged": "merged"}[what]  # a column name, never input
        await self.db.execute(
            f"UPDATE brainstorm_ideas SET {column} = {column} + 1 WHERE channel_key = %s AND thread = %s "
            "AND number = %s", (channel_key, thread, number))

    async def clear(self, channel_key: str, thread: str) -> None:
        # the counter goes too: a cleared thread numbers from 1 again, as SQLite's max + 1 does
        await self.db.execute(
            "WITH gone AS (DELETE FROM brainstorm_counters WHERE channel_key = %(key)s AND thread = %(thread)s) "
            "DELETE FROM brainstorm_ideas WHERE channel_key = %(key)s AND thread = %(thread)s",
            {"key": channel_key, "thread": thread})

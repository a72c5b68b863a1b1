"""Brainstorm ideas in SQLite (table ``brainstorm_ideas``): the :class:`~agent.storage.ports.IdeaStore` port."""

from __future__ import annotations

from typing import Literal

import numpy as np

from agent.storage.ports import Idea
from agent.storage.sqlite.db import Database

_COLUMNS = "number, text, author, message_id, votes, merged, vector"


class SqliteIdeas:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ideas(self, channel_key: str, thread: str) -> tuple[list[Idea], np.ndarray]:
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM brainstorm_ideas WHERE channel_key = ? AND thread = ? ORDER BY number",
            (channel_key, thread))
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        ideas = [Idea(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5])) for r in rows]
        return ideas, np.vstack([np.frombuffer(r[6], dtype=np.float32) for r in rows])

    async def add(self, channel_key: str, thread: str, text: str, author: str, message_id: str,
                  vector: np.ndarray) -> Idea:
        # the next number is read and taken in one statement, through the single writer
        [(number,)] = await self.db.write_returning(
            f"INSERT INTO brainstorm_ideas (channel_key, thread, {_COLUMNS}) SELECT ?, ?, COALESCE(MAX(number), 0) "
            "+ 1, ?, ?, ?, 0, 0, ? FROM brainstorm_ideas WHERE channel_key = ? AND thread = ? RETURNING number",
            (channel_key, thread, text, author, message_id, np.asarray(vector, dtype=np.float32).tobytes(),
             channel_key, thread))
        return Idea(int(number), text, author, message_id)

    async def bump(self, channel_key: str, thread: str, number: int, what: Literal["votes", "merged"]) -> None:
        column = {"votes": "votes", "merged": "merged"}[what]  # a column name, never input
        await self.db.write(
            f"UPDATE brainstorm_ideas SET {column} = {column} + 1 WHERE channel_key = ? AND thread = ? "
            "AND number = ?", (channel_key, thread, number))

    async def clear(self, channel_key: str, thread: str) -> None:
        await self.db.write("DELETE FROM brainstorm_ideas WHERE channel_key = ? AND thread = ?", (channel_key, thread))

"""Brainstorm ideas in SQLite (table ``brainstorm_ideas``): the :class:`~agent.storage.ports.IdeaStore` port."""

from __future__ import annotations

from typing import Literal

import numpy as np

from agent.storage.ports import Idea
from agent.storage.rows import IDEA_COLUMNS, ideas_from_rows, vector_bytes
from agent.storage.sqlite.db import Database


class SqliteIdeas:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ideas(self, channel_key: str, thread: str) -> tuple[list[Idea], np.ndarray]:
        rows = await self.db.fetch(
            f"SELECT {IDEA_COLUMNS} FROM brainstorm_ideas WHERE channel_key = ? AND thread = ? ORDER BY number",
            (channel_key, thread))
        return ideas_from_rows(rows)

    async def add(self, channel_key: str, thread: str, text: str, author: str, message_id: str,
                  vector: np.ndarray) -> Idea:
        # the next number is read and taken in one statement, through the single writer
        [(number,)] = await self.db.write_returning(
            f"INSERT INTO brainstorm_ideas (channel_key, thread, {IDEA_COLUMNS}) SELECT ?, ?, COALESCE(MAX(number), 0) "
            "+ 1, ?, ?, ?, 0, 0, ? FROM brainstorm_ideas WHERE channel_key = ? AND thread = ? RETURNING number",
            (channel_key, thread, text, author, message_id, vector_bytes(vector),
             channel_key, thread))
        return Idea(int(number), text, author, message_id)

    async def bump(self, channel_key: str, thread: str, number: int, what: Literal["votes", "merged"]) -> None:
        column = {"votes": "votes", "merged": "merged"}[what]  # a column name, never input
        await self.db.write(
            f"UPDATE brainstorm_ideas SET {column} = {column} + 1 WHERE channel_key = ? AND thread = ? "
            "AND number = ?", (channel_key, thread, number))

    async def clear(self, channel_key: str, thread: str) -> None:
        await self.db.write("DELETE FROM brainstorm_ideas WHERE channel_key = ? AND thread = ?", (channel_key, thread))

"""read_attached_files on a large log: the question embeds a bounded number of passages, and the error it asks
about is still found and cited by its line."""

from __future__ import annotations

from typing import Any

import numpy as np

from agent.context import TurnContext, current_turn
from agent.files.model import AttachedFile
from agent.files.search import MAX_EMBEDDED, make_files_tool
from agent.knowledge.chunking import chunk_text
from agent.tools.base import ToolOutput


class Counting:
    """The session's local embedder, counting what it is asked to embed."""

    name = "counting"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts)  # type: ignore[no-any-return]

    async def aembed(self, texts: list[str]) -> np.ndarray:
        self.sizes.append(len(texts))
        return await self.inner.aembed(texts)  # type: ignore[no-any-return]


async def test_a_large_log_embeds_a_bounded_number_of_passages_and_finds_the_error(local_embedder: Any) -> None:
    lines = [f"2026-11-30 03:{n // 60 % 60:02d}:{n % 60:02d} INFO http: GET /page/{n} 200 in 4 ms"
             for n in range(12000)]
    lines[9000] = "2026-11-30 05:30:00 ERROR billing: invoice export crashed with a KeyError on customer_id"
    text = "\n".join(lines)
    log = AttachedFile("access.log", "text", tuple(chunk_text("access.log", text, 500)))
    assert len(log.chunks) > 4 * MAX_EMBEDDED
    counting = Counting(local_embedder)
    tool = make_files_tool(lambda: counting)
    token = current_turn.set(TurnContext("test:T:c", "test", "u1", "alice", files=(log,)))
    try:
        result = await tool.ainvoke({"name": tool.name, "args": {"question": "why did the invoice export crash?"},
                                     "id": "call_1", "type": "tool_call"})
    finally:
        current_turn.reset(token)
    output = result.artifact
    assert isinstance(output, ToolOutput)
    assert "invoice export crashed with a KeyError" in output.for_user and "access.log (line 9001" in output.for_user
    assert counting.sizes[0] == MAX_EMBEDDED + 1  # the question and the passages kept


async def _ask(embedder: Any, name: str, text: str, question: str) -> str:
    attached = AttachedFile(name, "text", tuple(chunk_text(name, text, 500)))
    tool = make_files_tool(lambda: embedder)
    token = current_turn.set(TurnContext("test:T:c", "test", "u1", "alice", files=(attached,)))
    try:
        result = await tool.ainvoke({"name": tool.name, "args": {"question": question}, "id": "c", "type": "tool_call"})
    finally:
        current_turn.reset(token)
    assert isinstance(result.artifact, ToolOutput)
    return result.artifact.for_user


async def test_what_went_wrong_quotes_the_run_of_errors_from_its_first(local_embedder: Any) -> None:
    """"what went wrong here?" quoted from "WARN retrying in 5s" on, leaving out the refused connection before it."""
    log = "\n".join(["2026-11-30 10:01:02 INFO start worker",
                     "2026-11-30 10:01:05 ERROR db connection refused: host=db port=5432",
                     "2026-11-30 10:01:06 WARN retrying in 5s",
                     "2026-11-30 10:01:11 ERROR db connection refused: host=db port=5432",
                     "2026-11-30 10:01:20 INFO connected"])
    answer = await _ask(local_embedder, "app.log", log, "what went wrong here?")
    assert "10:01:05 ERROR db connection refused" in answer and "app.log (lines 2-" in answer
    assert "start worker" not in answer


async def test_a_tables_header_is_quoted_with_its_rows(local_embedder: Any) -> None:
    """"who spent the most?" on a CSV quoted its header alone ("name,amount")."""
    answer = await _ask(local_embedder, "costs.csv", "name,amount\nana,12\nben,30\n", "who spent the most?")
    assert "ben,30" in answer and "costs.csv (lines 1-3)" in answer


async def test_asking_for_the_errors_quotes_every_one_in_file_order(local_embedder: Any) -> None:
    """"what errors are in this log?" quoted the first error line only, though the log held two and a warning."""
    log = "\n".join(["ERROR 2026-11-30 10:01:02 db timeout after 30s",
                     "INFO retrying",
                     "ERROR 2026-11-30 10:01:40 db timeout after 30s",
                     "WARN pool exhausted (20/20)",
                     "INFO recovered"])
    answer = await _ask(local_embedder, "app.log", log, "what errors are in this log?")
    assert answer.startswith("The errors and warnings in `app.log`:")
    assert "10:01:02 db timeout" in answer and "10:01:40 db timeout" in answer and "pool exhausted" in answer
    assert "app.log (line 1)" in answer and "app.log (lines 3-4)" in answer  # a run of them quoted together
    assert "retrying" not in answer and "recovered" not in answer
    many = "\n".join(f"ERROR job {n} failed" for n in range(40))
    answer = await _ask(local_embedder, "jobs.log", many, "any errors?")
    assert "(the first 12 of 40)" in answer and "job 11 failed" in answer and "job 12 failed" not in answer

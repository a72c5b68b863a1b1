"""A thread whose topic only its root names (Confab's brainstorm post, a command, a question to Confab) is found by
that topic: the search brings the thread's reply that decided it (else the one closest to the question), under the
root's first line, read as any hit is: only where the asker may read and quote it, and never after a delete, an
edit of the root, /forget or retention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from agent.memory.models import StoredMessage
from agent.recall.answer import for_model, render
from agent.recall.authors import AuthorAsked
from agent.recall.service import RecallService
from agent.storage.ports import Storage
from agent.storage.recall_store import recall_store
from tests.fakes.embedder import HashEmbedder
from tests.recall.conftest import TableAccess
from tests.recall.test_search import ALICE_SEES, BOB_SEES, GENERAL, SECRET, ids, said

BRAINSTORM = ("🧠 **Brainstorm: what should we name the new dashboard?** (started by alice)\n"
              "Post one idea per message and +1 the ones you like.")
ROOTS = {"confab": BRAINSTORM, "command": "/brainstorm what should we name the new dashboard?",
         "request": "@confab what should we name the new dashboard?"}
REPLIES = ["Pulse", "Lens", "ok let's go with Pulse then"]


async def thread(store: Storage, channel: str = GENERAL, root: str = BRAINSTORM, replies: Sequence[str] = REPLIES,
                 ago_days: float = 2.0) -> None:
    """The root "10" (Confab's post unless it is a person's command or question) and replies "11", "12", …"""
    by_bot = not root.startswith(("/", "@confab"))
    assert await store.messages.add(StoredMessage(
        channel, "10", "UCONFAB" if by_bot else "Ualice", "confab" if by_bot else "alice", root,
        datetime.now(UTC) - timedelta(days=ago_days), is_bot=by_bot))
    for n, (text, author) in enumerate(zip(replies, ["bob", "carol", "alice", "dan"], strict=False)):
        later = ago_days - 0.01 * (n + 1)
        assert await store.messages.add(said(channel, str(11 + n), text, author, later, thread="10"))


def roots(result: object) -> dict[str, str | None]:
    return {hit.entry.message_id: hit.root and hit.root.message_id for hit in result.hits}  # type: ignore[attr-defined]


@pytest.mark.parametrize("root", ROOTS)
async def test_a_thread_is_found_by_its_roots_topic_with_the_reply_that_decided_it(
        store: Storage, recall: RecallService, root: str) -> None:
    await thread(store, root=ROOTS[root])
    for query in ("dashboard", "dashboard name"):
        result = await recall.search(query, GENERAL, ALICE_SEES)
        assert ids(result) == ["13"] and roots(result) == {"13": "10"}  # the root itself is never a hit
    text = render(result, ALICE_SEES, GENERAL, decision=False)
    named = "🧠 Brainstorm: what should we name the new dashboard? (started by alice)" if root == "confab" \
        else ROOTS[root]
    assert f"(https://chat.example/slack:T1:CGEN/13), in the thread “{named}”:\n  > ok let's go with Pulse" in text
    assert f'thread="{named}">\nok let\'s go with Pulse then' in for_model(result, ALICE_SEES, GENERAL, False)
    decided = await recall.search("what did we decide about the dashboard name?", GENERAL, ALICE_SEES)
    assert ids(decided)[:1] == ["13"] and decided.hits[0].decision


async def test_without_a_decision_the_reply_closest_to_the_question_is_brought(store: Storage,
                                                                              recall: RecallService) -> None:
    await thread(store, replies=["Pulse", "Lens", "thanks!"])
    assert ids(await recall.search("dashboard lens", GENERAL, ALICE_SEES))[:1] == ["12"]
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) in (["11"], ["12"])  # never "thanks!"
    by_bob = await recall.search("dashboard", GENERAL, ALICE_SEES, author=AuthorAsked(None, "bob"))
    assert ids(by_bob) == ["11"] and roots(by_bob) == {"11": "10"}  # only his replies


async def test_a_private_threads_reply_only_where_it_may_be_quoted(store: Storage, recall: RecallService) -> None:
    await thread(store, channel=SECRET)
    public = await recall.search("dashboard", GENERAL, ALICE_SEES)
    assert ids(public) == [] and public.hidden == 1 and "Pulse" not in render(public, ALICE_SEES, GENERAL, False)
    assert ids(await recall.search("dashboard", SECRET, ALICE_SEES)) == ["13"]
    outsider = await recall.search("dashboard", GENERAL, BOB_SEES)
    assert ids(outsider) == [] and outsider.hidden == 0

    class NoThreads(TableAccess):
        async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
            return dict.fromkeys(threads, False)  # a Discord private thread the asker is not in

    assert ids(await recall.search("dashboard", SECRET, NoThreads(ALICE_SEES.table))) == []


async def test_deletes_edits_forget_and_retention_apply_to_a_threads_topic(store: Storage,
                                                                          recall: RecallService) -> None:
    await thread(store)
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) == ["13"]
    await store.messages.delete(GENERAL, "13")
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) in (["11"], ["12"])  # no decision left
    await store.messages.edit(GENERAL, "10", "🧠 **Brainstorm: where should the offsite be?**", datetime.now(UTC))
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) == []  # Confab's post, read back
    assert ids(await recall.search("offsite", GENERAL, ALICE_SEES)) in (["11"], ["12"])  # found by its new words
    await store.messages.delete(GENERAL, "10")
    assert ids(await recall.search("offsite", GENERAL, ALICE_SEES)) == []
    await store.messages.forget(GENERAL)
    await recall.sync()
    assert recall._topics is not None and len(recall._topics.index) == 0
    await thread(store, ago_days=40)
    keeping = RecallService(recall_store(store), recall._embedder)  # no retention
    assert ids(await keeping.search("dashboard", GENERAL, ALICE_SEES)) == ["13"]
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) == []  # 30 days: too old


async def test_only_the_first_line_of_confabs_post_names_its_thread(store: Storage, recall: RecallService) -> None:
    """A digest or an answer names many things below its first line: a reply under it is not about them."""
    await thread(store, root="📋 **Daily digest of #general**\n- Decided: exports are capped at 10,000 rows")
    assert ids(await recall.search("exports capped rows", GENERAL, ALICE_SEES)) == []
    assert ids(await recall.search("daily digest", GENERAL, ALICE_SEES)) == ["13"]


async def test_a_restart_reads_the_roots_vectors_back(store: Storage, recall: RecallService) -> None:
    await thread(store)
    assert ids(await recall.search("dashboard", GENERAL, ALICE_SEES)) == ["13"]
    embedder = HashEmbedder(dim=256)
    again = RecallService(recall_store(store), lambda: embedder)
    assert ids(await again.search("dashboard", GENERAL, ALICE_SEES)) == ["13"]
    assert embedder.embedded == ["dashboard"]  # the query only: Confab's post's first line was stored

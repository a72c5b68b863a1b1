"""Conversation search over the store, on SQLite and PostgreSQL: decisions found across channels, edits,
deletes, /forget and retention applied, private lines kept where they belong, and a restart that reads the
stored vectors back instead of embedding everything again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agent.memory.models import StoredMessage
from agent.recall.answer import render
from agent.recall.service import RecallService
from agent.storage.ports import Storage
from agent.storage.recall_store import recall_store
from tests.fakes.embedder import HashEmbedder
from tests.recall.conftest import TableAccess
from tests.storage.conftest import Opener

W = "slack:T1:"
GENERAL, RANDOM, SECRET, DM_ALICE, DM_BOB = (W + c for c in ("CGEN", "CRND", "GSEC", "DALICE", "DBOB"))
ALICE_SEES = TableAccess({GENERAL: "public", RANDOM: "public", SECRET: "private", DM_ALICE: "dm"})
BOB_SEES = TableAccess({GENERAL: "public", RANDOM: "public", DM_BOB: "dm"})


def said(channel: str, mid: str, text: str, author: str = "alice", ago_days: float = 1.0,
         thread: str | None = None) -> StoredMessage:
    return StoredMessage(channel, mid, f"U{author}", author, text, datetime.now(UTC) - timedelta(days=ago_days),
                         thread=thread)


async def history(store: Storage) -> None:
    for m in [said(GENERAL, "1", "How big should exports be? Some customers download millions of rows", "bob"),
              said(GENERAL, "2", "lunch is at noon today", "carol"),
              said(RANDOM, "3", "We decided to cap exports at 10,000 rows per file; bigger ones go by email",
                   "alice"),
              said(RANDOM, "4", "the office plants need water", "bob"),
              said(SECRET, "5", "salary bands for the platform team are approved", "alice"),
              said(DM_ALICE, "6", "alice: my passport renewal is next week", "alice")]:
        assert await store.messages.add(m)


def ids(result: object) -> list[str]:
    """The messages a reply shows: each hit, and the reply that settled it beneath it (test_settling.py)."""
    return [entry.message_id for hit in result.hits  # type: ignore[attr-defined]
            for entry in (hit.entry, hit.settled) if entry is not None]


async def test_a_decision_is_found_across_channels_first_with_its_link(store: Storage, recall: RecallService) -> None:
    await history(store)
    result = await recall.search("what did we decide about the export cap?", GENERAL, ALICE_SEES)
    assert ids(result)[0] == "3"
    assert result.hits[0].decision
    text = render(result, ALICE_SEES, GENERAL, decision=True)
    first = text.split("\n")[1]
    assert first.startswith("• **Decision** · alice in #crnd")
    assert "(https://chat.example/slack:T1:CRND/3)" in first
    assert "cap exports at 10,000 rows" in text


async def test_an_edited_message_is_found_by_its_new_words_only(store: Storage, recall: RecallService) -> None:
    await history(store)
    assert ids(await recall.search("office plants water", RANDOM, ALICE_SEES))[:1] == ["4"]
    await store.messages.edit(RANDOM, "4", "the quarterly roadmap review moved to Thursday", datetime.now(UTC))
    assert "4" not in ids(await recall.search("office plants water", RANDOM, ALICE_SEES))
    assert ids(await recall.search("roadmap review", RANDOM, ALICE_SEES))[:1] == ["4"]


async def test_a_deleted_message_is_never_found(store: Storage, recall: RecallService) -> None:
    await history(store)
    assert "2" in ids(await recall.search("lunch at noon", GENERAL, ALICE_SEES))
    await store.messages.delete(GENERAL, "2")
    assert "2" not in ids(await recall.search("lunch at noon", GENERAL, ALICE_SEES))
    # nor after a restart: its vector went with it
    again = RecallService(recall_store(store), recall._embedder)
    assert "2" not in ids(await again.search("lunch at noon", GENERAL, ALICE_SEES))


async def test_forget_and_retention_remove_messages_from_search(store: Storage, recall: RecallService) -> None:
    await history(store)
    await store.messages.add(said(GENERAL, "old", "the export cap was 500 rows back then", ago_days=40))
    keeping = RecallService(recall_store(store), recall._embedder)  # no retention yet
    assert {"3", "old"} <= set(ids(await keeping.search("export cap rows", GENERAL, ALICE_SEES)))
    assert "old" not in ids(await recall.search("export cap rows", GENERAL, ALICE_SEES))  # 30 days: too old
    await store.messages.forget(RANDOM)
    await store.messages.prune(30)
    for service in (keeping, recall):
        assert not {"3", "old"} & set(ids(await service.search("export cap rows", GENERAL, ALICE_SEES)))
    await recall.trim()
    again = RecallService(recall_store(store), recall._embedder, retention_days=30)
    assert not {"3", "old"} & set(ids(await again.search("export cap rows", GENERAL, ALICE_SEES)))


async def test_a_private_line_only_for_members_and_never_in_a_public_reply(store: Storage,
                                                                           recall: RecallService) -> None:
    await history(store)
    # a member asking in a public channel: not quoted there, only counted
    public = await recall.search("salary bands approved", GENERAL, ALICE_SEES)
    assert "5" not in ids(public) and public.hidden == 1
    assert "salary" not in render(public, ALICE_SEES, GENERAL, decision=False)
    # ... in the private channel itself, or in their DM with Confab: quoted
    assert "5" in ids(await recall.search("salary bands approved", SECRET, ALICE_SEES))
    assert "5" in ids(await recall.search("salary bands approved", DM_ALICE, ALICE_SEES))
    # a non-member, anywhere: neither quoted nor counted
    for here in (GENERAL, DM_BOB):
        outsider = await recall.search("salary bands approved", here, BOB_SEES)
        assert "5" not in ids(outsider) and outsider.hidden == 0


async def test_a_dm_line_only_for_its_participant(store: Storage, recall: RecallService) -> None:
    await history(store)
    assert "6" in ids(await recall.search("passport renewal", DM_ALICE, ALICE_SEES))
    assert "6" not in ids(await recall.search("passport renewal", GENERAL, ALICE_SEES))
    for here in (GENERAL, DM_BOB, DM_ALICE):  # Bob, even asking "in" Alice's DM, is refused
        assert "6" not in ids(await recall.search("passport renewal", here, BOB_SEES))


async def test_a_failing_access_check_refuses_everything(store: Storage, recall: RecallService) -> None:
    await history(store)
    broken = TableAccess(ALICE_SEES.table, fail=True)
    result = await recall.search("export cap", GENERAL, broken)
    assert result.hits == [] and result.hidden == 0 and broken.asked
    assert (await recall.search("export cap", GENERAL, None)).hits == []


async def test_a_restart_reads_the_stored_vectors_back(store: Storage, recall: RecallService, replica: Opener) -> None:
    await history(store)
    await recall.load()
    assert recall.embedded == 6
    reopened = await replica()  # the next process, on the same database
    embedder = HashEmbedder(dim=256)
    again = RecallService(recall_store(reopened), lambda: embedder)
    await reopened.messages.add(said(GENERAL, "7", "the export cap applies to CSV and XLSX alike"))
    result = await again.search("export cap", GENERAL, ALICE_SEES)
    assert {"3", "7"} <= set(ids(result))
    assert again.embedded == 1  # only the new message; and the queries
    assert [t for t in embedder.embedded if t != "export cap"] == ["the export cap applies to CSV and XLSX alike"]


async def test_another_process_changes_are_followed(store: Storage, recall: RecallService, replica: Opener) -> None:
    await history(store)
    await recall.load()
    other = await replica()
    await other.messages.add(said(GENERAL, "8", "we agreed to ship the invoice redesign in March"))
    await other.messages.delete(RANDOM, "3")
    assert await recall.sync() == 2
    assert ids(await recall.search("invoice redesign", GENERAL, ALICE_SEES))[:1] == ["8"]
    assert "3" not in ids(await recall.search("export cap", GENERAL, ALICE_SEES))


async def test_a_worker_takes_new_messages_vectors_from_the_indexer(store: Storage, replica: Opener) -> None:
    """With several processes only the indexer embeds: N workers used to embed every new message N times."""
    await history(store)
    indexer_embedder, worker_embedder = HashEmbedder(dim=256), HashEmbedder(dim=256)
    indexer = RecallService(recall_store(await replica()), lambda: indexer_embedder)
    await indexer.embed_stored()
    worker = RecallService(recall_store(store), lambda: worker_embedder, embeds=False, wait_s=60)
    await worker.load()
    assert worker.embedded == 0  # the history's vectors were stored by the indexer
    await store.messages.add(said(GENERAL, "9", "we agreed the export cap also covers the API"))
    assert "9" not in ids(await worker.search("export cap API", GENERAL, ALICE_SEES))  # waiting for its vector
    await indexer.embed_new()  # found now: beneath the question it settled ("How big should exports be? …")
    assert ids(await worker.search("export cap API", GENERAL, ALICE_SEES))[:2] == ["1", "9"]
    assert worker.embedded == 0 and indexer.embedded == 7
    assert set(worker_embedder.embedded) == {"export cap API"}  # the queries only


async def test_a_worker_embeds_a_message_itself_when_no_vector_comes(store: Storage, recall: RecallService) -> None:
    await history(store)
    embedder = HashEmbedder(dim=256)
    worker = RecallService(recall_store(store), lambda: embedder, embeds=False, wait_s=0.2)
    await worker.load()  # no indexer ran: the history is embedded now, as it is searched now
    assert worker.embedded == 6
    await store.messages.add(said(GENERAL, "9", "we agreed the export cap also covers the API"))
    assert "9" not in ids(await worker.search("export cap API", GENERAL, ALICE_SEES))
    await asyncio.sleep(0.25)
    assert ids(await worker.search("export cap API", GENERAL, ALICE_SEES))[:2] == ["1", "9"]
    assert worker.embedded == 7


async def test_the_asking_message_and_requests_to_confab_are_no_hits(store: Storage, recall: RecallService) -> None:
    for m in [said(GENERAL, "10", "@confab what did we decide about the export cap?", "bob"),
              said(GENERAL, "11", "@confab fyi we agreed to cap exports at 10,000 rows", "carol"),
              said(GENERAL, "12", "@confab /recall export cap", "bob"),
              said(DM_ALICE, "13", "did we settle the export cap?", "alice"),
              said(DM_ALICE, "14", "note to self: export cap talk with carol tomorrow", "alice"),
              said(GENERAL, "15", "what did we decide on the export cap?", "dan", ago_days=0.0)]:
        assert await store.messages.add(m)
    found = ids(await recall.search("what did we decide on the export cap?", DM_ALICE, ALICE_SEES, asked=None))
    assert "15" in found  # a question between people is what people said
    found = ids(await recall.search("what did we decide on the export cap?", GENERAL, ALICE_SEES, asked="15"))
    assert set(found) == {"11"}  # told to Confab: stays
    assert set(ids(await recall.search("export cap", DM_ALICE, ALICE_SEES))) == {"11", "14", "15"}


async def test_a_decision_in_other_words_than_the_question_is_found_through_the_talk(store: Storage,
                                                                                       recall: RecallService) -> None:
    """The decision names the option chosen, as the talk before it did, not the words asked weeks later: the talk
    the question matches leads to it, before a decision on another topic that shares a word ("call")."""
    talk = ["my vote on the video tool is Google Meet", "should we go with Zoom for the video tool?",
            "Zoom for the video tool sounds risky to me", "the video tool: Google Meet vs Zoom, thoughts?",
            "customers keep asking about the video tool", "my vote on the video tool is Around"]
    messages = [said(GENERAL, str(i), text, "bob", ago_days=3 - i / 10) for i, text in enumerate(talk)]
    messages += [said(RANDOM, "20", "Final call: on-call rotates weekly on Mondays", "carol", ago_days=2),
                 said(RANDOM, "21", "Decision: we standardise on Google Meet and cancel the Zoom licenses", "dan",
                      ago_days=2),
                 said(RANDOM, "22", "lunch is at noon, the call with legal moved to 3", "erin", ago_days=1)]
    for m in messages:
        assert await store.messages.add(m)
    result = await recall.search("which video call tool are we keeping?", GENERAL, ALICE_SEES)
    assert ids(result)[0] == "21" and result.hits[0].decision

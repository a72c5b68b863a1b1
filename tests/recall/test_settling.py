"""A question or proposal found by conversation search is shown with the reply that settled it (in its thread,
or among the next messages of the channel), quoted with its link as hits are, and read as hits are: a reply
deleted or in a thread the asker may not read is never shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agent.recall.answer import for_model, render
from agent.recall.service import RecallService
from agent.storage.ports import Storage
from agent.storage.recall_store import recall_store
from tests.recall.conftest import TableAccess
from tests.recall.test_search import ALICE_SEES, GENERAL, RANDOM, ids, said


def settled(result: object) -> dict[str, str | None]:
    return {hit.entry.message_id: hit.settled and hit.settled.message_id  # type: ignore[attr-defined]
            for hit in result.hits}  # type: ignore[attr-defined]


async def thread_history(store: Storage) -> None:
    for m in [said(GENERAL, "1", "cap CSV exports at 50k rows?", "bob", ago_days=3.0),
              said(GENERAL, "2", "hmm what do the big customers export today?", "dan", ago_days=2.9, thread="1"),
              said(GENERAL, "3", "agreed, ship it", "carol", ago_days=2.8, thread="1"),
              said(GENERAL, "4", "lunch is at noon today", "erin", ago_days=2.7),
              said(RANDOM, "5", "the office plants need water", "bob", ago_days=2.5)]:
        assert await store.messages.add(m)


async def test_the_reply_that_settled_a_proposal_in_its_thread_is_shown_beside_it(store: Storage,
                                                                                  recall: RecallService) -> None:
    await thread_history(store)
    result = await recall.search("export cap", GENERAL, ALICE_SEES)
    assert settled(result)["1"] == "3"  # "agreed, ship it" repeats none of the topic's words
    assert ids(result).count("3") == 1  # shown once, beside its proposal
    text = render(result, ALICE_SEES, GENERAL, decision=False)
    assert "  ↳ settled by carol, " in text and "(https://chat.example/slack:T1:CGEN/3):\n    > agreed, ship it" in text
    data = for_model(result, ALICE_SEES, GENERAL, decision=False)
    assert 'link="https://chat.example/slack:T1:CGEN/3" settles="1">\nagreed, ship it' in data


async def test_asked_what_was_decided_the_settled_proposal_leads_with_its_reply(store: Storage,
                                                                              recall: RecallService) -> None:
    await thread_history(store)
    result = await recall.search("what did we decide about the CSV export cap?", GENERAL, ALICE_SEES)
    assert settled(result)["1"] == "3" and ids(result)[:2] == ["1", "3"]
    lines = render(result, ALICE_SEES, GENERAL, decision=True).split("\n")
    assert lines[1].startswith("• bob in this channel") and lines[3].startswith("  ↳ **Decision** · settled by carol")


async def test_without_a_thread_the_next_messages_on_its_subject_settle_it(store: Storage,
                                                                           recall: RecallService) -> None:
    for m in [said(GENERAL, "1", "should we move the standup to 10?", "bob", ago_days=3.0),
              said(GENERAL, "2", "sounds good", "carol", ago_days=2.99),  # a yes to a proposal, right after it
              said(GENERAL, "3", "how about we rename the billing channel?", "dan", ago_days=2.9),
              said(GENERAL, "4", "the build is green again", "erin", ago_days=2.89),
              said(GENERAL, "5", "we decided to pin the node version", "erin", ago_days=2.88),  # another subject
              said(GENERAL, "6", "what's the export cap for PDFs?", "gus", ago_days=2.8),
              said(GENERAL, "7", "in a thread of its own: the PDF export cap is decided, 200 pages", "hana",
                   ago_days=2.79, thread="99"),
              said(GENERAL, "8", "Decision: the PDF export cap is 300 pages", "ivan", ago_days=2.78),
              said(GENERAL, "9", "ok final call, the PDF export cap is 250 pages", "jo", ago_days=2.77)]:
        assert await store.messages.add(m)
    assert settled(await recall.search("standup", GENERAL, ALICE_SEES)).get("1") == "2"
    assert settled(await recall.search("billing channel", GENERAL, ALICE_SEES)).get("3") is None
    assert settled(await recall.search("export cap for PDFs", GENERAL, ALICE_SEES)).get("6") == "9"  # the last word


async def test_a_settling_reply_is_read_as_a_hit_is(store: Storage, recall: RecallService) -> None:
    await thread_history(store)

    class NoThreads(TableAccess):
        async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
            return dict.fromkeys(threads, False)  # a Discord private thread the asker is not in

    refused = await recall.search("export cap", GENERAL, NoThreads(ALICE_SEES.table))
    assert settled(refused) == {"1": None} and "ship it" not in render(refused, ALICE_SEES, GENERAL, False)
    await store.messages.delete(GENERAL, "3")
    assert settled(await recall.search("export cap", GENERAL, ALICE_SEES))["1"] is None
    await store.messages.forget(GENERAL)
    assert ids(await recall.search("export cap", GENERAL, ALICE_SEES)) == []


async def test_retention_removes_a_settled_proposal_with_its_reply(store: Storage,
                                                                recall: RecallService) -> None:
    for m in [said(RANDOM, "1", "should we cap CSV exports at 50k rows?", "bob", ago_days=40),
              said(RANDOM, "2", "agreed, ship it", "carol", ago_days=39, thread="1")]:
        assert await store.messages.add(m)
    keeping = RecallService(recall_store(store), recall._embedder)  # no retention
    assert ids(await keeping.search("export cap", GENERAL, ALICE_SEES)) == ["1", "2"]
    assert ids(await recall.search("export cap", GENERAL, ALICE_SEES)) == []  # 30 days: too old, both
    await store.messages.prune(30)
    assert ids(await keeping.search("export cap", GENERAL, ALICE_SEES)) == []

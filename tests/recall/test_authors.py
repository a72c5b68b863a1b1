"""Searching one person's messages ("/recall from:@bob export cap", "what did bob say about the export cap?"), on
SQLite and PostgreSQL: only their lines are ranked, a mention is matched by the stored user id and a name by the
stored author name, the filter never widens what the asker may read, and someone unknown gets a clear answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.memory.models import StoredMessage
from agent.recall.answer import render
from agent.recall.authors import AuthorAsked, AuthorQuery, names_someone, parse
from agent.recall.service import RecallService
from agent.storage.ports import Storage
from tests.recall.conftest import TableAccess

W = "slack:T1:"
GENERAL, RANDOM, SECRET, DM_ALICE, DM_BOB = (W + c for c in ("CGEN", "CRND", "GSEC", "DALICE", "DBOB"))
ALICE_SEES = TableAccess({GENERAL: "public", RANDOM: "public", SECRET: "private", DM_ALICE: "dm"})
BOB_SEES = TableAccess({GENERAL: "public", RANDOM: "public", DM_BOB: "dm"})
PEOPLE = {"alice": ("U0ALICE", "Alice Liddell"), "bob": ("U0BOB", "Bob"), "carol": ("U0CAROL", "carol"),
          "bobby": ("U0BOBBY", "Bobby Tables")}


def said(channel: str, mid: str, text: str, who: str, ago_hours: float = 24.0) -> StoredMessage:
    user_id, name = PEOPLE[who]
    return StoredMessage(channel, mid, user_id, name, text, datetime.now(UTC) - timedelta(hours=ago_hours))


async def history(store: Storage) -> None:
    for m in [said(GENERAL, "1", "I think the export cap should be 10,000 rows per file", "bob", 30),
              said(GENERAL, "2", "The export cap of 10,000 rows is too low for enterprise customers", "alice", 29),
              said(RANDOM, "3", "We decided to cap exports at 10,000 rows; bigger ones go by email", "alice", 28),
              said(RANDOM, "4", "export cap aside, the CSV encoding is broken for umlauts", "bob", 27),
              said(GENERAL, "5", "the migration to Postgres 16 runs on Saturday night", "bob", 5),
              said(GENERAL, "6", "ok", "bob", 4),
              said(RANDOM, "7", "export cap: can we raise it for the API?", "bobby", 3),
              said(SECRET, "8", "between us, the export cap for enterprise is secretly 50,000 rows", "alice", 2),
              said(SECRET, "9", "carol here: the enterprise export cap stays secret", "carol", 2),
              said(DM_ALICE, "10", "note to self: the export cap talk with legal is on Friday", "alice", 1)]:
        assert await store.messages.add(m)


def ids(result: object) -> list[str]:
    return [hit.entry.message_id for hit in result.hits]  # type: ignore[attr-defined]


def test_an_author_is_read_from_recall_and_from_questions() -> None:
    assert parse("from:@bob export cap") == AuthorQuery("export cap", AuthorAsked(None, "bob"))
    assert parse("export cap from:<@U0BOB>") == AuthorQuery("export cap", AuthorAsked("U0BOB", ""))
    assert parse("from:<@U0BOB|bob> export cap") == AuthorQuery("export cap", AuthorAsked("U0BOB", "bob"))
    assert parse("from:<@!1234> export cap").author == AuthorAsked("1234", "")  # Discord's nickname mention
    assert parse('from:"Alice Liddell" cap').author == AuthorAsked(None, "Alice Liddell")
    assert parse("what did bob say about the export cap?") == AuthorQuery("the export cap", AuthorAsked(None, "bob"))
    assert parse("what has @Bob said about the migration?") == AuthorQuery("the migration",
                                                                            AuthorAsked(None, "Bob"))
    assert parse("what did alice write on exports", "U0ME").topic == "exports"
    assert parse("what did bob say?") == AuthorQuery("", AuthorAsked(None, "bob"))
    assert parse("what did I post about the cap?", "U0ME").author == AuthorAsked("U0ME", "you")
    for everyone in ("what did we decide about the export cap?", "what did you say about it?",
                     "what did the docs say about refunds?", "export cap"):
        assert parse(everyone) == AuthorQuery(everyone, None)
    assert parse("invoices from: the vendor").author is None  # no filter: "from:" is followed by the person
    assert parse("cap from:").author == AuthorAsked(None, "")  # names no one: /recall answers with its usage
    assert names_someone("@confab what did alice say about the migration?")
    assert not names_someone("what did the team say about it?")
    # asked yes-or-no, as people do
    assert parse("did bob say anything about the export cap?") == AuthorQuery("the export cap",
                                                                               AuthorAsked(None, "bob"))
    assert parse("has alice written anything on the migration?").author == AuthorAsked(None, "alice")
    for no_one in ("did we say anything about it?", "has anyone said something about refunds?",
                   "did bob deploy anything today?"):
        assert parse(no_one).author is None and not names_someone(no_one)
    # what someone decided, suggested or thought is theirs too, and a decision keeps asking for one (it searched
    # everyone's messages: "what did ana decide about the replica?" led with ben's line); and asked in the passive
    assert parse("what did ana decide about the replica?") == AuthorQuery("decided the replica",
                                                                          AuthorAsked(None, "ana"))
    assert parse("what did bob suggest for the offsite?") == AuthorQuery("the offsite", AuthorAsked(None, "bob"))
    assert parse("what was said by bob about the proxy?") == AuthorQuery("the proxy", AuthorAsked(None, "bob"))
    assert parse("anything written by @bob on the migration?").author == AuthorAsked(None, "bob")
    assert parse("what was said by bob?") == AuthorQuery("", AuthorAsked(None, "bob"))
    assert parse("what was decided by the team about it?").author is None


async def test_only_the_persons_messages_are_ranked(store: Storage, recall: RecallService) -> None:
    await history(store)
    everyone = await recall.search("export cap", GENERAL, ALICE_SEES)
    assert {"1", "2", "3"} <= set(ids(everyone))
    for bob in (AuthorAsked(None, "bob"), AuthorAsked(None, "BOB"), AuthorAsked(None, "@Bob"),
                AuthorAsked("U0BOB", "")):
        result = await recall.search("export cap", GENERAL, ALICE_SEES, author=bob)
        assert set(ids(result)) == {"1", "4"} and result.author == "Bob", bob
    text = render(await recall.search("export cap", GENERAL, ALICE_SEES, author=AuthorAsked("U0BOB", "")),
                  ALICE_SEES, GENERAL, decision=False)
    assert text.startswith("What Bob said about that") and "too low for enterprise" not in text
    assert "<@" not in text
    # a first name finds the display name it starts ("Alice Liddell"); an exact name wins over a first word
    alice = await recall.search("export cap", GENERAL, ALICE_SEES, author=AuthorAsked(None, "alice"))
    assert set(ids(alice)) >= {"2", "3"} and not {"1", "4", "7"} & set(ids(alice))
    assert "7" not in ids(await recall.search("export cap", GENERAL, ALICE_SEES, author=AuthorAsked(None, "bob")))


async def test_without_a_topic_their_most_recent_lines_that_say_something(store: Storage,
                                                                          recall: RecallService) -> None:
    await history(store)
    result = await recall.search("", GENERAL, ALICE_SEES, author=AuthorAsked(None, "bob"))
    assert ids(result) == ["5", "4", "1"]  # newest first; "ok" says nothing
    assert render(result, ALICE_SEES, GENERAL, decision=False).startswith("The most recent messages from Bob")


async def test_an_author_filter_never_widens_what_the_asker_may_see(store: Storage, recall: RecallService) -> None:
    await history(store)
    carol = AuthorAsked(None, "carol")
    # Bob is not in the private channel carol wrote in: she is unknown to him, not even counted
    for here in (GENERAL, DM_BOB, SECRET):
        outsider = await recall.search("export cap", here, BOB_SEES, author=carol)
        assert outsider.hits == [] and outsider.hidden == 0 and outsider.unknown_author
        assert render(outsider, BOB_SEES, here, False).startswith(
            "I found no messages from carol in channels you can read.")
        newest = await recall.search("", here, BOB_SEES, author=carol)
        assert newest.hits == [] and newest.hidden == 0 and newest.unknown_author
    # Alice's private and DM lines: Bob never gets them, by topic or as her latest lines
    for topic in ("export cap enterprise secretly", "export cap legal", ""):
        found = await recall.search(topic, GENERAL, BOB_SEES, author=AuthorAsked("U0ALICE", ""))
        assert not {"8", "10"} & set(ids(found)) and found.hidden == 0
    # Alice, asking in a public channel: her private lines counted, not quoted; in her DM, quoted
    public = await recall.search("", GENERAL, ALICE_SEES, author=AuthorAsked(None, "alice"))
    assert ids(public) == ["3", "2"] and public.hidden == 2
    assert "secretly" not in render(public, ALICE_SEES, GENERAL, False)
    mine = await recall.search("", DM_ALICE, ALICE_SEES, author=AuthorAsked(None, "alice"))
    assert ids(mine)[:2] == ["10", "8"]
    assert "9" in ids(await recall.search("enterprise export cap", SECRET, ALICE_SEES, author=carol))
    # and an access check that fails still refuses everything
    broken = TableAccess(ALICE_SEES.table, fail=True)
    refused = await recall.search("export cap", GENERAL, broken, author=AuthorAsked(None, "bob"))
    assert refused.hits == [] and refused.unknown_author


async def test_someone_unknown_gets_a_short_clear_answer(store: Storage, recall: RecallService) -> None:
    await history(store)
    for asked in (AuthorAsked(None, "zed"), AuthorAsked("U0NOBODY", "")):
        result = await recall.search("export cap", GENERAL, ALICE_SEES, author=asked)
        text = render(result, ALICE_SEES, GENERAL, decision=False)
        assert text == f"I found no messages from {asked.label} in channels you can read."
    nothing = await recall.search("office plants", GENERAL, ALICE_SEES, author=AuthorAsked(None, "bob"))
    assert render(nothing, ALICE_SEES, GENERAL, False) == (
        "I found nothing from Bob about that in the conversations I may quote here.")


async def test_deleted_and_edited_lines_follow_the_author(store: Storage, recall: RecallService) -> None:
    await history(store)
    await store.messages.edit(GENERAL, "1", "the roadmap review moved to Thursday", datetime.now(UTC))
    bob = AuthorAsked(None, "bob")
    assert ids(await recall.search("roadmap review", GENERAL, ALICE_SEES, author=bob)) == ["1"]
    assert "1" not in ids(await recall.search("export cap", GENERAL, ALICE_SEES, author=bob))
    for mid, channel in (("1", GENERAL), ("4", RANDOM), ("5", GENERAL), ("6", GENERAL)):
        await store.messages.delete(channel, mid)
    assert (await recall.search("", GENERAL, ALICE_SEES, author=bob)).unknown_author  # none of his lines is left
    assert recall.index is not None and "U0BOB" not in recall.index.authors([GENERAL, RANDOM])


async def test_what_someone_decided_leads_with_their_decision(store: Storage, recall: RecallService) -> None:
    """"what did alice decide about the export cap?" is her messages, the one that settled it first."""
    await history(store)
    asked = parse("what did alice decide about the export cap?")
    result = await recall.search(asked.topic, GENERAL, ALICE_SEES, author=asked.author)
    assert ids(result)[0] == "3" and not {"1", "4", "7"} & set(ids(result))

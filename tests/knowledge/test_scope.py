"""A channel's knowledge scope (``/confab settings knowledge``), offline, through the chat harness with the real
local embedder and index: #billing answers from knowledge/billing/ only and says honestly when its documents
don't cover a question; other channels search everything; folders outside the knowledge folder are refused."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from agent.knowledge.chunking import chunk_text
from agent.knowledge.index import HybridIndex
from bot.adapter import Capabilities
from tests.fakes.harness import Bot, RecordingAdapter, open_bot
from tests.knowledge.kb_files import write

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge"

INVOICES = """# Invoices

Invoices are emailed to the account owner on the first business day of each month, as a PDF.
A refund goes back to the card that paid, within 14 days of the request; ask the billing desk for one.

# Payment methods

We accept card payments and bank transfers; annual plans can also pay by purchase order.
"""
DEPLOY = """# Deploying the API

The API is deployed with the blue-green script `scripts/deploy.sh` from the main branch once CI is green.
A bad release is rolled back with `scripts/rollback.sh`, which switches traffic to the previous colour.

# On-call

The on-call engineer rotates every Monday; the rota is in the engineering calendar.
"""
ROLLBACK = "@confab how do we roll back a bad release of the API?"
INVOICE = "@confab when are invoices emailed?"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    """The shipped docs at the top of the knowledge folder, plus billing/ and eng/ folders."""
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    write(tmp_path / "knowledge", "billing/invoices.md", INVOICES)
    write(tmp_path / "knowledge", "eng/deploy.md", DEPLOY)
    adapter = RecordingAdapter(capabilities=Capabilities(max_chars=4000))
    async with open_bot(tmp_path, adapter=adapter) as chat:
        await chat.deps.knowledge.reindex()
        yield chat


async def scope(bot: Bot, value: str, channel: str = "billing") -> str:
    return (await bot.command("confab", f"settings knowledge {value}", channel=channel, admin=True))[0].text


async def test_a_scoped_channel_answers_from_its_folders_only(bot: Bot) -> None:
    assert "Sources: [1] eng/deploy.md" in await bot.say(ROLLBACK, channel="billing")  # no scope yet: everything
    assert "now searches only `billing/`" in await scope(bot, "billing")
    assert await bot.deps.store.channel_settings.get("test:T1:billing", "knowledge") == ["billing"]

    reply = await bot.say(INVOICE, channel="billing", user="bob")
    assert reply.startswith("From the docs:") and "Sources: [1] billing/invoices.md › Invoices" in reply
    # the answer is only outside the scope: said so, nothing of eng/ quoted or named
    reply = await bot.say(ROLLBACK, channel="billing", user="carol")
    assert "This channel's documents don't cover that" in reply and "`billing/`" in reply
    assert "rollback.sh" not in reply and "eng/" not in reply and "Sources" not in reply
    reply = await bot.say("@confab what is the retention period?", channel="billing", user="dave")  # a top-level doc
    assert "don't cover that" in reply and "privacy.md" not in reply
    # another channel searches everything, and still finds it
    assert "Sources: [1] eng/deploy.md › Deploying the API" in await bot.say(ROLLBACK, channel="general", user="erin")
    # a thread follows its channel
    reply = await bot.say(ROLLBACK, channel="billing", thread="t1", user="frank")
    assert "don't cover that" in reply and "rollback.sh" not in reply
    [asked] = await bot.command("ask", ROLLBACK.removeprefix("@confab "), channel="billing", user="hank")  # /ask
    assert "don't cover that" in asked.text and "rollback.sh" not in asked.text
    # `all` searches everything again
    assert "whole knowledge base again" in await scope(bot, "all")
    assert "Sources: [1] eng/deploy.md" in await bot.say(ROLLBACK, channel="billing", user="gus")


async def test_several_folders_and_the_docs_way_of_naming_them(bot: Bot) -> None:
    assert "only `billing/`, `eng/`" in await scope(bot, "knowledge/billing/, eng")
    assert await bot.deps.store.channel_settings.get("test:T1:billing", "knowledge") == ["billing", "eng"]
    assert "Sources: [1] eng/deploy.md" in await bot.say(ROLLBACK, channel="billing")
    assert "Sources: [1] billing/invoices.md" in await bot.say(INVOICE, channel="billing", user="bob")


async def test_folder_names_with_spaces(bot: Bot, tmp_path: Path) -> None:
    write(tmp_path / "knowledge", "team docs/faq.md", "# FAQ\n\nThe office closes at six on Fridays.\n")
    assert "only `team docs/`" in await scope(bot, "team docs")
    assert "only `team docs/`, `billing/`" in await scope(bot, "team docs, billing")
    assert "only `billing/`, `eng/`" in await scope(bot, "billing eng")  # no such folder as "billing eng": two
    assert "`billing eng`: no such folder" in await scope(bot, "billing eng, team docs")


async def test_a_folder_emptied_later_says_so(bot: Bot, tmp_path: Path) -> None:
    write(tmp_path / "knowledge", "legal/terms.md", "# Terms\n\nThe terms of service are reviewed every year.\n")
    await bot.deps.knowledge.reindex()
    await scope(bot, "legal")
    (tmp_path / "knowledge" / "legal" / "terms.md").unlink()
    await bot.deps.knowledge.reindex()
    reply = await bot.say(INVOICE, channel="billing")
    assert "searches only `" in reply and "no documents there" in reply and "Sources" not in reply


async def test_folders_outside_the_knowledge_folder_are_refused(bot: Bot, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.md", "# Secret\n\nThe vault code is 1234.\n")
    os.symlink(outside, tmp_path / "knowledge" / "linked")
    os.symlink(tmp_path / "knowledge" / "billing", tmp_path / "knowledge" / "money")  # inside, but a link
    write(tmp_path / "knowledge", "notes.md", "# Notes\n")
    for value in ("../outside", "/etc", str(outside), "billing/../../outside", "linked", "money", ".", "..",
                  "nope", "notes.md", "C:\\Windows", "~root", ".hidden", "b\x00illing", "x" * 300):
        reply = await scope(bot, value)
        assert reply.startswith("I can't limit this channel to that.") and "Nothing was changed" in reply, value
        assert "Folders of the knowledge folder: `billing`, `eng`." in reply, value  # the links are not offered
        assert await bot.deps.store.channel_settings.get("test:T1:billing", "knowledge") is None, value
    assert "no such folder" in await scope(bot, "nope")
    assert "link" in await scope(bot, "money")
    assert "Usage" in await scope(bot, "")
    assert "more than 20 folders" in await scope(bot, ",".join(["billing"] * 21))
    # a refused folder among good ones changes nothing
    assert "`nope`" in await scope(bot, "billing, nope")
    assert await bot.deps.store.channel_settings.get("test:T1:billing", "knowledge") is None


async def test_only_admins_set_the_scope(bot: Bot) -> None:
    reply = (await bot.command("confab", "settings knowledge billing", channel="billing"))[0]
    assert reply.text.startswith("Only admins can use `/confab settings`") and reply.ephemeral
    assert await bot.deps.store.channel_settings.get("test:T1:billing", "knowledge") is None
    assert "Sources: [1] eng/deploy.md" in await bot.say(ROLLBACK, channel="billing")


async def test_settings_show_the_scope_and_instructions(bot: Bot) -> None:
    shown = (await bot.command("confab", "settings", channel="billing"))[0].text
    assert "• `knowledge` = all (the whole knowledge base)" in shown and "• `instructions` = not set" in shown
    await scope(bot, "billing,eng")
    await bot.command("confab", "settings instructions Answer in French.\nKeep it short.", channel="billing",
                      admin=True)
    shown = (await bot.command("confab", "settings", channel="billing", user="bob"))[0].text
    assert "• `knowledge` = `billing/`, `eng/`" in shown
    assert "• `instructions` (32 characters) (not used offline: no model configured):\n> Answer in French.\n" \
           "> Keep it short." in shown
    assert "• `spam_policy`" in shown  # with the others
    # another channel's are its own
    shown = (await bot.command("confab", "settings", channel="general"))[0].text
    assert "`knowledge` = all" in shown and "`instructions` = not set" in shown


async def test_instructions_offline_are_stored_and_said_not_to_change_wording(bot: Bot) -> None:
    reply = (await bot.command("confab", "settings instructions Always answer in French.", channel="billing",
                               admin=True))[0].text
    assert reply.startswith("Set this channel's instructions (24 characters).") and "offline" in reply
    assert "knowledge folders apply either way" in reply
    # offline answers are quotes from the docs, as before
    assert "Sources: [1] billing/invoices.md" in await bot.say(INVOICE, channel="billing")


def test_scoped_retrieval_ranks_and_judges_within_the_scope() -> None:
    """The index itself: a scope leaves other folders' chunks out of both rankings (a folder named like the
    scope's is another folder); the answer's competition is still the whole collection's, so a better passage
    outside the scope leaves no gap (the question looks as unanswered here as it is)."""
    chunks = [*chunk_text("billing/a.md", INVOICES), *chunk_text("eng/b.md", DEPLOY),
              *chunk_text("billing-old/c.md", "# Old\n\nInvoices were faxed to the owner, long ago.\n")]
    topic = {"billing/a.md": 0, "eng/b.md": 1, "billing-old/c.md": 2}
    vectors = np.zeros((len(chunks), 8), dtype=np.float32)
    for n, chunk in enumerate(chunks):
        vectors[n, topic[chunk.source]], vectors[n, 3 + n] = 1.0, 0.2
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = HybridIndex(chunks, vectors, {}, "test:topics")
    query = "how do we roll back a release of the API?"
    vector = np.array([0.3, 0.9, 0.3, 0, 0, 0, 0, 0], dtype=np.float32)
    everywhere = index.search(query, vector, 3)
    assert everywhere.hits[0].chunk.source == "eng/b.md" and everywhere.signals.gap > 0
    scoped = index.search(query, vector, 10, scope=("billing",))
    assert scoped.hits and {h.chunk.source for h in scoped.hits} == {"billing/a.md"}
    assert scoped.signals.similarity < everywhere.signals.similarity and scoped.signals.gap < 0
    # the invoices question, in scope: the best there, standing out
    invoices = index.search("when are invoices emailed?", np.array([1, 0.1, 0.2, 0, 0, 0, 0, 0], dtype=np.float32),
                            3, scope=("billing",))
    assert invoices.hits[0].chunk.source == "billing/a.md" and invoices.signals.gap > 0
    assert index.search(query, vector, 3, scope=("legal",)).hits == []

"""Everyday questions about Confab, offline, through the chat harness with the real local embedder and index:
answered with the sentences that answer them (whole sentences, cited to their lines), refused only when the
docs don't cover them, and follow-ups in a thread searched with the thread's context."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from agent.knowledge.chunking import chunk_text
from agent.knowledge.ranking import Hit, quote_hits
from agent.words import content_words
from bot.adapter import Capabilities
from tests.fakes.harness import Bot, Chat, RecordingAdapter
from tests.fakes.harness import open_bot as open_any_bot
from tests.knowledge.kb_files import write

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge"


@asynccontextmanager
async def open_bot(tmp_path: Path, **capabilities: Any) -> AsyncIterator[Bot]:
    adapter = RecordingAdapter(capabilities=Capabilities(max_chars=4000, **capabilities))
    async with open_any_bot(tmp_path, adapter=adapter) as bot:
        await bot.deps.knowledge.reindex()  # built up front: no first answer waits on it
        yield bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Chat]:
    """The shipped docs behind a Slack-like adapter: answering a mention starts a thread the bot follows."""
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path, replies_in_thread=True) as chat:
        yield chat


def lines_of(file: str, quote: str) -> str:
    """Where ``quote`` sits in the shipped ``file``, as a citation says it ("line 8", "lines 16-17")."""
    lines = (SAMPLE / file).read_text("utf-8").splitlines()
    words = " ".join(quote.split())
    flat = [" ".join(line.split()) for line in lines]
    first = next(i for i, line in enumerate(flat) if words[:40] in line)
    last = next(i for i in range(first, len(flat)) if words[-12:] in flat[i])
    return f"line {first + 1}" if first == last else f"lines {first + 1}-{last + 1}"


def quotes(reply: str) -> list[str]:
    """The quoted passages of an offline answer, without '> ' and their [n] marker."""
    body = reply.split("\n\nSources:")[0]
    return [re.sub(r"\s*\[\d+\]$", "", "\n".join(line[2:] for line in block.splitlines()))
            for block in body.split("\n\n") if block.startswith(">")]


async def test_an_everyday_question_gets_the_sentences_that_answer_it(bot: Chat) -> None:
    reply = await bot.say("@confab what is the retention period?")
    # refused before: the docs name it CONFAB_RETENTION_DAYS, and the setting's name was one opaque word
    assert reply.startswith("From the docs:")
    assert quotes(reply)[0] == ("Messages older than `CONFAB_RETENTION_DAYS` (90 days by default) are deleted "
                                "automatically. Set it to 0 to keep everything.")
    assert f"Sources: [1] privacy.md › How long ({lines_of('privacy.md', quotes(reply)[0])})" in reply
    # one line of a list of settings, not the whole section
    reply = await bot.say("@confab how do I get citations as links?")
    assert quotes(reply) == ["- `CONFAB_KNOWLEDGE_BASE_URL`: where the folder can be browsed (for example a GitHub "
                             "URL); then\n  citations link to the file and lines."]
    where = lines_of("configuration.md", quotes(reply)[0])
    assert reply.endswith(f"Sources: [1] configuration.md › Knowledge ({where})")


async def test_a_question_the_docs_do_not_cover_is_not_answered(bot: Chat) -> None:
    for question in ("what's the wifi password?", "how much does the enterprise plan cost?"):
        reply = await bot.say(f"@confab {question}")
        assert "doesn't cover that" in reply and "Sources" not in reply
    # "say" is the question's frame, not its topic: a doc line that "says" something is no answer (these were
    # answered from "The thread of an answer on Slack says what Confab is doing …"); they are about the channel
    for question in ("what did I say?", "what did he say about it?"):
        assert (await bot.deps.knowledge.search(question)).abstained, question  # type: ignore[attr-defined]
        reply = await bot.say(f"@confab {question}")
        assert "From the docs" not in reply and "Sources" not in reply


async def test_the_products_own_name_is_no_sign_that_the_docs_cover_a_question(bot: Chat) -> None:
    """"confab" is in nearly every section of the docs, so it is no evidence that a question is covered; counted,
    these were answered from the overview and the local set-up (relevance 0.68 and 0.47, threshold 0.4)."""
    for question in ("does confab support Microsoft Teams?", "does confab run on windows?"):
        reply = await bot.say(f"@confab {question}")
        assert "doesn't cover that" in reply and "Sources" not in reply, question
    # the product's name in a covered question still finds its answer
    reply = await bot.say("@confab how do I run Confab under systemd?")
    assert "Sources: [1] deployment.md › systemd" in reply


async def test_a_question_of_only_the_products_name_is_ranked_by_meaning(bot: Chat) -> None:
    """"what is confab?": ranked by words, "confab" (in nearly every section) ordered the passages by their length,
    and the answer quoted "Mention it: `@confab what can you do?`"; by meaning, the overview's opening leads."""
    reply = await bot.say("@confab what is confab?")
    assert "Confab is an open-source team assistant for chat" in reply.split("Sources:")[0], reply
    assert "Mention it" not in reply


async def test_a_follow_up_in_a_thread_is_searched_with_the_thread(bot: Chat) -> None:
    await bot.say("@confab how do I run Confab under systemd?", id="root")
    reply = await bot.say("where does it keep its data then?", thread="root")  # no mention: a followed thread
    assert quotes(reply)[0].startswith("The service keeps its data in `/var/lib/confab`")
    assert f"Sources: [1] deployment.md › systemd ({lines_of('deployment.md', quotes(reply)[0])})" in reply
    assert "privacy.md" not in reply  # the question alone reads as "what does Confab store?"
    # a question that names its subject is searched as asked, context or not
    reply = await bot.say("how do I add the bot to our discord server?", thread="root")
    assert "Sources: [1] deployment.md › Discord" in reply
    # "it" is Confab in these: the thread's systemd question must not take the answer over
    for n, question in enumerate(("does it need an API key?", "how do I set it up on discord?")):
        asker = f"user{n}"  # the same question again from the same person would look like flooding
        await bot.say("@confab how do I run Confab under systemd?", id=f"root{n}", user=asker)
        reply = await bot.say(question, thread=f"root{n}", user=asker)
        assert "systemd" not in reply and re.search(r"API key|API_KEY|DISCORD_TOKEN", quotes(reply)[0])


async def test_a_follow_up_that_only_says_what_to_do_to_it_is_about_the_thread(bot: Chat) -> None:
    """"can I change it?" has no topic of its own: the retention period it points at is the thread's. It was
    told the docs don't cover it (the answer found with the thread lacks the word "change"), and "how do I turn
    it off?" quoted how help channels are turned off."""
    for n, question in enumerate(("can I change it?", "how do I turn it off?")):
        asker = f"user{n}"
        await bot.say("@confab what is the retention period?", id=f"root{n}", user=asker)
        reply = await bot.say(question, thread=f"root{n}", user=asker)
        assert "CONFAB_RETENTION_DAYS" in quotes(reply)[0], (question, reply)
        assert "Help channels" not in reply
    # a follow-up naming a topic of its own is still answered alone when the thread's answer lacks it
    await bot.say("@confab how do I run Confab under systemd?", id="root9", user="user9")
    reply = await bot.say("can I delete them on discord?", thread="root9", user="user9")
    assert "systemd" not in reply


async def test_a_thread_keeps_its_topic_past_small_talk_and_earlier_follow_ups(bot: Chat) -> None:
    await bot.say("@confab how do I run it under systemd?", id="root")
    assert await bot.say("ok, I'll set it up tomorrow", thread="root") == ""  # small talk: no reply
    reply = await bot.say("and how do I see its logs?", thread="root")
    # refused before: the context was the small talk, not the question the thread is about
    assert "`journalctl -u confab`" in quotes(reply)[0] and "deployment.md › systemd" in reply
    await bot.say("@confab how do I run Confab under systemd?", id="root2", user="bob")
    await bot.say("where does it keep its data then?", thread="root2", user="bob")
    reply = await bot.say("and how do I see its logs?", thread="root2", user="bob")  # a follow-up of a follow-up
    assert "`journalctl -u confab`" in quotes(reply)[0]


async def test_a_greeting_first_and_a_bare_do_you_know_are_asked_as_meant(bot: Chat) -> None:
    """"hi, how do I deploy confab?" is the question after the greeting; "@confab do you know?" under a colleague's
    question asks that question; an earlier question is never quoted as what the channel said about it."""
    reply = await bot.say("@confab hi, how do I deploy confab?", user="ana")
    assert "To deploy it" in reply  # refused before: the greeting made the question look uncovered
    await bot.say("anyone know how long we keep messages?", id="q", user="dave")
    reply = await bot.say("@confab do you know?", thread="q", user="bob")
    assert "CONFAB_RETENTION_DAYS" in quotes(reply)[0]  # the passages were about /spam and /forget before
    await bot.say("how do I order lunch for the team?", user="ana", direct=True, channel="dm-ana")
    reply = await bot.say("so how do I order lunch for the whole team?", user="ana", direct=True, channel="dm-ana")
    assert "Earlier in this channel" not in reply  # it quoted ana's own earlier question back to her


async def test_asking_back_about_an_answer_quotes_the_answers_passage_again(bot: Chat) -> None:
    """"is that right?", "what do you mean?" have no words of their own: they were searched alone and quoted
    whatever held "right" ("a digest right away") or "mean", or, after one another, nothing at all."""
    first = quotes(await bot.say("@confab how long are messages kept?", id="root"))[0]
    assert "CONFAB_RETENTION_DAYS" in first
    for asked_back in ("is that right?", "what do you mean?", "really?", "are you sure?"):
        assert quotes(await bot.say(asked_back, thread="root"))[0] == first, asked_back


async def test_an_ok_to_the_bot_is_no_question_a_follow_up_leans_on(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path) as chat:  # answers stay in the channel (the console, Discord)
        await chat.say("@confab how long are messages kept?")
        assert await chat.say("@confab ok") == "👍"
        # it searched "ok" before: the docs' lines about "ok, I'll set it up tomorrow" in threads
        assert "CONFAB_RETENTION_DAYS" in quotes(await chat.say("@confab is that right?"))[0]


async def test_a_reply_to_the_bots_answer_is_searched_with_the_question_it_answered(bot: Chat) -> None:
    """Discord's Reply, the console's ``>N``: the thread's root is Confab's answer, not the question."""
    await bot.say("@confab how do I run it under systemd?", id="q1")
    answer_id = "bot-1"  # the recording adapter's id for the bot's first message
    reply = await bot.say("and how do I see its logs?", thread=answer_id)
    # refused before: the thread held only the answer, so the follow-up was searched alone
    assert "`journalctl -u confab`" in quotes(reply)[0] and "deployment.md › systemd" in reply


async def test_a_follow_up_to_the_bots_last_answer_outside_threads(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path) as chat:  # answers stay in the channel (the console, Discord)
        await chat.say("@confab how do I generate an image?")
        reply = await chat.say("@confab how many can I make a day?")
        assert quotes(reply) == ["Each person can make `CONFAB_IMAGE_DAILY_LIMIT` images a day (20 by default)."]
        assert reply.endswith(f"Sources: [1] commands.md › /imagine ({lines_of('commands.md', quotes(reply)[0])})")


LONG = """# Handbook

## Expenses

Receipts are scanned by the finance team every Monday, and anything missing a receipt is returned to its
owner with a note that explains what is needed and by when, which in practice means the following Friday.
Travel is booked through the travel desk, who compare at least three fares and choose the cheapest one that
arrives before the first meeting of the trip. Hotels are booked by the same desk, within the city's nightly
allowance, which is published on the intranet every January. Meals on the road are reimbursed up to 45 euros
a day, alcohol excluded, and a team dinner needs the approval of the manager of the most senior person present.
Mileage for a private car is paid at the national rate, per kilometre driven for work, and the trip's purpose
goes in the claim. Taxis are fine late at night or when no public transport runs, and otherwise need a reason.
"""


async def test_a_long_paragraph_is_quoted_by_whole_sentences_with_their_lines(tmp_path: Path) -> None:
    write(tmp_path / "knowledge", "handbook.md", LONG)
    async with open_bot(tmp_path) as chat:
        reply = await chat.say("@confab how much are meals reimbursed per day?")
        [quote] = quotes(reply)
        assert quote.startswith("Meals on the road are reimbursed up to 45 euros a day")
        assert quote.endswith(".") and "…" not in reply  # the 900-character paragraph was cut mid-sentence
        assert "Receipts are scanned" not in reply
        line = 1 + next(i for i, text in enumerate(LONG.split("\n")) if "Meals on the road" in text)
        assert reply.endswith(f"Sources: [1] handbook.md › Expenses (lines {line}-{line + 1})")  # its two lines


def test_each_bullet_is_a_passage_and_a_passage_keeps_its_lines() -> None:
    text = "# Settings\n\nIntro line.\n\n\n- `A_B`: first\n  continued.\n- `C`: second.\n\n1. step one\n2. step two\n"
    chunks = chunk_text("s.md", text)
    assert [(c.start_line, c.end_line, c.text) for c in chunks] == [
        (3, 3, "Intro line."), (6, 7, "- `A_B`: first\n  continued."), (8, 8, "- `C`: second."),
        (10, 11, "1. step one\n2. step two")]
    packed = chunk_text("p.md", "Para one.\n\n\nPara two.\n")  # two blank lines: line 4 is the text's line 4
    assert [(c.start_line, c.end_line, c.text.split("\n")) for c in packed] == [
        (1, 4, ["Para one.", "", "", "Para two."])]


def test_a_settings_name_counts_as_its_words() -> None:
    assert content_words(["CONFAB_RETENTION_DAYS (90)"]) == [["confab", "retent", "day", "90"]]


async def test_the_quoted_sentence_is_chosen_by_meaning_and_by_the_questions_words() -> None:
    """The small embedding model reads a setting's name as noise: two sentences as close in meaning are told
    apart by the question's own words, as passages are retrieved (BM25 beside the vectors)."""
    text = ("# Limits\n\nOver the limit, the service says once when to try again and then stays quiet for a while.\n"
            "`SERVICE_RATE_PER_MIN` (10) limits how often one person is answered in a minute.\n"
            "Commands that only show help or settings never count, and neither do the ones admins send.\n"
            "A long message is cut at eight thousand characters before it is read, whoever sent it.\n")
    [chunk] = chunk_text("limits.md", text)
    hit = Hit(chunk, score=1.0, similarity=0.5, bm25=1.0)

    async def same_meaning(question: str, texts: list[str]) -> list[float]:
        return [0.4] * len(texts)

    quote = (await quote_hits("how do I change the rate limit?", [hit], same_meaning))[id(hit)]
    # the sentence chosen is the one naming the setting (change, rate, limit: two of three words), not the opening's
    # (one of three), which comes with it as the paragraph's opening; the rest does not
    assert quote.score == pytest.approx(0.7 * 0.4 + 0.3 * 2 / 3)
    assert "`SERVICE_RATE_PER_MIN` (10) limits how often" in quote.text and "Commands that" not in quote.text


async def test_on_a_slack_like_platform_the_first_answer_is_in_its_thread(bot: Chat) -> None:
    """Answering a top-level mention starts the message's thread (Slack): the answer is part of that thread's
    conversation, which follow-ups there read. The test adapter filed it at the top level (unlike Slack's)."""
    await bot.say("@confab how do I run Confab under systemd?", id="root")
    key = bot.channel().key
    in_thread = await bot.pipeline.deps.store.messages.recent(key, thread="root")
    assert [m.is_bot for m in in_thread] == [False, True]
    assert "systemctl" in in_thread[1].text


async def test_a_remark_put_to_confab_is_noted_not_told_the_docs_dont_cover_it(bot: Chat) -> None:
    """"I think the deploy went fine today", said in a DM, got "The knowledge base doesn't cover that": an answer to a
    question nobody asked. A problem reported or a wish said is still a question, and a remark the docs speak to
    is answered from them."""
    for remark in ("@confab I think the deploy went fine today", "@confab we shipped the export",
                   "@confab fyi the build is green"):
        reply = await bot.say(remark)
        assert reply.startswith("Noted: it's part of this conversation now") and "doesn't cover" not in reply, remark
    for implicit_question in ("@confab the weather station doesn't answer", "@confab I need the weather report"):
        assert "doesn't cover" in await bot.say(implicit_question), implicit_question
    assert "From the docs" in await bot.say("@confab I think the retention period is 90 days")


def test_an_abbreviations_plural_is_the_abbreviation() -> None:
    """"can confab read PDFs?" was refused: Porter2 drops a plural "s" only after a vowel, so "PDFs" was not "PDF"."""
    assert content_words(["can it read PDFs, DMs or LLMs?", "a PDF, a DM and an LLM"]) == [
        ["read", "pdf", "dm", "llm"], ["pdf", "dm", "llm"]]
    assert content_words(["URLs and APIs", "hours, hrs"]) == [["url", "api"], ["hour", "hr"]]


async def test_a_question_about_pdfs_is_answered_from_the_docs(bot: Chat) -> None:
    reply = await bot.say("@confab can confab read PDFs?")
    assert "From the docs" in reply and "PDF" in reply


async def test_an_answer_that_barely_passes_says_it_is_unsure(bot: Chat) -> None:
    """"is my data encrypted?" (the docs never say) was answered "From the docs:" with "Text from documents … is
    treated as data": near the abstain threshold the quotes are as often another section's as the answer's."""
    from agent.tools.knowledge import UNSURE

    for weak in ("@confab is my data encrypted?", "@confab how do I update confab to a new version?"):
        reply = await bot.say(weak)
        assert reply.startswith(UNSURE) or "doesn't cover" in reply, weak
    assert (await bot.say("@confab what is the retention period?")).startswith("From the docs:")


async def test_a_question_that_names_its_subject_is_not_read_as_a_follow_up(tmp_path: Path) -> None:
    """"how long are messages kept?" after a Discord question was searched as its follow-up ("how long are" was read
    as a question that leaves its subject out, like "how many can I make?"), and quoted the context limit first."""
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path) as chat:  # answers stay in the channel (the console, Discord)
        await chat.say("@confab how do I connect confab to discord?")
        await chat.say("and which intents do I need?", thread="bot-1")  # under the answer
        assert "CONFAB_RETENTION_DAYS" in quotes(await chat.say("@confab how long are messages kept?"))[0]
        await chat.say("@confab how do I generate an image?")
        assert "CONFAB_IMAGE_DAILY_LIMIT" in quotes(await chat.say("@confab how many can I make a day?"))[0]


async def test_another_persons_it_outside_threads_is_confab_not_the_question_before(tmp_path: Path) -> None:
    """In a channel, carol's "@confab does it keep our messages forever?" right after Confab answered bob is about
    Confab: it was searched with bob's question and quoted the channel instructions. The asker's own follow-up, and
    anyone's "and …?", still lean on the question before."""
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path) as chat:  # answers stay in the channel (the console, Discord)
        await chat.say("@confab how do I make confab answer in #billing only from the billing docs?", user="bob")
        reply = await chat.say("@confab does it keep our messages forever?", user="carol")
        assert "CONFAB_RETENTION_DAYS" in quotes(reply)[0], reply
        await chat.say("@confab how do I generate an image?", user="bob")
        reply = await chat.say("@confab how many can I make a day?", user="bob")
        assert "CONFAB_IMAGE_DAILY_LIMIT" in quotes(reply)[0], reply
        await chat.say("@confab how do I generate an image?", user="bob")
        reply = await chat.say("@confab and how many can I make a day?", user="carol")
        assert "CONFAB_IMAGE_DAILY_LIMIT" in quotes(reply)[0], reply

"""A member's announcement is not a stranger's blast (issue 22, item 1): the author's standing lowers
text-only evidence, never known phishing domains, scam phrases or workplace scam requests; the delete
policies delete only when sure. Real classifier, real pipeline and store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.classify.spam import SpamClassifier
from agent.classify.standing import Sender, standing
from bot.events import Author, IncomingMessage
from bot.moderation import sender_of
from bot.slack.authors import author_of, profile_of
from bot.slack.convert import author_from_user_info
from tests.fakes.harness import Chat, open_bot
from tests.fakes.openai_server import FakeOpenAI, text_reply

STANDUP = "@everyone stand-up moves to 10:30 from tomorrow, same link"
REVIEW = "Review please @ann @bo @cy @di @ed @flo @gus @hal @ivy, it's the retry change https://github.com/acme/api/pull/12"
PROMO = "hey guys pls subscribe to my twitch stream, new video every day"
PHISHING = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"
GIFT_CARDS = "I'm the CEO, buy 4 Apple gift cards for a client and send me the codes, keep it confidential"
PASSWORD = "IT helpdesk: we move mailboxes tonight, reply with your username and password to keep your email"
MEMBER = Sender(True, "has a role in this server")


@pytest.fixture
def classifier() -> SpamClassifier:
    return SpamClassifier(0.5)


def as_member(classifier: SpamClassifier, text: str, author: str = "m1", sender: Sender = MEMBER) -> tuple[str, ...]:
    classifier.classify("morning all", author, "general", now=0.0)  # posted here before, not flagged
    result = classifier.classify(text, author, "general", now=60.0, sender=sender)
    return (result.label, *result.reasons)


def test_a_members_announcements_are_not_spam_a_strangers_are(classifier: SpamClassifier) -> None:
    for text in (STANDUP, REVIEW, PROMO):
        assert classifier.classify(text).label == "spam"  # the text alone: flagged
        label, *reasons = as_member(classifier, text, author=text[:8])
        standing_reason = "a member in good standing (has posted here before, has a role in this server)"
        assert label == "ham" and any(standing_reason in r for r in reasons)


def test_standing_never_covers_phishing_scam_phrases_or_scam_requests(classifier: SpamClassifier) -> None:
    for i, text in enumerate((PHISHING, GIFT_CARDS, PASSWORD)):
        assert as_member(classifier, text, author=f"h{i}")[0] == "spam"
    assert "gift-card codes" in " ".join(classifier.classify(GIFT_CARDS).reasons)
    assert classifier.classify(PASSWORD, discount=1.0).label == "spam"  # not even a moderator's exemption
    for warning in ("IT will never ask for your password in chat", "don't enter your password on unknown sites",
                    "Gift card codes for the survey winners were sent by email from the rewards vendor"):
        assert "scam_request" not in classifier.classify(warning).signals


def test_first_messages_new_accounts_and_repeats_get_less_or_no_standing(classifier: SpamClassifier) -> None:
    assert standing(MEMBER, known=False, signals=())[0] == pytest.approx(0.3)  # a role, but a first message
    assert standing(Sender(), known=True, signals=())[0] == pytest.approx(0.3)  # posted before, nothing more
    assert standing(Sender(True, new_account=True), known=True, signals=()) == (0.0, "")
    assert standing(MEMBER, known=True, signals=("repeated",)) == (0.0, "")
    assert standing(None, known=True, signals=()) == (0.0, "")
    first = classifier.classify(PROMO, "new1", "general", now=0.0, sender=MEMBER)
    assert first.label == "spam"  # a role alone doesn't carry a 0.99 text score below the threshold
    results = [classifier.classify(PROMO, "m9", channel, now=10.0 + i, sender=MEMBER)
               for i, channel in enumerate(("a", "b", "c", "d"))]
    assert results[-1].label == "spam"  # the same blast across channels: a hijacked account loses its standing


def test_posting_before_counts_in_that_workspace_only(classifier: SpamClassifier) -> None:
    classifier.classify("morning all", "m7", "general", now=0.0, scope="discord:A")
    elsewhere = classifier.classify(PROMO, "m7", "general", now=60.0, sender=MEMBER, scope="discord:B")
    here = classifier.classify(PROMO + "!", "m7", "general", now=61.0, sender=MEMBER, scope="discord:A")
    assert (elsewhere.label, here.label) == ("spam", "ham")


def test_what_the_platform_says_about_the_author() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert sender_of("discord", Author("1", "a", roles=("Regulars",)), now).vetted
    old_member = Author("2", "b", joined_at=now - timedelta(days=400))
    assert sender_of("discord", old_member, now).why == "a member for 400 days"
    assert not sender_of("discord", Author("3", "c", joined_at=now - timedelta(days=2)), now).vetted
    fresh = ((int((now - timedelta(days=1)).timestamp() * 1000) - 1420070400000) << 22)
    assert sender_of("discord", Author(str(fresh), "d", roles=("x",)), now).new_account
    assert sender_of("slack", Author("U1", "e"), now).vetted
    guest = author_from_user_info({"id": "U2", "name": "g", "is_restricted": True})
    assert guest.is_guest and not sender_of("slack", guest, now).vetted
    assert author_of(profile_of(guest), "U2") == guest  # the shared profile cache keeps it


def member_message(bot: Chat, text: str, id: str, user: str = "maria", workspace: str = "T1",
                   ago: timedelta = timedelta(0)) -> IncomingMessage:
    message = bot.message(text, user=user, id=id)
    author = Author(user, user, roles=("Engineering",), joined_at=datetime.now(UTC) - timedelta(days=200))
    channel = replace(message.channel, workspace=workspace)
    return IncomingMessage(message.id, channel, author, text, created_at=message.created_at - ago)


async def watched(bot: Chat, *workspaces: str) -> None:
    """Confab has watched these workspaces for weeks: a first message there is news (ledger.WATCH_DAYS)."""
    for workspace in workspaces:
        await bot.deliver(member_message(bot, "hello", f"old-{workspace}", "old-timer", workspace, timedelta(days=20)))


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Chat]:
    async with open_bot(tmp_path, mod_channel="mods") as chat:
        await watched(chat, "T1", "T2")
        yield chat


async def test_through_the_pipeline_posting_before_counts_in_that_workspace(bot: Chat) -> None:
    await bot.deliver(member_message(bot, "morning all", "w1", user="ola", workspace="T2"))
    await bot.deliver(member_message(bot, PROMO, "w2", user="ola"))
    assert bot.adapter.reactions == [("w2", "🚩")]  # known in T2, new here
    await bot.deliver(member_message(bot, "morning all", "w3", user="pia"))
    await bot.deliver(member_message(bot, PROMO, "w4", user="pia"))
    assert bot.adapter.reactions == [("w2", "🚩")]


async def test_through_the_pipeline_a_member_is_spared_and_a_flag_takes_the_standing_away(bot: Chat) -> None:
    await bot.deliver(member_message(bot, "morning all", "s1"))
    await bot.deliver(member_message(bot, REVIEW, "s2"))
    assert bot.adapter.reactions == []  # a member with a role who posted here before
    await bot.say(PROMO, user="stranger", id="s3")
    assert bot.adapter.reactions == [("s3", "🚩")]
    await bot.deliver(member_message(bot, PHISHING, "s4"))
    assert [m for m, _ in bot.adapter.reactions] == ["s3", "s4"]  # standing never hides phishing
    await bot.deliver(member_message(bot, PROMO, "s5"))  # flagged just now: "posted before" no longer counts
    assert [m for m, _ in bot.adapter.reactions] == ["s3", "s4", "s5"]


BENEFITS = "Reminder: open enrolment for benefits closes Friday, update your choices at https://benefits.example.com/enrol"


async def test_in_a_workspace_confab_just_joined_a_members_first_message_is_not_news(tmp_path: Path) -> None:
    """The first hour: every member is a first-time poster. A full member's announcement with a link is not a
    stranger's blast; a stranger's still is, and phishing from anyone."""
    async with open_bot(tmp_path, mod_channel="mods") as chat:
        await chat.deliver(member_message(chat, BENEFITS, "n1", user="hr-anna"))
        await chat.deliver(member_message(chat, PROMO, "n2", user="dev-bo"))
        assert chat.adapter.reactions == []
        await chat.say(PROMO, user="stranger", id="n3")
        await chat.deliver(member_message(chat, PHISHING, "n4", user="dev-cy"))
        assert [m for m, _ in chat.adapter.reactions] == ["n3", "n4"]
    async with open_bot(tmp_path, mod_channel="mods") as chat:  # weeks later: a first message is news again
        await watched(chat, "T1")
        await chat.deliver(member_message(chat, PROMO, "n5", user="dev-dee"))
        assert chat.adapter.reactions == [("n5", "🚩")]


async def test_posting_before_is_read_from_the_store_and_survives_a_restart(tmp_path: Path) -> None:
    async with open_bot(tmp_path, mod_channel="mods") as chat:
        await watched(chat, "T1")
        await chat.deliver(member_message(chat, "morning all", "r1", user="eli", ago=timedelta(minutes=5)))
        await chat.deliver(member_message(chat, PHISHING, "r2", user="fay", ago=timedelta(minutes=5)))
        flagged_before = list(chat.adapter.reactions)
    async with open_bot(tmp_path, mod_channel="mods") as chat:  # a new process: nothing in its memory
        await chat.deliver(member_message(chat, PROMO, "r3", user="eli"))
        assert chat.adapter.reactions == []  # eli posted here before, unflagged
        await chat.deliver(member_message(chat, PROMO, "r4", user="fay"))
        assert chat.adapter.reactions == [("r4", "🚩")]  # fay's last message here was flagged
    assert flagged_before == [("r2", "🚩")]


async def test_the_delete_policy_deletes_only_when_sure(bot: Chat) -> None:
    await bot.command("spam", "policy delete", admin=True)
    await bot.say(STANDUP, user="stranger", id="d1")  # about 0.57: flagged, not deleted
    assert bot.adapter.deleted == [] and bot.adapter.reactions == [("d1", "🚩")]
    await bot.say(PHISHING, user="spammer", id="d2")
    assert bot.adapter.deleted == ["d2"]


async def test_the_llm_judge_is_told_about_the_standing(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    """A borderline score after the standing gets the judge's opinion with who the author is, not the text alone."""
    fake_openai.chat.append(text_reply("ham"))
    fake_openai.chat.append(text_reply("ham"))
    async with open_bot(tmp_path, mod_channel="mods", model="openai:gpt-4.1-mini",
                        openai_base_url=fake_openai.base_url, openai_api_key="sk-test") as chat:
        await watched(chat, "T1")
        await chat.deliver(member_message(chat, "morning all", "j1"))
        await chat.deliver(member_message(chat, PROMO, "j2"))  # 0.40 after the standing: in the judge's band
        await chat.say(STANDUP, user="stranger", id="j3")  # a stranger's: 0.57, flagged without asking
    prompts = [r.json["messages"][-1]["content"] for r in fake_openai.requests_to("/v1/chat/completions")]
    assert chat.adapter.reactions == [("j3", "🚩")]
    assert len(prompts) == 1 and "The author is a member in good standing (has posted here before" in prompts[0]


def test_a_sign_in_under_threat_of_losing_access_is_a_scam_request_whoever_sends_it(classifier: SpamClassifier
                                                                                     ) -> None:
    """Credential phishing from a hijacked member account names no password: a link, a threat of losing an account
    or coverage, and a call to sign in or verify. Each part alone is ordinary IT and HR talk."""
    lures = ("Heads up: your mailbox will be suspended tonight after the migration. Sign in here to keep it: "
             "https://mail-migrate.example.net/login",
             "Open enrolment: confirm your plan today or lose coverage for next year, https://enrol.example.org/verify")
    for i, lure in enumerate(lures):
        assert "scam_request" in classifier.classify(lure).signals
        assert as_member(classifier, lure, author=f"lure{i}")[0] == "spam"
    everyday = ("Channels with no activity for 6 months will be archived on the 1st, see https://wiki.example.com/a",
                "Please verify you can log in to the new HR system before Friday https://hr.example.com",
                "Reminder: the old VPN will be disabled on Monday, the new one is already on your laptop",
                "Your access will be revoked when you leave, please log in and hand over your docs")
    for text in everyday:
        assert "scam_request" not in classifier.classify(text).signals


def test_a_link_dressed_as_a_brand_it_is_not_is_spam_whoever_sends_it(classifier: SpamClassifier) -> None:
    """A hijacked member account's "FREE NITRO!!! claim your gift at https://discord-gift.example/claim" scored 0.40
    (the text model's 1.0 scaled down by the standing) and went through: the domain was on no list yet. A link
    wearing a brand's name on another domain, with a lure in it or a misspelt brand, is hard evidence."""
    scams = ("FREE NITRO!!! claim your gift at https://discord-gift.example/claim before it expires",
             "steam is giving away skins this week https://steamcommunity-trade.example/skins",
             "new server rules, everyone has to re-verify: http://dlscord.example/login")
    for i, scam in enumerate(scams):
        label, *reasons = as_member(classifier, scam, author=f"hijacked{i}")
        assert label == "spam" and any("dressed as" in r for r in reasons), (scam, reasons)
    everyday = ("the discord.js guide explains slash commands well: https://discord.js.org/docs/guide",
                "docs for the library are at https://discordpy.readthedocs.io/en/stable/",
                "our bot's invite page is up: https://mydiscordbot.example/invite",
                "the free tier on https://discord.com/developers/applications is enough for the bot",
                "here's the thread https://acme.slack.com/archives/C1/p1700000000000100")
    for text in everyday:
        assert "brand_domain" not in classifier.classify(text).signals, text

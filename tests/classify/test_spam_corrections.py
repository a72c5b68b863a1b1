"""Spam control fails closed, and moderators' corrections are scoped, expire, are revoked, and teach
the model (issue 19, item 5) — through the real pipeline, store and classifier."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.classify.ledger import DAY_S, SpamLedger
from agent.classify.train import read_corrections
from bot.events import Author, IncomingMessage
from bot.slack.convert import command_from_payload, event_from_payload
from bot.text import scrub, without_lone_surrogates
from tests.fakes.harness import BotFactory, Chat, open_bot
from tests.stored_rows import table_rows

PHISHING = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"
PROMO = "hey guys pls subscribe to my twitch stream, new video every day"  # the text model's call, no hard signal
HALF_EMOJI = "\ud83d"


@pytest.fixture
async def bot(bot_factory: BotFactory) -> Chat:
    return await bot_factory(mod_channel="mods")


def flagged(chat: Chat) -> list[str]:
    return [message_id for message_id, _ in chat.adapter.reactions]


def answers(chat: Chat, channel: str = "general") -> list[str]:
    return [r.text for r in chat.adapter.sent if r.channel.channel == channel]


# --- a lone surrogate never opens the gate --------------------------------------------------------

async def test_half_an_emoji_in_the_text_still_flags(bot: Chat) -> None:
    """Delivered straight to the pipeline (no adapter's edge cleaning): the screen cleans its own input."""
    await bot.say(f"@confab {PHISHING} {HALF_EMOJI}", user="spammer", id="u1")
    assert answers(bot) == []  # never reached the agent
    rows = await table_rows(bot.pipeline.deps, "SELECT message_id, action FROM spam_flags")
    assert rows == [("u1", "flagged")]
    assert flagged(bot) == ["u1"]


def test_lone_surrogates_become_replacement_characters_at_the_edge() -> None:
    assert without_lone_surrogates(f"a{HALF_EMOJI}b") == "a\ufffdb"
    assert without_lone_surrogates("\ud83d\ude00") == "😀"  # a whole pair is kept as its emoji
    event = {"type": "message", "channel": "C1", "user": "U1", "ts": "1700000000.000100",
             "text": f"hi {HALF_EMOJI}", "user_profile": {"display_name": f"bob{HALF_EMOJI}"}}
    message = event_from_payload(event, "T1")
    assert isinstance(message, IncomingMessage) and message.text == "hi \ufffd" and message.author.name == "bob\ufffd"
    assert message.raw["text"] == f"hi {HALF_EMOJI}"  # the payload itself is left as it came
    form = {"command": "/confab", "text": f"x{HALF_EMOJI}", "channel_id": "C1", "user_id": "U1",
            "user_name": f"al{HALF_EMOJI}", "team_id": "T1"}
    command = command_from_payload(form)
    assert command is not None and command.args == "x\ufffd" and command.author.name == "al\ufffd"
    assert scrub(Author("u", "ok")) == Author("u", "ok")


def test_the_console_cleans_what_it_reads() -> None:
    from bot.console.workspace import Say, Workspace

    said = Workspace().parse(f"look {HALF_EMOJI}\n")
    assert isinstance(said, Say) and said.message.text == "look \ufffd"


# --- corrections: scoped, expiring, revocable, never covering hard signals -------------------------

async def test_not_spam_exempts_the_author_in_that_channel_only(bot: Chat) -> None:
    await bot.say(PROMO, user="carol", id="p1")
    assert flagged(bot) == ["p1"]
    reply = (await bot.command("spam", "not-spam p1", admin=True))[0].text
    assert "for 30 days" in reply and "training run" in reply
    await bot.say(PROMO + " again", user="carol", id="p2")
    assert flagged(bot) == ["p1"]  # exempt here
    await bot.say(PROMO, user="carol", id="p3", channel="random")
    assert flagged(bot) == ["p1", "p3"]  # not elsewhere: only her risk is lowered there
    await bot.say(PHISHING, user="carol", id="p4")
    assert flagged(bot) == ["p1", "p3", "p4"]  # never for a known phishing domain


async def test_a_later_spam_verdict_and_forget_revoke_the_exemption(bot: Chat) -> None:
    await bot.say(PROMO, user="carol", id="q1")
    await bot.command("spam", "not-spam q1", admin=True)
    await bot.say("see you at standup", user="carol", id="q2", channel="random")
    assert "marked as spam" in (await bot.command("spam", "spam q2", admin=True, channel="random"))[0].text
    await bot.say(PROMO, user="carol", id="q3")
    assert flagged(bot) == ["q1", "q3"]  # the hijacked account doesn't walk through

    await bot.command("spam", "not-spam q3", admin=True)
    await bot.say(PROMO + " now", user="carol", id="q4")
    assert flagged(bot) == ["q1", "q3"]
    await bot.command("forget", user="mod", admin=True)
    await bot.command("forget", "confirm", user="mod", admin=True)
    await bot.say(PROMO, user="carol", id="q5")
    assert flagged(bot) == ["q1", "q3", "q5"]


async def test_exemptions_expire_and_can_be_turned_off(bot: Chat) -> None:
    await bot.say(PROMO, user="carol", id="e1")
    await bot.command("spam", "not-spam e1", admin=True)
    ledger = SpamLedger(bot.pipeline.deps.store.spam)
    key = bot.channel().key
    assert (await ledger.standing(key, "carol")).exempt
    later = await ledger.standing(key, "carol", now=time.time() + 31 * DAY_S)
    assert not later.exempt and 0 < later.discount < 0.5  # her risk is still lowered, screening is not off

    await bot.command("confab", "settings spam_exempt_days 0", admin=True, channel="random")
    await bot.say(PROMO, user="dan", id="e2", channel="random")
    assert "risk is lowered" in (await bot.command("spam", "not-spam e2", admin=True, channel="random"))[0].text
    await bot.say(PROMO + " again", user="dan", id="e3", channel="random")
    assert flagged(bot) == ["e1", "e2", "e3"]


async def test_corrections_are_training_examples(bot: Chat, tmp_path: Path) -> None:
    await bot.say(PROMO, user="carol", id="t1")
    await bot.command("spam", "not-spam t1", admin=True)
    await bot.say("buy cheap followers at my shop, dm me", user="eve", id="t2")
    await bot.command("spam", "spam t2", admin=True)
    texts, labels = await read_corrections(str(tmp_path / "data" / "confab.db"))
    assert sorted(zip(texts, labels, strict=True)) == [("buy cheap followers at my shop, dm me", 1), (PROMO, 0)]


async def test_the_old_allow_list_is_gone(bot: Chat) -> None:
    tables = await table_rows(bot.pipeline.deps, "SELECT name FROM sqlite_master WHERE type = 'table'")
    names = {t[0] for t in tables}
    assert "spam_exemptions" in names and "spam_allowlist" not in names


def test_a_discount_never_hides_hard_signals() -> None:
    from agent.classify.spam import SpamClassifier

    classifier = SpamClassifier(0.5)
    assert classifier.classify(PHISHING, discount=1.0).label == "spam"
    assert classifier.classify(PROMO, discount=1.0).label == "ham"
    assert classifier.classify(PROMO, discount=0.3).label == "spam"  # trust lowers risk, not the gate


async def test_a_model_retrained_into_the_data_folder_is_used(tmp_path: Path) -> None:
    """``python -m agent.classify.train … --corrections data/confab.db --out data/spam_model.npz``: Confab
    then screens with that model (here an inverted copy of the shipped one, so the switch shows)."""
    from agent.classify.text_model import MODEL_PATH, TextModel

    shipped = TextModel.load(MODEL_PATH)
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    TextModel(shipped.idf, -shipped.coef, -shipped.intercept).save(data / "spam_model.npz")
    async with open_bot(tmp_path) as bot:
        spam = await bot.deps.classifier.ready_spam()
        assert spam.path == data / "spam_model.npz"
        assert spam.classify(PROMO).text_probability < 0.5


async def test_corrections_in_the_scaled_mode_are_read_from_postgresql(postgres_url: str) -> None:
    """``--corrections postgresql://…``: a team on PostgreSQL retrains with its moderators' verdicts too (the
    trainer read only the SQLite file)."""
    from agent.storage.ports import FoundMessage
    from agent.storage.postgres import PostgresStorage

    store = await PostgresStorage.open(postgres_url)
    try:
        now = time.time()
        await store.spam.correct(FoundMessage("discord:G1:C1", "m1", "u1", "cheap followers, dm me", False), "spam",
                                 "mod", now)
        await store.spam.correct(FoundMessage("discord:G1:C2", "m2", "u2", "release at 5", True), "ham", "mod", now + 1)
    finally:
        await store.close()
    assert await read_corrections(postgres_url) == (["cheap followers, dm me", "release at 5"], [1, 0])


async def test_not_spam_on_a_message_nobody_flagged_grants_no_exemption(bot: Chat) -> None:
    """``/spam not-spam`` on an ordinary message granted a 30-day exemption without a word: a moderator's stray
    correction switched screening off for that author. It is still a training example."""
    await bot.say("see you at standup", user="carol", id="n1")
    reply = (await bot.command("spam", "not-spam n1", admin=True))[0].text
    assert "wasn't flagged" in reply and "no exemption" in reply and "for 30 days" not in reply, reply
    await bot.say(PROMO, user="carol", id="n2")
    assert flagged(bot) == ["n2"]
    rows = await table_rows(bot.pipeline.deps, "SELECT message_id, verdict FROM spam_corrections")
    assert rows == [("n1", "ham")]

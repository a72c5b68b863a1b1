"""Spam flagging through the real pipeline, by channel policy, with moderators' corrections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.harness import Bot, Chat, open_bot
from tests.fakes.openai_server import FakeOpenAI, text_reply
from tests.fakes.settings import make_settings
from tests.fakes.waiting import until
from tests.services import RedisTarget
from tests.stored_rows import table_rows

SPAM = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"
SOFT_SPAM = "FREE giveaway!!! win big, click now, limited offer https://example.com/win"  # no known phishing link


def make_bot(tmp_path: Path, **overrides: Any) -> AbstractAsyncContextManager[Bot]:
    return open_bot(tmp_path, mod_channel="mods", **overrides)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Chat]:
    async with make_bot(tmp_path) as chat:
        yield chat


def notes(chat: Chat) -> list[str]:
    return [r.text for r in chat.adapter.sent if r.channel.channel == "mods"]


async def test_spam_is_flagged_noted_and_never_answered(bot: Chat) -> None:
    await bot.say(f"@confab {SPAM} @everyone", user="spammer", id="s1")
    assert bot.adapter.reactions == [("s1", "🚩")]
    [note] = notes(bot)
    assert "spammer" in note and "phishing domain" in note and "/spam not-spam s1" in note and "@everyone" not in note
    assert [r for r in bot.adapter.sent if r.channel.channel == "general"] == []  # the agent never saw it
    stored = await bot.pipeline.deps.store.messages.get("test:T1:general", "s1")
    assert stored is not None  # still remembered
    rows = await table_rows(bot.pipeline.deps, "SELECT message_id, action FROM spam_flags")
    assert rows == [("s1", "flagged")]


async def test_ordinary_messages_pass(bot: Chat) -> None:
    await bot.say("can you review my PR? https://github.com/acme/api/pull/7", id="h1")
    assert bot.adapter.reactions == [] and notes(bot) == []


async def test_admins_exempt_roles_and_policy_off(tmp_path: Path) -> None:
    """Admins and exempt roles are spared everything but a known phishing link, scam phrase or request for secrets:
    a hijacked admin account is where such a link comes from (they were never screened at all before)."""
    soft = SOFT_SPAM
    async with make_bot(tmp_path, exempt_roles="Trusted") as chat:
        from bot.events import Author

        await chat.say(soft, user="boss", admin=True, id="a1")
        trusted = chat.message(soft, user="t", id="t1")
        trusted = type(trusted)(**{**{f: getattr(trusted, f) for f in trusted.__dataclass_fields__},
                                   "author": Author("t", "t", roles=("trusted",))})
        await chat.pipeline.handle_message(trusted)
        assert chat.adapter.reactions == []
        await chat.say(soft, user="y", id="y1")
        assert chat.adapter.reactions == [("y1", "🚩")]  # the same words from anyone else
        await chat.say(SPAM, user="boss", admin=True, id="a2")
        assert chat.adapter.reactions[-1] == ("a2", "🚩") and "phishing domain" in notes(chat)[-1]
        await chat.command("spam", "policy off", admin=True)
        await chat.say(SPAM, user="x", id="x1")
        assert chat.adapter.reactions[-1] == ("a2", "🚩")


async def test_delete_and_timeout_policies_use_the_platform(bot: Chat) -> None:
    assert "delete_timeout" in (await bot.command("spam", "policy delete_timeout", admin=True))[0].text
    await bot.say(SPAM, user="spammer", id="d1")
    assert bot.adapter.deleted == ["d1"] and bot.adapter.timeouts == [("spammer", 600)]
    assert "deleted, timed out 10 min" in notes(bot)[0]


async def test_without_the_permission_it_falls_back_to_flagging(bot: Chat) -> None:
    from bot.adapter import Capabilities

    bot.adapter.capabilities = Capabilities(delete=False, timeout=False)
    await bot.command("spam", "policy delete", admin=True)
    await bot.say(SPAM, user="spammer", id="d2")
    assert bot.adapter.deleted == [] and bot.adapter.reactions == [("d2", "🚩")]


async def test_not_spam_correction_is_stored_and_counted(bot: Chat) -> None:
    await bot.say(SPAM, user="carol", id="c1")
    assert "Only admins" in (await bot.command("spam", "not-spam c1"))[0].text
    assert "not spam" in (await bot.command("spam", "not-spam c1", admin=True))[0].text
    await bot.say(SPAM, user="carol", id="c2")
    assert [m for m, _ in bot.adapter.reactions] == ["c1", "c2"]  # a phishing domain: flagged whoever sends it
    memory = bot.pipeline.deps.store
    assert await table_rows(memory, "SELECT message_id, verdict FROM spam_corrections") == [("c1", "ham")]
    await bot.say("totally normal message", user="dave", id="n1")
    assert "marked as spam" in (await bot.command("spam", "spam n1", admin=True))[0].text
    stats = (await bot.command("spam", "stats", admin=True))[0].text
    assert "1 not spam, 1 missed spam" in stats
    assert "don't know a message" in (await bot.command("spam", "spam nope", admin=True))[0].text


async def test_an_edit_into_spam_is_caught(bot: Chat) -> None:
    await bot.say("see you at the standup", user="eve", id="e1")
    await bot.edit("e1", SPAM, user="eve")
    assert bot.adapter.reactions == [("e1", "🚩")] and "after an edit" in notes(bot)[0]


async def test_a_failing_classifier_holds_the_message(bot: Chat, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Fail closed: a screen that raises keeps the message from the agent, records and notes it."""
    spam = bot.pipeline.deps.classifier.spam

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(spam, "aclassify", broken)
    await bot.say("@confab hello there", id="h9")
    assert [r for r in bot.adapter.sent if r.channel.channel == "general"] == []  # the agent never saw it
    assert "message held" in caplog.text
    rows = await table_rows(bot.pipeline.deps, "SELECT message_id, reasons, action FROM spam_flags")
    assert rows == [("h9", '["screen error"]', "held")]
    [note] = notes(bot)
    assert "Held" in note and "screen error" in note


async def test_the_llm_judges_borderline_messages(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.append(text_reply("spam"))
    async with make_bot(tmp_path, model="openai:gpt-4.1-mini", openai_base_url=fake_openai.base_url,
                        openai_api_key="sk-test") as chat:
        classify = chat.deps.classifier
        score = classify.spam.classify("my band plays on friday, come if you like").score
        classify.spam.threshold = min(1.0, score + 0.05)  # make this message borderline: below, but close
        await chat.say("my band plays on friday, come if you like", user="promo", id="p1")
        assert chat.adapter.reactions == [("p1", "🚩")]
        assert "<message>" in fake_openai.requests_to("/v1/chat/completions")[0].json["messages"][-1]["content"]


async def test_the_spam_model_loads_once_in_a_worker_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages arriving together wait for one load, which runs off the event loop."""
    import asyncio
    import threading

    from agent.classify.service import Classification

    classification = Classification(make_settings(tmp_path), lambda: None)  # no embedder needed for spam
    loads: list[str] = []
    real = classification.spam.warm_up
    monkeypatch.setattr(classification.spam, "warm_up", lambda: (loads.append(threading.current_thread().name),
                                                                 real())[1])
    first, second = await asyncio.gather(classification.ready_spam(), classification.ready_spam())
    assert first is second is classification.spam
    assert len(loads) == 1 and loads[0] != threading.main_thread().name
    assert first.classify("FREE NITRO claim now https://dlscord-gift.com/x").label == "spam"


async def test_a_message_stored_but_not_screened_before_a_crash_is_screened_at_the_next_start(tmp_path: Path) -> None:
    """The platform was told the message arrived (it was stored) and the process died before the screen ran:
    the next start screens it, with the standing its author had (an admin's message stays unflagged)."""
    settings = make_settings(tmp_path, mod_channel="mods")
    async with open_bot(tmp_path, settings=settings) as first:
        await first.pipeline.accept(first.message(SPAM, user="spammer", id="s1"))  # then "kill -9": no screen
        await first.pipeline.accept(first.message(SOFT_SPAM, user="boss", admin=True, id="a1"))
        await first.pipeline.accept(first.message("lunch at noon?", user="bob", id="h1"))
        first.pipeline.screens = type(first.pipeline.screens)(first.deps.store.messages)  # died: forgets in-flight
    async with open_bot(tmp_path, settings=settings) as second:
        assert await second.pipeline.resume() == 0  # no answer was owed
        assert second.adapter.reactions == [("s1", "🚩")]
        [note] = notes(second)
        assert "spammer" in note and "/spam not-spam s1" in note
        rows = await table_rows(second.pipeline.deps, "SELECT message_id, action FROM spam_flags")
        assert rows == [("s1", "flagged")]
        await second.pipeline.drain()
        assert await second.deps.store.messages.unscreened(datetime.now(UTC), ["test"]) == []
    async with open_bot(tmp_path, settings=settings) as third:  # screened once: never again
        await third.pipeline.resume()
        assert third.adapter.reactions == [] and notes(third) == []


async def test_a_screened_message_owes_nothing_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mod_channel="mods")
    async with open_bot(tmp_path, settings=settings) as first:
        await first.say(SPAM, user="spammer", id="s1")
        await first.say("lunch at noon?", user="bob", id="h1")
        await first.say("@confab hello", user="bob", id="q1")  # owed an answer: screened on the answer's way
        assert first.adapter.reactions == [("s1", "🚩")]
    async with open_bot(tmp_path, settings=settings) as second:
        assert await second.deps.store.messages.unscreened(datetime.now(UTC), ["test"]) == []
        await second.pipeline.resume()
        assert second.adapter.reactions == [] and notes(second) == []


async def test_in_the_scaled_mode_a_worker_screens_what_a_dead_replica_left(
        tmp_path: Path, postgres_url: str, redis_target: RedisTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.pipeline.screening as screening

    monkeypatch.setattr(screening, "SWEEP_EVERY_S", 0.1)
    monkeypatch.setattr(screening, "SETTLE_S", 0.5)  # a live replica screens its own within this
    settings = make_settings(tmp_path, mod_channel="mods", database_url=postgres_url, redis_url=redis_target.url,
                             redis_prefix=redis_target.prefix)
    async with open_bot(tmp_path, settings=settings) as dying, open_bot(tmp_path, settings=settings) as worker:
        await dying.pipeline.accept(dying.message(SPAM, user="spammer", id="s1"))  # stored, acknowledged, no screen
        await dying.pipeline.accept(dying.message("lunch at noon?", user="bob", id="h1"))
        dying.pipeline.screens._in_flight.clear()  # it died: what it stored is nobody's now
        await worker.say("can you review my PR?", user="carol", id="c1")  # screened by its own replica
        await until(lambda: dying.adapter.reactions + worker.adapter.reactions == [("s1", "🚩")])

        async def none_left() -> bool:
            return await worker.deps.store.messages.unscreened(datetime.now(UTC), ["test"], lease_s=0) == []

        await until(none_left)
        await asyncio.sleep(0.5)  # a few more sweeps of both: nothing is screened twice
        assert dying.adapter.reactions + worker.adapter.reactions == [("s1", "🚩")]


async def test_a_question_too_old_to_answer_after_a_restart_is_still_screened(tmp_path: Path) -> None:
    async with open_bot(tmp_path, mod_channel="mods") as first:
        await first.pipeline.accept(first.message(f"@confab {SPAM}", user="spammer", id="s1"))  # owed; then a crash
        await first.pipeline.accept(first.message("@confab what is the retention period?", user="bob", id="q1"))
    async with open_bot(tmp_path, mod_channel="mods", resume_max_age_s=0) as second:
        assert await second.pipeline.resume() == 0  # both let go: too old to answer
        assert second.adapter.reactions == [("s1", "🚩")]
        assert [r.channel.channel for r in second.adapter.sent] == ["mods"]  # the note; no answer to anyone
        assert await second.deps.store.pending.owed() == []


async def test_a_message_flagged_before_a_crash_whose_screen_mark_was_lost_is_not_flagged_twice(
        tmp_path: Path) -> None:
    async with open_bot(tmp_path, mod_channel="mods") as first:
        first.pipeline.screens.flush_s = 3600  # the batched "screened" mark is never written: then the crash
        await first.say(SPAM, user="spammer", id="s1")
        assert first.adapter.reactions == [("s1", "🚩")] and len(notes(first)) == 1
        first.pipeline.screens._done.clear()
    async with open_bot(tmp_path, mod_channel="mods") as second:
        await second.pipeline.resume()
        assert second.adapter.reactions == [] and notes(second) == []
        assert await second.deps.store.messages.unscreened(datetime.now(UTC), ["test"]) == []

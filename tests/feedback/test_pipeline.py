"""Feedback through the real pipeline behind a recording adapter: every agent answer carries 👍/👎 and is
recorded as sent (not command acknowledgements or errors), votes are one per person and changeable, bad votes
get a short answer, and ``/confab feedback`` is for admins."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from bot.events import Author, ChannelRef, Vote
from bot.feedback import BAD_VOTE, UNKNOWN_ANSWER
from tests.fakes.scripted_model import ScriptedModel

HERE = ChannelRef("test", "T1", "general")


def vote(answer: str, value: str, who: str = "bob") -> Vote:
    return Vote(HERE, answer, Author(who, who), value)


async def test_an_answer_is_rated_recorded_and_voted_on(make_chat: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("Deploy with `make deploy`.")]))
    await chat.say("@confab how do I deploy?")
    [answer] = chat.adapter.sent
    assert answer.rated is not None and answer.rated.question == "how do I deploy?"
    assert await chat.deps.store.feedback.pairs() == []  # recorded, not yet voted on
    assert (await chat.deps.store.feedback.counts(HERE.key)).answers == 1
    answer_id = "bot-1"  # the recording adapter's id of the message it sent
    assert await chat.pipeline.handle_vote(vote(answer_id, "up")) == "Thanks, I recorded your 👍 on this answer."
    assert await chat.pipeline.handle_vote(vote(answer_id, "down")) == "Changed your vote on this answer to 👎."
    assert (await chat.pipeline.handle_vote(vote(answer_id, "up", who="carol"))).startswith("Thanks")
    [first, second] = await chat.deps.store.feedback.pairs()
    assert (first.vote, second.vote) == ("down", "up")
    assert first.answer.answer == "Deploy with `make deploy`." and first.answer.question == "how do I deploy?"
    assert first.answer.model == chat.settings.model
    assert await chat.pipeline.handle_vote(vote(answer_id, "down")) == "Took back your 👎 on this answer."


async def test_bad_votes_get_a_short_answer(make_chat: Any, caplog: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("An answer.")]))
    await chat.say("@confab a question?")
    assert await chat.pipeline.handle_vote(vote("bot-1", "sideways")) == BAD_VOTE
    assert await chat.pipeline.handle_vote(vote("bot-1\n<script>", "up")) == BAD_VOTE
    assert await chat.pipeline.handle_vote(vote("bot-999", "up")) == UNKNOWN_ANSWER
    assert "malformed vote" in caplog.text
    assert (await chat.deps.store.feedback.counts()).up == 0


async def test_commands_acks_and_errors_carry_no_buttons_answers_do(make_chat: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("Asked and answered."), ConnectionError("down")]),
                           agent_model_timeout_s=0.5)
    [asked] = await chat.command("ask", "what is the release date?")
    assert asked.rated is not None and asked.rated.question == "what is the release date?"
    [helped] = await chat.command("help")
    assert helped.rated is None
    [settings] = await chat.command("confab", "settings")
    assert settings.rated is None
    await chat.say("@confab will this fail?")
    [failed] = chat.adapter.sent
    assert failed.rated is None  # the model was down: an error, not an answer


async def test_confab_feedback_shows_counts_and_recent_downvotes_to_admins_only(make_chat: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("One."), AIMessage("Two.")]))
    await chat.say("@confab where are the release notes?")
    await chat.say("@confab who owns the @everyone billing page?")
    await chat.pipeline.handle_vote(vote("bot-1", "up"))
    await chat.pipeline.handle_vote(vote("bot-2", "down"))
    [refused] = await chat.command("confab", "feedback", user="bob")
    assert "Only admins" in refused.text and refused.ephemeral
    [report] = await chat.command("confab", "feedback", admin=True)
    assert report.ephemeral and report.rated is None
    assert "👍 1 · 👎 1" in report.text and "2 answers" in report.text
    assert "who owns the" in report.text and "release notes" not in report.text.split("Recently voted down:")[1]
    assert "@everyone" not in report.text  # people's words ping nobody
    [everywhere] = await chat.command("confab", "feedback all", admin=True)
    assert "every channel" in everywhere.text
    [other] = await chat.command("confab", "feedback", admin=True, channel="random")
    assert "No votes" in other.text
    [usage] = await chat.command("confab", "feedback sideways", admin=True)
    assert usage.text.startswith("Usage")


async def test_forget_takes_the_channels_feedback_with_it(make_chat: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("Kept until forgotten.")]))
    await chat.say("@confab what do you keep?")
    await chat.pipeline.handle_vote(vote("bot-1", "down"))
    await chat.command("forget", admin=True)
    [done] = await chat.command("forget", "confirm", admin=True)
    assert done.text.startswith("Done")
    assert await chat.pipeline.handle_vote(vote("bot-1", "up")) == UNKNOWN_ANSWER
    assert await chat.deps.store.feedback.pairs() == []
    [report] = await chat.command("confab", "feedback", admin=True)
    assert "No votes" in report.text and "(0 answers" in report.text

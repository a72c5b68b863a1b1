"""What a team meets in its first hour: threads that behave like a colleague, limits that are
never silent, and other people's messages that can't exhaust a turn."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage

from bot.conversation import expects_answer
from tests.fakes.harness import Chat
from tests.fakes.scripted_model import ScriptedModel

# --- threads ----------------------------------------------------------------------------------

async def test_a_reply_under_the_bots_own_answer_continues_without_a_mention(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("run it under systemd"), AIMessage("in data/confab.db")])
    chat = await make_chat(model)
    assert await chat.say("@confab how do I run it as a service?") == "run it under systemd"
    answer_id = "bot-1"  # the recording adapter's id for the bot's first message
    reply = await chat.say("where does it keep its data then?", user="bob", thread=answer_id)
    assert reply == "in data/confab.db"
    # the follow-up saw the thread's conversation
    history = "\n".join(str(m.content) for m in model.seen[-1][:-1])
    assert "run it under systemd" in history


async def test_a_thread_under_someone_elses_message_is_not_answered(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("should not be said")])
    chat = await make_chat(model)
    await chat.say("lunch?", id="root")
    assert await chat.say("where shall we go?", user="bob", thread="root") == ""
    assert model.seen == []


async def test_acknowledgements_in_a_followed_thread_get_no_reply(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("set CONFAB_RETENTION_DAYS"), AIMessage("it prunes every 6 hours")])
    chat = await make_chat(model)
    assert await chat.say("@confab how do I limit retention?", thread="t1") == "set CONFAB_RETENTION_DAYS"
    for small_talk in ("thanks!", "ok, I'll set it up tomorrow", "👍", "cool, that works", "@bob can you do it?"):
        assert await chat.say(small_talk, user="alice", thread="t1") == "", small_talk
    assert await chat.say("and how often does it prune", thread="t1") == "it prunes every 6 hours"
    assert len(model.seen) == 2


async def test_a_thumbs_up_to_confab_is_an_acknowledgement_not_a_greeting(chat: Chat) -> None:
    """"@confab 👍" after an answer got "Hi! I'm confab. Ask me about …" again: it acknowledges, as "ok" does."""
    for thumbs in ("@confab 👍", "@confab 👍🏽👍🏽", "@confab 🙏"):
        assert await chat.say(thumbs) == "👍", thumbs
    assert "Hi! I'm confab" in await chat.say("@confab 🤔")


async def test_greetings_and_thanks_get_a_short_answer_and_help_gets_the_list(chat: Chat) -> None:
    hello = await chat.say("@confab hello")
    assert "Hi! I'm confab" in hello and "/help" in hello and "•" not in hello
    thanks = await chat.say("@confab thanks!")
    assert "welcome" in thanks.lower() and "•" not in thanks
    # a word of praise after the thanks is still thanks (it quoted the help-channel docs), a question after it is not
    for praise in ("@confab thanks, that was helpful", "@confab thank you so much - that fixed it 🙏"):
        assert (await chat.say(praise)) == "You're welcome!", praise
    assert "welcome" not in (await chat.say("@confab thanks, and where do I put the token")).lower()
    assert "Here's what I can do" in await chat.say("@confab what can you do?")
    for wordless in ("@confab ????", "@confab 🤔🤔🤔", "@confab ..."):  # not a question the docs fail to cover
        assert "Hi! I'm confab" in await chat.say(wordless), wordless



@pytest.mark.parametrize("request_for_help", [
    "hi! what can you do for our team?", "how can you help us?", "what else can you do?",
    "which commands do you know?", "what are you good at?"])
async def test_help_asked_for_as_people_ask_gets_the_list(chat: Chat, request_for_help: str) -> None:
    """"@confab hi! what can you do for our team?" was told the knowledge base doesn't cover that: only the bare
    "what can you do?" was read as asking for help."""
    assert "Here's what I can do" in await chat.say(f"@confab {request_for_help}")


async def test_a_question_about_doing_something_is_still_for_the_docs(chat: Chat) -> None:
    reply = await chat.say("@confab what can you do about the rate limit?")
    assert "Here's what I can do" not in reply and "knowledge base" in reply  # this bot's docs are empty


async def test_how_the_room_feels_is_its_mood_without_the_requests_to_the_bot(chat: Chat) -> None:
    """"how does everyone feel today?" was told the knowledge base doesn't cover that; and "@confab hi! what can you
    do?" was read as the team's talk, so a mood counted it."""
    await chat.say("the new dashboard is great, really happy with it", user="dana")
    await chat.say("honestly the release was a mess, I'm frustrated", user="eli")
    await chat.say("@confab hi! what can you do for our team?", user="gus")
    await chat.say("@confab /help", user="ivy")  # a command sent as a mention (as on Slack, where /help isn't one)
    reply = await chat.say("@confab how does everyone feel today?", user="hal")
    assert "**Mood:" in reply and "over 2 messages" in reply, reply
    assert "what can you do" not in reply and "/help" not in reply

async def test_what_the_docs_dont_cover_is_found_in_the_channel_in_other_words_forms(chat: Chat) -> None:
    """Offline, a question the documents don't cover quotes the channel's own messages that share its words,
    compared as the searches compare them (stemmed): "owns" finds "own"."""
    await chat.say("@bob can you own the changelog by friday?", user="ana")
    await chat.say("sure, I will have it done by thursday", user="bob")
    answer = await chat.say("@confab who owns the changelog?", user="carol")
    assert "Earlier in this channel" in answer and "own the changelog by friday" in answer
    # the answer first, then that the documents don't cover it (it opened with "doesn't cover that")
    assert answer.startswith("Earlier in this channel")



async def test_a_line_that_points_back_is_found_by_what_it_points_to(chat: Chat) -> None:
    """"who is resizing the replica?" was refused: "I'll resize it today" holds "resize" but says "it" for the
    replica named in the message before it."""
    await chat.say("ok let's bump the replica to 8GB for now", user="ana")
    await chat.say("I'll resize it today", user="ben")
    await chat.say("unrelated: the office wifi password changed", user="cleo")
    answer = await chat.say("@confab who is resizing the replica?", user="dev")
    assert answer.startswith("Earlier in this channel") and "ben: I'll resize it today" in answer, answer
    assert "wifi" not in answer

@pytest.mark.parametrize("text, expected", [
    ("thanks!", False), ("ok, I'll set it up tomorrow", False), ("will do", False), ("👍", False),
    ("got it, thanks", False), ("have a nice weekend", False), ("@bob can you take the migration?", False),
    ("and the on-call rota?", True), ("where does it keep its data then", True), ("how do I add docs", True),
    ("it fails with permission denied", True), ("please summarize this thread", True),
    ("thanks! one more thing: how do I reindex", True), ("does it read PDFs", True),
    ("?", False), ("??!", False), ("🤔?", False), ("y?", True),
])
def test_what_counts_as_meant_for_the_bot(text: str, expected: bool) -> None:
    assert expects_answer(text) is expected


# --- limits -----------------------------------------------------------------------------------

async def test_cheap_commands_are_never_rate_limited_and_every_refusal_is_told(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage(f"a{i}") for i in range(10)])
    chat = await make_chat(model, rate_user_per_min=2)
    for _ in range(5):
        assert "/forget" in (await chat.command("help"))[0].text
        assert (await chat.command("confab", "settings"))[0].text
    assert [await chat.say(f"@confab question {i}?") for i in range(2)] == ["a0", "a1"]
    assert "faster than I can keep up" in await chat.say("@confab question 3?")
    message = chat.message("@confab question 4?")
    assert await chat.deliver(message) == []
    assert chat.adapter.reactions == [(message.id, "⏳")]  # later refusals: a reaction, not silence
    for _ in range(3):  # commands that do cost something are refused with a note every time
        [refusal] = await chat.command("ask", "what now?")
        assert "faster than I can keep up" in refusal.text and refusal.ephemeral


# --- history ----------------------------------------------------------------------------------

async def test_pasted_walls_of_text_never_lock_the_channel(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("here is the answer")])
    chat = await make_chat(model)
    for who in ("bob", "carol", "dave"):
        await chat.say("log line " * 5_000, user=who)  # three 45,000-character pastes
    assert await chat.say("@confab what does the log say?") == "here is the answer"
    prompt = model.seen[0]
    history = next(str(m.content) for m in prompt if m.additional_kwargs.get("confab") == "history")
    assert len(history) < 24_000 * 4 * 0.5
    assert history.count("bob:") == history.count("carol:") == history.count("dave:") == 1


# --- bad input at the pipeline's door ----------------------------------------------------------

async def test_half_an_emoji_from_any_caller_is_stored_cleaned_and_answered(make_chat: Any) -> None:
    from bot.events import Author

    model = ScriptedModel(steps=[AIMessage("answered")])
    chat = await make_chat(model)
    message = chat.message("@confab what about this \ud83d?")
    message = type(message)(message.id, message.channel, Author("u1", "bob \ud83d"), message.text,
                            mentions_bot=True)
    [reply] = await chat.deliver(message)
    assert reply.text == "answered"
    [stored, _] = await chat.pipeline.deps.store.messages.recent("test:T1:general")
    assert stored.author_name == "bob \ufffd" and "\ufffd" in stored.text


async def test_an_acknowledgement_put_to_confab_gets_a_nod_not_passages_of_the_docs(chat: Chat) -> None:
    """"@confab ok" quoted the docs' passages about threads and ratings; "@confab yes" said the docs don't cover it."""
    for nod in ("@confab ok", "@confab +1", "@confab yes", "@confab sounds good"):
        assert await chat.say(nod) == "👍", nod
    assert await chat.say("@confab ok, how do I deploy confab?") != "👍"  # a question after the "ok" is asked


async def test_what_was_asked_of_confab_is_not_labelled_read_for_mood_or_seeded_as_an_idea(chat: Chat) -> None:
    """The mood and labels read the requests put to Confab as the team's talk, and a brainstorm seeded its own
    request back as an idea ("dave: “@confab brainstorm names for the new office wifi”")."""
    await chat.say("the app crashes when I upload a png", user="alice")
    await chat.say("can we add dark mode?", user="bob")
    labels = await chat.say("@confab classify the last messages as bug / feature", user="dave")
    assert "crashes" in labels and "dark mode" in labels
    assert "@confab classify" not in await chat.say("@confab label these as bug or feature", user="dave")
    mood = await chat.say("@confab what's the mood?", user="dave")
    assert "over 2 messages" in mood and "@confab" not in mood
    seeds = await chat.say("@confab brainstorm names for the new office wifi", user="dave")
    assert "Brainstorm" in seeds and "@confab brainstorm" not in seeds
    await chat.say("@confab remind us to add dark mode next sprint", user="ana")  # said to Confab, still talk
    assert "remind us to add dark mode" in await chat.say("@confab what is the mood here?", user="dave")


async def test_where_the_work_stands_is_read_in_the_talk_not_the_docs(bot_factory: Any, tmp_path: Any) -> None:
    """Offline, "when will the export be done?" was answered from the docs, which share the topic's word ("the export
    cap" in an example); where the team's work stands is in the channel. How to do something still asks the docs,
    and a status question the talk has nothing on falls back to them."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir(exist_ok=True)
    (knowledge / "exports.md").write_text("# Exports\n\n## CSV export\n\nThe CSV export of a report is capped at "
                                          "10,000 rows. Set `EXPORT_CAP` to change the export cap.\n", encoding="utf-8")
    chat = await bot_factory()
    await chat.say("the csv export times out for big accounts", user="alice")
    await chat.say("streaming the export is better, I'll do it by thursday", user="bob")
    for asked in ("@confab when will the export be done?", "@confab who is working on the export?"):
        answer = await chat.say(asked, user="dave")
        assert "Earlier in this channel" in answer and "I'll do it by thursday" in answer, answer
        assert "EXPORT_CAP" not in answer
    assert "EXPORT_CAP" in await chat.say("@confab how do I change the export cap?", user="dave")
    assert "EXPORT_CAP" in await chat.say("@confab what's the status of the export cap setting?", user="carol")


# a set-up guide where "the token" is Slack's or Discord's: which one a follow-up means is the thread's topic
SET_UP = ("# Set-up\n\n## Slack\n\nPut `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN` and `SLACK_SIGNING_SECRET` in the `.env` "
          "file next to Confab; the signing secret is only needed in HTTP mode.\n\n## Discord\n\nPut "
          "`DISCORD_TOKEN` in the `.env` file and invite the bot with the link from the developer portal.\n\n"
          "## Images\n\nSet `CONFAB_IMAGE_MODEL` to draw images with `/imagine`.\n")


async def test_a_thread_follow_up_without_a_pronoun_leans_on_the_threads_topic(chat: Chat, tmp_path: Any) -> None:
    """In a thread, "where do I put the signing secret?" after "how do I set it up on slack?" was searched alone
    (it leans on the thread with no "it" or "then") and refused, though the thread's topic finds the Slack
    settings; here, alone, "where do I put the token?" finds Discord's."""
    (tmp_path / "knowledge" / "setup.md").write_text(SET_UP, encoding="utf-8")
    await chat.deps.knowledge.reindex()
    first = await chat.say("@confab how do I set up slack?", thread="t1")
    assert "SLACK_BOT_TOKEN" in first
    reply = await chat.say("where do I put the token?", user="bob", thread="t1")
    assert "SLACK_BOT_TOKEN" in reply and "DISCORD_TOKEN" not in reply, reply
    # a thanks before the question is no part of it: "ok thanks, and where do I put the signing secret?" was refused
    thanked = await chat.say("ok thanks, and where does the token live?", user="bob", thread="t1")
    assert "SLACK_BOT_TOKEN" in thanked and "DISCORD_TOKEN" not in thanked, thanked


async def test_a_reply_under_the_question_goes_on_with_the_conversation_where_answers_are_not_threaded(
        tmp_path: Any) -> None:
    """In the console (and on Discord) an answer goes to the channel, not the question's thread: a reply under the
    question (`>1 …`) was ignored, where one under the answer (`>2 …`) was answered; on Slack both are one thread."""
    from tests.fakes.harness import console_says
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path)
    (tmp_path / "knowledge" / "setup.md").write_text(SET_UP, encoding="utf-8")
    out = await console_says(tmp_path, ["@confab how do I set up slack?", ">1 where do I put the token then?",
                                        ">1 thanks!"], settings=settings)
    assert "[3] (thread 1) alice: where do I put the token then?" in out
    assert "[4] (thread 1) confab: From the docs:" in out and "SLACK_BOT_TOKEN" in out.split("[4]")[1], out
    assert "[6]" not in out  # the thanks gets no reply


async def test_a_thread_follow_up_on_another_topic_is_not_answered_from_the_first_question(chat: Chat,
                                                                                           tmp_path: Any) -> None:
    """A follow-up is searched with the question it follows, then alone. When only the first search finds something
    and its quote holds none of the follow-up's own words, the context took over: "who is on call this weekend?"
    under an answer about streaming was answered about streaming ("this" read as pointing back)."""
    (tmp_path / "knowledge" / "answers.md").write_text(
        "# Answers\n\n## Streaming\n\nWith a configured model, answers are streamed as they are written, updated "
        "about once a second.\n", encoding="utf-8")
    await chat.deps.knowledge.reindex()
    first = await chat.say("@confab how are answers streamed?", thread="t1")
    assert "streamed as they are written" in first
    reply = await chat.say("who is on call this weekend?", user="bob", thread="t1")
    assert "streamed" not in reply and "doesn't cover" in reply, reply


async def test_quoted_text_cannot_turn_the_bots_own_line_around(chat: Chat) -> None:
    """A right-to-left override in someone's message ("\u202eevil\u202c …") was quoted as it came in a summary,
    where it reverses the rest of the bot's line on screen; right-to-left text keeps its direction marks."""
    await chat.say("\u202eevil\u202c the deploy is done, staging looks good", user="kim")
    await chat.say("great, \u05e9\u05dc\u05d5\u05dd\u200f to the team, thanks for the deploy", user="lou")
    reply = await chat.say("@confab summarize")
    assert "evil" in reply and "\u200f" in reply, reply
    assert not any(ch in reply for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), ascii(reply)

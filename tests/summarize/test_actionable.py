"""The pieces behind summaries a team can act on: due dates, one item per task, open questions that are
really open, names instead of "you", messages to the bot, console references, the LLM's instructions."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent.summarize.extractive import summarize_extractive
from agent.summarize.render import render_summary
from agent.summarize.signals import find_action, find_due
from tests.summarize.summ_fakes import HashEmbedder, msgs

PEOPLE = ["ana", "ben", "cleo", "dev"]


@pytest.mark.parametrize(("text", "due", "task"), [
    ("fix the login bug by Friday", "Friday", "fix the login bug"),
    ("send the invoice tomorrow", "tomorrow", "send the invoice"),
    ("merge the docs before the 3.2 release", "before the 3.2 release", "merge the docs"),
    ("post the numbers EOD", "EOD", "post the numbers"),
    ("ship the hotfix by end of day Friday", "end of day Friday", "ship the hotfix"),
    ("book the room for next Tuesday", "next Tuesday", "book the room"),
    ("cut the branch on Monday at 9am", "Monday at 9am", "cut the branch"),
    ("file the report no later than March 3rd", "March 3rd", "file the report"),
    ("rotate the keys asap", "ASAP", "rotate the keys"),
    ("clean up the dashboards", None, "clean up the dashboards"),
    ("look at the proxy after standup", "after standup", "look at the proxy"),
    ("restart the worker in an hour", "in an hour", "restart the worker"),
    ("after all, the cache is fine", None, "after all, the cache is fine"),
])
def test_due_dates_as_people_say_them(text: str, due: str | None, task: str) -> None:
    found, rest, _ = find_due(text)
    assert (found, rest) == (due, task)


@pytest.mark.parametrize(("speaker", "text", "expected"), [
    ("ana", "@ben could you rerun the load test by Thursday?", ("ben", "Rerun the load test", "Thursday", "ana")),
    ("ana", "Cleo, please send me your slides before the demo.", ("cleo", "Send ana cleo's slides",
                                                                   "before the demo", "ana")),
    ("ana", "can you review the PR today, dev?", ("dev", "Review the PR", "today", "ana")),
    ("ben", "dev to update the runbook by Monday", ("dev", "Update the runbook", "Monday", "ben")),
    ("cleo", "TODO: ana to renew the certificate this week", ("ana", "Renew the certificate", "this week", "cleo")),
    ("dev", "@confab remind us to archive the old channel on Friday", ("team", "Archive the old channel",
                                                                        "Friday", "dev")),
    ("dev", "okay, I'll write the postmortem tomorrow morning", ("dev", "Write the postmortem",
                                                                  "tomorrow morning", None)),
    # the name opens a later sentence; the due date follows the question
    ("ana", "great. ben, would you write the postmortem doc? due end of week", ("ben", "Write the postmortem doc",
                                                                               "end of week", "ana")),
    ("cleo", "I will try to get the alert routing fixed by Monday", ("cleo", "Get the alert routing fixed",
                                                                     "Monday", None)),
    ("ana", "Ben will handle the rollback tonight", ("ben", "Handle the rollback", "tonight", "ana")),
    ("ana", "ben, could you put me through to Dr. Lee this afternoon?", ("ben", "Put ana through to Dr. Lee",
                                                                        "this afternoon", "ana")),
    # named before speaking in the window: still the owner, never "you" or whoever spoke last
    ("ana", "sam, can you renew the domain by Friday?", ("sam", "Renew the domain", "Friday", "ana")),
    # "it" is what the sentence before was about: a commitment with a date, dropped as a bare "do it"
    ("ben", "streaming is better. I'll do it by thursday", ("ben", "Do streaming", "thursday", None)),
    ("ben", "ok the new endpoint is ready for review. I'll merge it tomorrow", ("ben", "Merge the new endpoint",
                                                                             "tomorrow", None)),
])
def test_who_does_what_by_when(speaker: str, text: str, expected: tuple[str, str, str, str | None]) -> None:
    action = find_action(text, speaker, PEOPLE, bot_name="confab")
    assert action is not None
    assert (action.owner, action.task, action.due, action.asked_by) == expected


@pytest.mark.parametrize("text", [
    "Sure, I'll take it.", "I'll do that", "I can't make it tomorrow", "I'll be out on Friday",
    "let me know when it's done", "I can see the error in the logs", "ben, can you believe this weather?",
    "I'll look into it", "ok I'll ping them", "I'll re-work it this afternoon",
    # abilities and questions about wishes are not tasks
    "I can speak very good Spanish", "ben, would you want to live there?",
    "Sorry, could you resend the invite?",  # "Sorry" is nobody; whom it asks is unknown here
    "that's fine. I'll do it", "it is broken. I'll fix it today",  # nothing named before "it"
])
def test_no_fragments_become_action_items(text: str) -> None:
    assert find_action(text, "ana", PEOPLE, bot_name="confab") is None


def test_a_request_and_its_acceptance_are_one_item() -> None:
    summary = summarize_extractive(msgs(
        "ana: The staging database is almost out of disk.",
        "ana: ben, could you resize the staging volume?",
        "cleo: it's at 92% already",
        "ben: on it, I'll resize the staging volume by noon",
        "ben: Sure, I'll take it.",
        "dev: I'll rotate the staging credentials tomorrow.",
        "dev: reminder: I'll rotate the staging credentials tomorrow."), HashEmbedder())
    got = [(a.owner, a.text, a.due, a.asked_by, a.sources) for a in summary.action_items]
    assert got == [("ben", "Resize the staging volume", "noon", "ana", ("m2", "m4")),
                   ("dev", "Rotate the staging credentials", "tomorrow", None, ("m6", "m7"))]


def test_open_questions_are_only_the_unanswered_ones() -> None:
    summary = summarize_extractive(msgs(
        "ana: Which region do we fail over to?",  # m1: answered right after
        "ben: eu-west, it has the warm standby.",
        "cleo: dev, is the DNS TTL still one hour?",  # m3: answered later, to cleo by name
        "ana: coffee anyone?",
        "ben: yes please",
        "dev: @cleo it's five minutes since last week",
        "ana: Who tells the customers about the maintenance window?",  # m7: small talk follows: open
        "ben: lol the build is green again",
        "cleo: @confab what did we decide about the failover?",  # m9: the bot answers it
        "dev: ben, can you update the status page?",  # m10: a request, an action item
        "ben: will do"), HashEmbedder(), bot_name="confab")
    assert [q.sources for q in summary.open_questions] == [("m7",)]
    assert summary.open_questions[0].text.startswith("ana: Who tells the customers")


def test_an_idea_offered_as_a_question_is_no_open_question_but_a_question_about_a_subject_is() -> None:
    """A naming brainstorm listed its unanswered "how about Northstar?" and "what about a Friday release?" as open
    questions: they offer ideas and wait for a yes. A question on a subject already there, or one that asks on
    after the "what about", still waits for an answer."""
    summary = summarize_extractive(msgs(
        "ana: we need a name for the new billing service, ideas welcome",
        "ben: how about Northstar?",  # m2
        "cleo: why don't we call it Ledger? thoughts?",  # m3
        "dev: what about a Friday release for the rename?",  # m4
        "ana: shall we keep the old name for the API paths?",  # m5
        "ben: what about the migration, who owns it?",  # m6: asks on
        "cleo: Beacon would look nice on the dashboard",
        "dev: what about the docs?",  # m8: the docs are already there: asks after them
        "ana: what if the old clients still call the legacy host?"), HashEmbedder())  # m9: not "what if we"
    assert [q.sources for q in summary.open_questions] == [("m6",), ("m8",), ("m9",)]


def test_a_who_question_is_answered_by_giving_the_task_to_someone() -> None:
    """A release channel listed "what about the changelog, who writes it?" as open after "priya can you write the
    changelog by thursday?" "sure, will do": an owner named answers a "who"; a task on another subject does not,
    nor does a task given to answer a question that asks something else."""
    summary = summarize_extractive(msgs(
        "maria: the 3.2 release is blocked, the migration test fails on postgres 16",
        "priya: what about the changelog, who writes it?",  # m2: answered by the request to priya
        "maria: priya can you write the changelog by thursday?",
        "priya: sure, will do",
        "li: who reviews the release notes?",  # m5: the next task is on another subject
        "maria: ana, can you rerun the postgres job?",
        "dev: which postgres version do we pin in CI?",  # m7: not a "who": a task on it is no answer
        "maria: dev, can you check the postgres version in the CI config later?"), HashEmbedder())
    assert [q.sources for q in summary.open_questions] == [("m5",), ("m7",)]
    assert [(a.owner, a.text) for a in summary.action_items][:1] == [("priya", "Write the changelog")]


def test_a_no_in_other_words_or_an_answer_that_asks_on_answers_the_question() -> None:
    """A release thread listed "can we skip that fixture in CI?" (answered "I'd rather not, …") and "did anyone tell
    support?" (answered "not yet, priya can you post in #support?") as open questions."""
    summary = summarize_extractive(msgs(
        "maria: the 3.2 release is blocked, the migration test fails on postgres 16",
        "maria: can we skip that fixture in CI for now?",
        "li: I'd rather not, it caught two bugs last month",
        "priya: did anyone tell support about the delay?",
        "maria: not yet, priya can you post in #support?",
        "priya: sure, will do",
        "li: when is the new release date?"), HashEmbedder())
    assert [q.sources for q in summary.open_questions] == [("m7",)]
    assert [(a.owner, a.asked_by) for a in summary.action_items] == [("priya", "maria")]


def test_an_acceptance_with_its_own_date_takes_the_item_with_that_date() -> None:
    """"Sure, I will have it done by thursday" takes on the request, and the owner's own date is the commitment."""
    summary = summarize_extractive(msgs(
        "ana: @bob can you own the changelog by friday?",
        "bob: sure, I will have it done by thursday"), HashEmbedder(), bot_name="confab")
    [item] = summary.action_items
    assert (item.owner, item.due, item.sources) == ("bob", "thursday", ("m1", "m2"))


def test_what_the_bot_is_asked_is_nobodys_action_item_and_questions_read_in_order() -> None:
    """The bot did (or declined) what it was asked: no item with the bot as owner. An open question whose "I" had
    to become a name is told as reported speech, in a statement's order; emoji written as :name: are dropped."""
    summary = summarize_extractive(msgs(
        "alice: @confab explain this to @bob",
        "dave: hi, how do I deploy the new runner?",
        "bob: agreed, friday it is :rocket:"), HashEmbedder(), bot_name="confab")
    assert all(item.owner != "confab" for item in summary.action_items)
    assert [q.text for q in summary.open_questions] == ["dave asks how dave deploys the new runner."]
    assert "rocket" not in summary.tldr and "is:rocket" not in render_summary(summary)  # it was "it is:rocket."


def test_an_answer_in_another_form_of_the_questions_words_answers_it() -> None:
    """"testing" and "test" are one word to the summary, as to every search (a five-letter prefix kept them
    apart, and the question was listed as open though carol took it on)."""
    summary = summarize_extractive(msgs(
        "dave: who is testing the migration on staging?",
        "carol: I can test it tomorrow morning"), HashEmbedder(), bot_name="confab")
    assert summary.open_questions == []


def test_a_reply_that_gives_the_person_or_the_time_asked_for_answers_the_question() -> None:
    """"who owns the migration script?" "dave does, he said he'd test it on staging tomorrow" shares no word with
    the question and is not close in meaning, so a release thread listed the question as open. A person for
    "who …?", a time for "when …?" and someone taking it on for "anyone …?" answer it; small talk, a guess or a
    time elsewhere in a reply don't."""
    summary = summarize_extractive(msgs(
        "alice: who owns the migration script?",
        "bob: dave does, he said he'd test it on staging tomorrow",
        "carol: when is the code freeze?",
        "alice: wednesday noon",
        "dave: who can review my PR?",
        "carol: me!",
        "bob: who tells the customers about the window?",  # m7: small talk, open
        "alice: lol",
        "carol: who signs off on the budget?",  # m9: a guess, open
        "dave: not sure, maybe finance",
        "alice: when do we rotate the keys?",  # m11: the time is not the answer's opening, open
        "bob: the deploy broke again, I'll look at it tomorrow",
        "carol: the build is red again, anyone looking?",  # m13: taken on
        "dave: on it, I'll check the logs after lunch",
        "alice: can somebody restart the runner?",  # m15: a request nobody took on, open
        "bob: lol same"), HashEmbedder(), bot_name="confab")
    assert [q.sources for q in summary.open_questions] == [("m7",), ("m9",), ("m11",), ("m15",)]


def test_a_question_put_to_someone_reads_with_their_name() -> None:
    summary = summarize_extractive(msgs(
        "ana: The release is blocked on the signing key.",
        "ben: Legal owns the key now.",
        "cleo: @dev can you ask legal for the signing key?",
        "ana: and do you know when they answer, ben?"), HashEmbedder())
    text = render_summary(summary)
    assert "ana asks ben whether ben knows when they answer." in text
    assert "**dev**: Ask legal for the signing key (asked by cleo)" in text
    assert not re.search(r"\byou\b", text, re.I)


def test_a_request_to_anyone_is_owned_by_whoever_takes_it_on() -> None:
    """"can someone …?" answered "I'll take it" was no action item, and stayed an open question; an acceptance
    after "good call," lost its date."""
    summary = summarize_extractive(msgs(
        "maria: heads up: the docs for the search API are out of date",
        "maria: can someone update the search API docs by friday?",
        "tom: I'll take it",
        "maria: someone please restart the worker before the standup",
        "li: on it",
        "li: could anyone review the release notes today?",
        "priya: @tom you should also bump the timeout in the helm chart",
        "tom: good call, will do by tomorrow"), HashEmbedder())
    items = [(a.owner, a.text, a.due, a.asked_by, a.sources) for a in summary.action_items]
    assert items == [("tom", "Update the search API docs", "friday", "maria", ("m2", "m3")),
                     ("li", "Restart the worker", "before the standup", "maria", ("m4", "m5")),
                     ("tom", "Bump the timeout in the helm chart", "tomorrow", "priya", ("m7", "m8"))]
    assert [q.sources for q in summary.open_questions] == [("m6",)]  # nobody took that one on



def test_one_reply_that_takes_on_two_things_gives_two_items_each_with_its_date() -> None:
    """"I'll write it, and I'll add a memory alert for the payments pod tomorrow" under "can someone write the
    postmortem? we need it by friday" gave one item, the postmortem, due "tomorrow"; the alert was lost."""
    summary = summarize_extractive(msgs(
        "priya: checkout is returning 502s since 14:05, looking into it",
        "sam: can someone write the postmortem? we need it by friday",
        "tom: I'll write it, and I'll add a memory alert for the payments pod tomorrow",
        "sam: can someone check the pod limits?",
        "priya: I'll check them, and I'll have it done by noon",
        "sam: tom, can you update the runbook?",
        "tom: sure. I will do it on monday"), HashEmbedder())
    items = [(a.owner, a.text, a.due, a.asked_by, a.sources) for a in summary.action_items]
    assert items == [("tom", "Write the postmortem", "friday", "sam", ("m2", "m3")),
                     ("tom", "Add a memory alert for the payments pod", "tomorrow", None, ("m3",)),
                     ("priya", "Check the pod limits", "noon", "sam", ("m4", "m5")),
                     ("tom", "Update the runbook", "monday", "sam", ("m6", "m7"))]

def test_an_idea_put_to_the_team_is_owned_by_whoever_commits_to_it() -> None:
    """"thanks bob! can we add an alert for that?" answered "sure, I'll add one tomorrow" gave no action item (the
    thanks hid the request, and "add one" points back); a bare "sure" only agrees with an idea and owns nothing;
    "I'll take that one" is no task of its own."""
    summary = summarize_extractive(msgs(
        "ana: the deploy failed again on staging, the health check timed out",
        "ben: I restarted the worker and it's back up now",
        "ana: thanks ben! can we add an alert for that?",
        "ben: sure, I'll add one tomorrow",
        "cleo: can we move the nightly export to the replica?",
        "dev: sure",
        "cleo: thanks dev! could we also bump the export timeout?",
        "ben: ok, I'll take that one",
        "dev: can we raise the proxy timeout to 120s?",
        "ana: sure, I'll do it after lunch"), HashEmbedder())
    items = [(a.owner, a.text, a.due, a.asked_by, a.sources) for a in summary.action_items]
    assert items == [("ben", "Add an alert for that", "tomorrow", "ana", ("m3", "m4")),
                     ("ben", "Bump the export timeout", None, "cleo", ("m7", "m8")),
                     ("ana", "Raise the proxy timeout to 120s", "after lunch", "dev", ("m9", "m10"))]


def test_an_open_question_is_the_question_not_the_thanks_before_it(minilm: Any) -> None:
    """"Great, found them. Also, should we …?" was listed whole, the thanks and the "Also," with it."""
    summary = summarize_extractive(msgs(
        "cleo: can anyone tell me where the logs are?",
        "ben: they're in /var/log/confab on the staging box",
        "cleo: great, found them. Also, should we keep the logs longer than a week?",
        "dev: let's decide that on monday"), minilm)
    assert [(q.text, q.sources) for q in summary.open_questions] == [
        ("cleo: Should we keep the logs longer than a week?", ("m3",))]


def test_a_request_to_anyone_with_no_task_to_name_is_no_open_question_once_taken_on(minilm: Any) -> None:
    """By meaning "I'll take it" answers nothing (with the real model): the request stayed an open question."""
    summary = summarize_extractive(msgs(
        "maria: heads up: the staging deploy failed again last night",
        "tom: I saw that, it's the db migration timing out",
        "maria: can someone look into it before noon?",
        "tom: I'll take it",
        "priya: is anyone updating the runbook?"), minilm)
    assert [q.sources for q in summary.open_questions] == [("m5",)]
    assert summary.action_items == []  # "look into it" names no task: no item of its own


def test_a_question_ending_with_a_mention_is_put_to_that_person() -> None:
    """"… green @dave?" read "alice asks whether dave know if the android build is green @dave"."""
    summary = summarize_extractive(msgs(
        "dave: the perf numbers landed last night, p99 is down 20%",
        "bob: the API docs still need updating before we cut the branch",
        "alice: great. do you know if the android build is green @dave?"), HashEmbedder())
    [question] = [q.text for q in summary.open_questions]
    assert question == "alice asks dave whether dave knows if the android build is green."


def test_a_greeting_to_everyone_is_not_you() -> None:
    summary = summarize_extractive(msgs(
        "ana: The 2.4 release went out at noon without errors.",
        "ben: The error rate stayed flat after the 2.4 release.",
        "cleo: Thanks all, see you at the 2.4 release retro on Friday."), HashEmbedder())
    text = render_summary(summary)
    assert not re.search(r"\byou\b", text, re.I)


async def test_messages_to_the_bot_are_content_but_summary_requests_are_not(bot: Any) -> None:
    await bot.say("The 4.0 release is blocked on the flaky upload test.", user="ana")
    await bot.say("@confab remind us to rerun the upload test tomorrow morning", user="ben")
    await bot.say("@confab summarize please", user="cleo")
    [reply] = await bot.command("summarize")
    assert "**team**: Rerun the upload test — due tomorrow morning (asked by ben)" in reply.text
    assert "2 messages from 2 people" in reply.text  # the request for a summary is not part of it


async def test_a_command_sent_as_a_mention_is_no_part_of_the_conversation(bot: Any) -> None:
    """A console summary's TL;DR was "you: /nonsense.": a mistyped "@confab /nonsense" (a command sent as a mention,
    Slack's way in threads) was retold as something said; "/nonsense" typed alone never was."""
    await bot.say("The 4.0 release is blocked on the flaky upload test.", user="ana")
    await bot.say("@confab /nonsense", user="ben")
    await bot.say("@confab, /summarise last 5", user="cleo")
    [reply] = await bot.command("summarize")
    assert "1 message from 1 person" in reply.text and "nonsense" not in reply.text and "summarise" not in reply.text


async def test_a_follow_up_the_bot_answered_was_put_to_the_bot_and_is_not_open(bot: Any) -> None:
    """A follow-up in the thread of the bot's answer names no one; the bot answered it. It is no open question,
    and it is not retold as asked of whoever spoke next."""
    await bot.say("@confab how do I run it under systemd?", user="ana")
    answer = await bot.say("where does it keep its data then?", user="ana", thread="bot-1")
    assert answer  # answered (from an empty knowledge base here)
    await bot.say("lunch at noon?", user="bob")
    await bot.say("sure", user="ana")
    [reply] = await bot.command("summarize")
    assert "Where does it keep its data" not in reply.text.split("**Open questions**")[-1]
    assert "ana asks bob" not in reply.text and "asks confab where it keeps its data" in reply.text


async def test_asking_the_bot_for_its_features_is_not_the_teams_conversation(bot: Any) -> None:
    """A summary reads what the team said: "@confab draw a cat" or "what is the mood here?" is not part of it, a
    reminder asked of the bot is (an action item), and a question that names its speaker is not said twice."""
    await bot.say("the deploy failed again, this is so frustrating", user="bob")
    await bot.say("I am not sure the fix works, can someone check?", user="carol")
    await bot.say("@confab what is the mood here?", user="carol")
    await bot.say("@confab draw a cat wearing a hat", user="carol")
    reminder = await bot.say("@confab remind us to check the fix tomorrow", user="ana")
    assert "can't send reminders" in reminder
    [reply] = await bot.command("summarize")
    assert "3 messages from 3 people" in reply.text
    assert "cat" not in reply.text and "mood here" not in reply.text
    assert "Check the fix — due tomorrow" in reply.text
    assert "carol: carol" not in reply.text and "carol is not sure the fix works" in reply.text


async def test_what_people_quote_is_not_retold_as_their_words(bot: Any) -> None:
    """Confab's "I'm running offline …" quoted back read "carol is running offline: carol answer only from …"."""
    await bot.say("@confab how long are messages kept?", user="ana")
    await bot.say("@confab\n> I'm running offline: I answer only from the team's documents and this channel.\n"
                  "so I need a model for better answers?", user="carol")
    await bot.say("> Messages older than `CONFAB_RETENTION_DAYS` are deleted automatically.\n"
                  "we should lower it to 30 days, I'll open the PR tomorrow", user="ben")
    await bot.say(">>> I answer only from the team's documents\nand this channel.", user="dev")
    [reply] = await bot.command("summarize")
    assert "carol is running offline" not in reply.text and "running offline" not in reply.text
    assert "deleted automatically" not in reply.text and "> " not in reply.text
    assert "team's documents" not in reply.text
    assert "**ben**: Open the PR — due tomorrow" in reply.text  # what they said themselves still counts


async def test_the_console_cites_its_own_message_numbers(tmp_path: Path) -> None:
    from tests.fakes.harness import console_says
    from tests.fakes.settings import make_settings

    settings = make_settings(tmp_path)
    lines = ["The deploy pipeline fails on the docker cache step since Monday.",  # [1]
             "/as ben",
             "The docker cache step needs the new registry token.",  # [2]
             "/as ana",
             "ben, can you rotate the registry token by Friday?",  # [3]
             "/as ben",
             "will do",  # [4]
             "/summarize"]  # [5]
    out = await console_says(tmp_path, lines, settings=settings, user="ana", embedder=HashEmbedder())
    assert "**ben**: Rotate the registry token — due Friday (asked by ana) ([3], [4])" in out
    tldr = next(line for line in out.splitlines() if "**TL;DR**" in line)
    assert re.search(r"\((\[\d\](, )?)+\)$", tldr), tldr


async def test_the_consoles_own_person_is_retold_as_you(tmp_path: Path) -> None:
    """The console's person is "you": its summary read "you asks confab how you keeps confab running", "you is"."""
    from tests.fakes.harness import console_says
    from tests.fakes.settings import make_settings

    lines = ["@confab how do I keep confab running after I log out of the server?",
             "I'm moving the export job to the replica tonight, I need the new credentials",
             "/summarize"]
    out = await console_says(tmp_path, lines, settings=make_settings(tmp_path), user="you", embedder=HashEmbedder())
    summary = out[out.index("**TL;DR**"):]
    assert "you ask confab how you keep confab running" in summary
    assert "you are moving the export job" in summary.replace("You are", "you are")
    assert not re.search(r"\byou (?:asks|keeps|is|has|needs)\b", summary, re.I), summary


async def test_the_request_for_a_summary_is_not_in_it_whatever_its_words(tmp_path: Path) -> None:
    """In a DM nothing names the bot: "can you summarize what we talked about?" was its own summary's key point and
    open question ("you ask whether you can summarize what we talked about")."""
    from tests.fakes.harness import console_says
    from tests.fakes.settings import make_settings

    lines = ["/dm", "the staging export needs the new proxy timeout", "can you summarize what we talked about?"]
    out = await console_says(tmp_path, lines, settings=make_settings(tmp_path), embedder=HashEmbedder())
    summary = out[out.index("**TL;DR**"):]
    assert "proxy timeout" in summary and "talked about" not in summary, summary


async def test_the_llm_is_told_how_to_attribute_and_what_is_open() -> None:
    from agent.summarize.extractive import describe_coverage
    from agent.summarize.llm import summarize_with_llm

    prompts: list[str] = []

    class Recording(FakeListChatModel):
        async def _agenerate(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def]
            prompts.append(messages[0].content)
            return await super()._agenerate(messages, *args, **kwargs)

    messages = msgs("ana: ben, can you take the migration by Friday?", "ben: sure")
    answer = json.dumps({"tldr": "Ben takes the migration.", "action_items": [
        {"owner": "ben", "text": "Take the migration", "due": "Friday", "asked_by": "ana", "sources": [1, 2]},
        {"owner": "ana", "text": "Nothing due", "due": None, "asked_by": "null", "sources": [1]}]})
    summary = await summarize_with_llm(messages, Recording(responses=[answer]), describe_coverage(messages))
    text = render_summary(summary)
    assert "**ben**: Take the migration — due Friday (asked by ana) (#1, #2)" in text
    assert "**ana**: Nothing due (#1)" in text
    [prompt] = prompts
    for rule in ('never write "you"', "asked_by", "due", "nobody answered", "addressed to the assistant",
                 "the TL;DR states it", "cites the numbers"):
        assert rule in prompt


def test_mentions_by_platform_user_id_read_as_names() -> None:
    """Slack writes mentions as user ids (``<@U0BEN>`` -> ``@U0BEN``): items still name the person."""
    from dataclasses import replace

    ids = {"ana": "U0ANA", "ben": "U0BEN", "cleo": "U0CLEO"}
    base = msgs("ana: The nightly export fails on the new bucket policy.",
                "cleo: The policy denies the export role since Tuesday.",
                "ana: @U0BEN can you fix the bucket policy by Thursday?",
                "ben: will do")
    summary = summarize_extractive([replace(m, author_id=ids[m.author_name]) for m in base], HashEmbedder())
    text = render_summary(summary)
    assert "**ben**: Fix the bucket policy — due Thursday (asked by ana) (#3, #4)" in text
    assert "U0BEN" not in text


def test_answers_in_a_question_thread_count_and_channel_chatter_does_not() -> None:
    from dataclasses import replace

    base = msgs("ana: Does the canary deploy need a DB snapshot first?",  # m1, answered in its thread
                "ben: standup in 5",  # channel chatter
                "cleo: yes, take the snapshot first, it's in the runbook",  # m3, in m1's thread
                "dev: Is the on-call rota for December published?",  # m4, in a thread of its own
                "ana: yes please, coffee")  # channel-level, not dev's thread
    threads = {"m3": "m1", "m4": "t9"}
    messages = [replace(m, thread=threads.get(m.id)) for m in base]
    summary = summarize_extractive(messages, HashEmbedder())
    assert [q.sources for q in summary.open_questions] == [("m4",)]


def test_the_rest_of_a_request_is_retold_as_asked_of_that_person() -> None:
    summary = summarize_extractive(msgs(
        "ana: The payments migration locks the ledger table for forty minutes.",
        "cleo: The batched backfill avoids the ledger lock entirely.",
        "ana: ben, can you take the payments migration? Run the batched backfill on production tomorrow.",
        "dev: sounds good"), HashEmbedder(), max_points=4)
    retold = [p.text for p in summary.key_points if p.sources == ("m3",)]
    assert retold and all(text.startswith("ana asks ben to ") for text in retold), retold


@pytest.mark.parametrize("decision", ["ok, Thursday it is.", "Let's go ahead with Thursday for the 2.0 launch.",
                                      "We agreed: the 2.0 launch moves to Thursday.",
                                      # the team committing to an act is its decision (issue 19, item 8): the
                                      # TL;DR took only the cues above and missed these
                                      "ok let's ship the 2.0 launch on Thursday then.", "we'll ship 2.0 on Thursday.",
                                      "we will postpone it to Thursday"])
def test_the_decision_is_in_the_tldr_however_it_is_phrased(decision: str) -> None:
    summary = summarize_extractive(msgs(
        "ana: The 2.0 launch checklist still has the billing migration and the marketing site open.",
        "ben: The billing migration needs a maintenance window of two hours on the production database.",
        "cleo: The marketing site copy is with legal, they promised it for Wednesday afternoon.",
        "dev: Tuesday or Thursday for the 2.0 launch, then?",
        "ben: Thursday gives the billing migration a safer maintenance window.",
        f"ana: {decision}",
        "cleo: 🎉"), HashEmbedder())
    assert "thursday" in summary.tldr.lower().split("ana:")[-1]
    assert "m6" in summary.tldr_sources


def test_a_yes_to_a_proposal_is_the_threads_decision() -> None:
    """An incident thread's "should we roll back?" "yes, rolling back to v2.31 now" was neither a decision nor in
    the TL;DR, whose first line was the report and second the suspected cause; a "no" decides nothing, and a yes
    that a decision in so many words follows only agreed (test_decisions_actions_and_open_questions)."""
    summary = summarize_extractive(msgs(
        "priya: heads up: checkout is returning 502s since 14:05, looking into it",
        "tom: I see it too, error rate is at 12% on the dashboard",
        "priya: looks like the payments pod is OOMing after the 13:50 deploy",
        "tom: should we roll back?",
        "priya: yes, rolling back to v2.31 now",
        "priya: rollback done, error rate back under 0.5%",
        "sam: should we tell support?",
        "tom: no, not yet"), HashEmbedder())
    assert [(p.sources, p.text) for p in summary.decisions] == [
        (("m4", "m5"), "tom asks whether we should roll back; priya: yes, rolling back to v2.31 now")]
    assert "m5" in summary.tldr_sources and "rolling back to v2.31" in summary.tldr.lower()

def test_a_lets_that_closes_a_discussion_is_its_decision_and_whoever_commits_owns_it() -> None:
    """"ok let's bump the replica to 8GB for now …" and "I'll resize it today" gave no decision and no action item:
    only "let's use/ship/keep/drop/…" decided, and "resize it" points back. "let's see" decides nothing."""
    summary = summarize_extractive(msgs(
        "ana: the export job failed again last night, same timeout on the replica",
        "ben: I think the replica is too small, it has 4GB and the export needs 6",
        "cleo: we could stream the export instead of loading everything in memory",
        "ben: streaming would take a week of work though",
        "ana: ok let's bump the replica to 8GB for now and plan streaming for next sprint",
        "ben: I'll resize it today",
        "cleo: so let's see how it goes",
        "dev: alright let's do lunch"), HashEmbedder())
    assert [p.sources for p in summary.decisions] == [("m5",)]
    assert "m5" in summary.tldr_sources
    assert [(a.owner, a.due, a.asked_by, a.sources) for a in summary.action_items] == [
        ("ben", "today", "ana", ("m5", "m6"))]


def test_a_report_then_a_request_to_anyone_is_taken_on_by_whoever_says_so() -> None:
    """"the staging db is down again, can someone look?" "on it, I'll restart it after lunch" was an open question
    and no action item: a request to anyone was read only at the start of a message, and "restart it" pointed back
    to nothing. Now the request is taken on, and "it" is what the report was about."""
    summary = summarize_extractive(msgs(
        "ana: yo, everyone ok?",
        "ben: yep, just swamped with the migration",
        "cleo: the staging db is down again, can someone look?",
        "ana: on it, I'll restart it after lunch",
        "dev: the wifi on floor 3 is flaky today, can anyone check?"), HashEmbedder())
    assert [(a.owner, a.text, a.due, a.asked_by, a.sources) for a in summary.action_items] == [
        ("ana", "Restart the staging db", "after lunch", "cleo", ("m3", "m4"))]
    assert [q.sources for q in summary.open_questions] == [("m5",)]  # nobody took that one on


def test_a_task_put_to_anyone_by_its_subject_is_owned_by_whoever_says_what_they_will_do() -> None:
    """A release thread: "who wants the changelog?" "me, I'll draft it tomorrow" and "the migration guide needs
    someone …" "yeah I can write it, but not before wednesday" gave no items (nobody was asked to do anything), and
    "I can take the smoke tests, will have them done by thursday" read "Take the smoke tests, will have them done";
    "not before wednesday" was a deadline ("due before wednesday")."""
    summary = summarize_extractive(msgs(
        "ana: release 3.4 is planned for friday. still open: changelog, smoke tests, and the migration guide",
        "ben: I can take the smoke tests, will have them done by thursday",
        "ana: great. who wants the changelog?",
        "cleo: me, I'll draft it tomorrow",
        "ana: perfect. the migration guide needs someone who knows the new auth flow",
        "ben: that's probably dev, he built it",
        "dev: yeah I can write it, but not before wednesday",
        "ana: wednesday is fine"), HashEmbedder())
    assert [(a.owner, a.text, a.due, a.asked_by) for a in summary.action_items] == [
        ("ben", "Take the smoke tests", "thursday", None),
        ("cleo", "Draft the changelog", "tomorrow", "ana"),
        ("dev", "Write the migration guide", "not before wednesday", "ana")]
    assert "not before wednesday" in render_summary(summary) and "due not" not in render_summary(summary)
    assert summary.open_questions == []


def test_an_answer_that_corrects_an_earlier_guess_answers_the_question() -> None:
    """"who approves new laptops?" "hmm not sure, maybe finance?" "@jo no, it's the IT lead, alex" stayed an open
    question: a reply addressed to someone other than the asker was taken for other talk."""
    summary = summarize_extractive(msgs(
        "ana: thx. and who approves new laptops?",
        "ben: hmm not sure, maybe finance?",
        "cleo: @ben no, it's the IT lead, alex",
        "ana: got it. one more: is the office open on the 24th?",
        "dev: the all-hands is moved to 3pm tomorrow btw",
        "ben: @dev no worries, see you there"), HashEmbedder())
    assert [q.sources for q in summary.open_questions] == [("m4",)]  # a reply to someone else's remark is not one


def test_a_choice_among_proposals_is_the_tldrs_decision_and_a_groan_is_no_part_of_it() -> None:
    """An export incident's "let's do both: omar bumps the timeout today, and pia looks into partitioning" was no
    strong decision ("let's do" is weak: "let's do lunch"), so the TL;DR left it out for "omar: Ugh. is it the same
    timeout?", its "Ugh." retold."""
    summary = summarize_extractive(msgs(
        "ana: heads up, the nightly export to the data warehouse failed again, third time this week",
        "ben: ugh. is it the same timeout?",
        "ana: yes, the query on orders takes 40 min now and the job kills it at 30",
        "ben: we could bump the timeout to 60 as a stopgap",
        "cleo: or partition the orders table, that's the real fix",
        "ana: let's do both: ben bumps the timeout today, and cleo looks into partitioning next sprint",
        "ben: done, timeout is 60 now",
        "dev: let's do lunch at 1?"), HashEmbedder())
    assert "m6" in summary.tldr_sources and "let's do both" in summary.tldr.lower()
    assert "ugh" not in summary.tldr.lower()
    assert [p.sources for p in summary.decisions] == [("m6",)]


@pytest.mark.parametrize("text", ["Yes it is.", "Oh it is.", "here it is", "what day it is?"])
def test_it_is_without_a_choice_is_no_decision(text: str) -> None:
    from agent.summarize.signals import is_decision

    assert not is_decision(text)


def test_a_decision_followed_by_a_request_or_a_question_is_a_decision_and_the_request_an_item() -> None:
    """"ok, Thursday then, cleo can you …?" ends with a question mark: it was no decision, cleo's task was lost
    and her name read "cleo can cleo finish"."""
    summary = summarize_extractive(msgs(
        "ana: we need a date for the 2.0 launch",
        "ben: next Thursday works, the billing migration is almost done",
        "cleo: Thursday is fine, but the release notes aren't ready",
        "ana: ok let's go with Thursday then, cleo can you finish the release notes by Wednesday?",
        "cleo: sure, I'll have them by Wednesday",
        "dev: we decided to freeze the branch on Monday. any objections?"), HashEmbedder())
    decided = {p.sources: p.text for p in summary.decisions}
    assert decided[("m4",)] == "ana: ok let's go with Thursday then."  # the decision, not the question after it
    assert decided[("m6",)] == "dev: we decided to freeze the branch on Monday."
    items = [(a.owner, a.text, a.due, a.asked_by) for a in summary.action_items]
    assert ("cleo", "Finish the release notes", "Wednesday", "ana") in items
    retold = " ".join(p.text for p in summary.key_points) + summary.tldr
    assert "cleo can cleo" not in retold and "can cleo finish" not in retold.lower()


@pytest.mark.parametrize("text", ["are we going with Thursday, ben can you check?", "should we go with Thursday?",
                                  "have we decided, or should we wait?"])
def test_a_question_about_a_decision_stays_no_decision(text: str) -> None:
    from agent.summarize.signals import is_decision

    assert not is_decision(text)


def test_a_commitment_in_a_thread_about_it_names_what_the_thread_is_about() -> None:
    """"the staging db is slow again" and in its thread "I'll look at it after lunch": the item is to look at the
    staging db (it was dropped: "look at it" names no task). Outside that thread, "it" stays unnamed and no item."""
    from dataclasses import replace

    base = msgs("alice: the staging db is slow again",
                "bob: I'll look at it after lunch",  # m2, in m1's thread
                "cleo: the new logo looks great",
                "dev: I'll check it tomorrow")  # m4, in the channel: "it" could be anything
    messages = [replace(m, thread="m1" if m.id == "m2" else None) for m in base]
    summary = summarize_extractive(messages, HashEmbedder(), bot_name="confab")
    assert [(a.owner, a.text, a.due, a.sources) for a in summary.action_items] == [
        ("bob", "Look at the staging db", "after lunch", ("m2",))]


def test_a_request_after_a_few_words_of_lead_in_is_a_request() -> None:
    """"good catch, can you file a ticket?" to the person who found the bug was an open question and no action item:
    the request behind "good catch," was not seen."""
    from dataclasses import replace

    base = msgs("carol: found a bug: csv export drops the last row",
                "alice: good catch, can you file a ticket?",  # m2, in m1's thread
                "carol: done, it's EXP-412")  # m3, in m1's thread
    messages = [replace(m, thread="m1" if m.id != "m1" else None) for m in base]
    summary = summarize_extractive(messages, HashEmbedder(), bot_name="confab")
    assert [(a.owner, a.text, a.asked_by) for a in summary.action_items] == [("carol", "File a ticket", "alice")]
    assert summary.open_questions == []

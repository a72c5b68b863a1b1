import re
from dataclasses import replace

from agent.summarize.extractive import summarize_extractive
from agent.summarize.render import render_summary
from agent.summarize.rewrite import reported, third_person
from tests.summarize.summ_fakes import HashEmbedder, msgs

CONVERSATION = (
    "alice: morning all",
    "bob: hi",
    "carol: hey",
    "alice: The billing service keeps timing out when the invoice batch runs at night.",
    "bob: The invoice batch holds a database lock on the invoices table for ten minutes.",
    "carol: Could we split the invoice batch into smaller chunks so the lock is shorter?",
    "alice: Yes, smaller invoice batches would fix the database lock timeouts.",
    "bob: We decided to split the invoice batch into chunks of 500.",
    "carol: I'll write the migration for the invoice batch chunking by Thursday.",
    "dave: Who reviews the billing dashboards after the change?",
    "alice: lol",
)


def test_empty_input_says_so(embedder: HashEmbedder) -> None:
    summary = summarize_extractive([], embedder)
    assert summary.empty
    assert "nothing to summarize" in render_summary(summary).lower()


def test_single_message(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs("alice: The deploy to staging failed on the database migration."),
                                   embedder)
    assert summary.coverage.messages == 1 and summary.coverage.people == 1
    assert "deploy to staging failed" in summary.tldr
    assert summary.key_points[0].sources == ("m1",)
    assert "1 message from 1 person" in render_summary(summary)


def test_selection_is_salient_not_the_first_lines(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(*CONVERSATION), embedder)
    assert "morning" not in summary.tldr and "hi" not in summary.tldr.lower().split()
    assert "invoice" in summary.tldr
    cited = {s for p in summary.key_points for s in p.sources}
    assert cited <= {f"m{i}" for i in range(1, 12)} and "m1" not in cited


def test_speakers_are_retold_in_third_person(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs("carol: I'll write the migration for the invoice batch by Thursday.",
                                        "bob: Thanks, I will review your migration on Friday morning."), embedder)
    text = " ".join(p.text for p in summary.key_points)
    assert "carol will write the migration" in text and "bob will review carol's migration" in text
    assert " I " not in f" {text} "


def test_decisions_actions_and_open_questions(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(*CONVERSATION), embedder)
    assert [d.sources for d in summary.decisions] == [("m8",)]
    assert [(a.owner, a.sources) for a in summary.action_items] == [("carol", ("m9",))]
    assert "migration" in summary.action_items[0].text
    # carol's question was answered by alice right after; dave's was not
    assert [q.sources for q in summary.open_questions] == [("m10",)]


def test_addressed_action_gets_the_addressee_as_owner(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs("alice: bob, can you update the runbook for the failover?",
                                        "bob: sure thing"), embedder)
    assert [(a.owner, a.text) for a in summary.action_items] == [("bob", "Update the runbook for the failover")]


def test_bot_and_deleted_messages_are_left_out(embedder: HashEmbedder) -> None:
    base = msgs("alice: Ship the release on Monday after the smoke tests pass.",
                "confab: SECRET BOT TEXT about releases", "bob: DELETED words here")
    messages = [base[0], replace(base[1], is_bot=True), replace(base[2], deleted=True)]
    summary = summarize_extractive(messages, embedder)
    rendered = render_summary(summary)
    assert "SECRET" not in rendered and "DELETED" not in rendered
    assert summary.coverage.messages == 1


def test_mixed_languages_do_not_crash(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(
        "ana: El despliegue falló anoche por la base de datos.",
        "kenji: デプロイは明日に延期します。",
        "lena: Wir verschieben das Release auf Freitag.",
        "sam: OK, the release moves to Friday then.",
        "omar: 🚀🚀🚀"), embedder)
    assert summary.tldr and len(summary.key_points) >= 3
    assert summary.coverage.people == 5


def test_every_point_cites_its_message(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(*CONVERSATION), embedder)
    links = render_summary(summary, link=lambda mid: f"https://chat.example/{mid}")
    for point in summary.key_points:
        assert f"https://chat.example/{point.sources[0]}" in links
    plain = render_summary(summary)
    assert f"(#{summary.numbers[summary.key_points[0].sources[0]]})" in plain


def test_rewrite_rules() -> None:
    assert third_person("I'm sure my plan works for you", "Ana", "Ben") == "Ana is sure Ana's plan works for Ben"
    assert third_person("I ' Ve got it", "Ana") == "Ana has got it"
    assert reported("Do you believe in UFOs?", "Ana", "Ben") == "Ana asks Ben whether Ben believes in UFOs."
    assert reported("Well, I need a break", "Ana") == "Ana needs a break."



def test_a_verb_after_i_agrees_with_the_name_or_with_you() -> None:
    """"I log out" read "ana log out", "I go home" "ana gos home", "I try it" "ana trys it": only a short list of
    verbs took an -s, and that -s was added as it came. A past form that looks like its present keeps its tense."""
    assert third_person("I log out every evening and I go home", "ana") == (
        "ana logs out every evening and ana goes home")
    assert third_person("I try it, I fix it, I push the fix", "ana") == "ana tries it, ana fixes it, ana pushes the fix"
    assert third_person("I also need the logs", "ana") == "ana also needs the logs"
    assert third_person("I set up the bot and I read the docs", "ana") == "ana set up the bot and ana read the docs"
    # the console's person is "you": the plain form back
    assert third_person("I log out, I also go home, I try it", "you") == "you log out, you also go home, you try it"
    assert reported("how do I keep confab running after I log out of the server?", "ana", "confab") == (
        "ana asks confab how ana keeps confab running after ana logs out of the server.")


def test_a_greeting_to_the_room_is_not_part_of_what_was_said() -> None:
    """"hi all, reminder: …" read "maria: All, reminder: …"; "Hi Ben, can you check?" read "maria: Ben can ben check"
    (the comma after the name was lost where a leading thanks is looked for); "hello world is printed twice" lost its
    "hello", and "no one knows why" its "no"."""
    assert reported("hi all, reminder: enrolment closes friday", "maria") == "maria: Reminder: enrolment closes friday."
    assert reported("morning everyone, standup moved to 10", "maria") == "maria: Standup moved to 10."
    assert reported("Hi folks - quick one: who owns the proxy?", "maria", "ben") == "maria asks ben who owns the proxy."
    assert reported("Hi Ben, can you check the logs?", "maria", "ben") == "maria asks ben to check the logs."
    assert reported("hello world is printed twice", "maria") == "maria: Hello world is printed twice."
    assert reported("no one knows why", "maria") == "maria: No one knows why."

def test_questions_are_reported_in_the_order_of_a_statement() -> None:
    """A reported question puts its subject before the verb, which agrees with it; a name that is itself a pronoun
    (the console's person is "you") is never rewritten again."""
    assert reported("how do I deploy it?", "Ana", "Ben") == "Ana asks Ben how Ana deploys it."
    assert reported("how many images can I make a day?", "Ana") == "Ana asks how many images Ana can make a day."
    assert reported("do you have time tomorrow?", "Ana", "Ben") == "Ana asks Ben whether Ben has time tomorrow."
    assert reported("are you coming tonight?", "Ana", "Ben") == "Ana asks Ben whether Ben is coming tonight."
    assert reported("Is it ready?", "Ana") == "Ana asks whether it is ready."
    assert reported("where do we stand?", "Ana") == "Ana asks where we stand."
    # "you" meaning the likely one (not known to be asked) agrees as a name does: it read "whether Ben have time"
    assert reported("do you have time tomorrow?", "Ana", you="Ben") == "Ana asks whether Ben has time tomorrow."
    assert reported("are you coming tonight?", "Ana", you="Ben") == "Ana asks whether Ben is coming tonight."
    # a subject it can't place keeps the question as asked: it read "Ana asks whether the build green"
    assert reported("is the build green?", "Ana") == "Ana asks: Is the build green?"
    assert third_person("how do I deploy confab?", "you", "confab") == "how do you deploy confab?"
    # a statement, then its question: both said, the question still a question
    assert reported("the export cap is 10k rows, do we raise it to 50k?", "bob") == (
        "bob: The export cap is 10k rows, do we raise it to 50k?")
    # ... also as a sentence of its own: it read "can we stream it instead." as a statement
    assert reported("50k might blow memory on the workers. can we stream it instead?", "carol") == (
        "carol: 50k might blow memory on the workers. can we stream it instead?")
    assert reported("You were busy?", "ana") == "ana: You were busy."
    # "did" goes and the verb takes the past; another participant is a subject too: it read "you ask confab what did
    # bob say about the proxy"
    assert reported("what did bob say about the proxy?", "Ana", "Ben", others=("bob",)) == (
        "Ana asks Ben what bob said about the proxy.")
    assert reported("did you stop the worker?", "Ana", "Ben") == "Ana asks Ben whether Ben stopped the worker."
    assert reported("what did we decide about the cap?", "Ana") == "Ana asks what we decided about the cap."
    assert reported("did you try the new build?", "Ana", "Ben") == "Ana asks Ben whether Ben tried the new build."


def test_an_idea_offered_as_a_question_is_retold_as_a_suggestion() -> None:
    """A brainstorm's summary read "ben asks how about Lisbon." and "cleo asks ben what about the budget, who approves
    it." alike: the first offers an idea, the second asks."""
    assert reported("how about Lisbon?", "ben", you="ana") == "ben suggests Lisbon."
    assert reported("ok so why don't we call it Ledger? thoughts?", "cleo") == "cleo suggests we call it Ledger."
    assert reported("how about we pin the version?", "you") == "you suggest we pin the version."
    assert reported("what about the budget, who approves it?", "cleo").startswith("cleo asks")


def test_long_windows_embed_only_lexical_candidates(embedder: HashEmbedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import agent.summarize.extractive as extractive

    seen: list[int] = []

    class Counting(HashEmbedder):
        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
            seen.append(len(texts))
            return super().embed(texts)

    monkeypatch.setattr(extractive, "EMBED_LIMIT", 8)
    lines = [f"user{i % 5}: chatter number {i} about lunch" for i in range(30)] + list(CONVERSATION)
    summary = summarize_extractive(msgs(*lines), Counting())
    assert seen == [8]
    assert summary.coverage.messages == 41 and summary.key_points
    assert [q.sources for q in summary.open_questions] == [("m40",)]  # dave's question, still found


def test_rewrite_keeps_meaning_when_tidying() -> None:
    assert reported("Let me look in the TV Guide first", "Ana", "Ben") == "Ana: Let Ana look in the TV Guide first."
    assert reported("I think, you know, we should really go", "Ana") == "Ana: We should go."
    assert reported("Once we are out of Alberta,", "Ana") == "Ana: Once we are out of Alberta."
    assert "we know it well" in reported("Postgres is safe, we know it well", "Bob")


def test_chat_style_rewrites() -> None:
    assert reported("I'll bring you tomorrow :-)", "Amanda", "Jerry") == "Amanda will bring Jerry tomorrow."
    assert reported("I thought you were busy...?", "Madison", "Noah") == "Madison thought Noah were busy."
    assert reported("i moved in with you 🎉", "Naomi", "Sam") == "Naomi moved in with Sam."
    assert reported("what should i do???", "Sam", "Naomi") == "Sam asks Naomi what Sam should do."


def test_huge_and_binary_looking_messages_stay_readable(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs("alice: " + "word " * 50_000, "bob: \ufffd\ufffd\x00 PNG IHDR \ufffd",
                                        "carol: The migration finished at noon."), embedder)
    assert all(len(p.text) <= 300 for p in summary.key_points) and len(summary.tldr) <= 1300


def test_long_lists_are_counted_not_silently_dropped(embedder: HashEmbedder) -> None:
    lines = [f"user{i % 3}: I'll fix ticket {i} in the billing service today" for i in range(14)]
    summary = summarize_extractive(msgs(*lines), embedder)
    assert len(summary.action_items) == 10 and summary.action_items[-1].sources == ("m14",)
    assert "4 older action items not listed" in render_summary(summary)


def test_decision_cues_that_end_in_a_colon_count() -> None:
    from agent.summarize.signals import is_decision

    assert is_decision("decision: we ship on friday with the new docs")
    assert is_decision("The decision is: Postgres.")
    assert not is_decision("what was the decision: postgres or sqlite?")
    assert not is_decision("we need more data before deciding")


TOPICS = ("invoice batch", "database lock", "staging deploy", "login page", "search index", "mobile release",
          "billing dashboard", "backup job", "email digest", "api quota", "audit log", "payment retries")


def meeting(turns: int) -> list[str]:
    """A long meeting on many topics, each turn a plain sentence about one of them."""
    people = ("alice", "bob", "carol", "dave")
    return [f"{people[i % 4]}: The {TOPICS[i % len(TOPICS)]} needs work item {i} before the {TOPICS[(i * 7) % 12]} "
            f"review." for i in range(turns)]


def test_a_long_meeting_gets_a_longer_tldr_than_a_thread(embedder: HashEmbedder) -> None:
    """Length matched to the content: 600 turns are not told in the 60 words of a 30-message thread."""
    thread = summarize_extractive(msgs(*meeting(30)), embedder)
    long = summarize_extractive(msgs(*meeting(600)), embedder)
    assert len(thread.tldr.split()) <= 60
    assert len(long.tldr.split()) > 90 and len(long.tldr_sources) >= 5


def test_a_rambling_turn_does_not_fill_the_tldr(embedder: HashEmbedder) -> None:
    """A transcript's run-on turn, central to the meeting, is left for the key points: the TL;DR tells several."""
    ramble = "alice: " + ", ".join(f"the {t} needs work item {i} before the {TOPICS[(i * 7) % 12]} review"
                                   for i, t in enumerate(TOPICS)) + "."
    summary = summarize_extractive(msgs(ramble, *meeting(80)), embedder)
    assert len(summary.tldr_sources) >= 3 and "m1" not in summary.tldr_sources


def test_spoken_fillers_are_left_out(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs("alice: Uh, so um the invoice batch, uh, needs smaller chunks.",
                                        "bob: Mm-hmm. Hmm, we um decided to split the invoice batch into chunks."),
                                   embedder)
    words = {w.strip(",.").lower() for w in f"{summary.tldr} {' '.join(p.text for p in summary.key_points)}".split()}
    assert not words & {"uh", "um", "hmm", "mm-hmm"}
    assert "invoice" in summary.tldr


def test_a_transcript_is_retold_without_its_stutters(embedder: HashEmbedder) -> None:
    """A meeting transcript's "I I I saw the the speech file" was retold "PhD D PhD D PhD D saw the the speech
    file", and its "we 're" kept the transcriber's space; "had had" is English and stays."""
    summary = summarize_extractive(msgs("dana: I I I saw the the speech file collected by eh the far mike.",
                                        "eli: We 're we 're recording the early meetings on the the new mikes.",
                                        "dana: I had had enough of the noise on the far mike."), embedder)
    told = " ".join([summary.tldr, *(p.text for p in summary.key_points)])
    assert "dana saw the speech file collected by the far mike" in told
    assert "We're recording the early meetings on the new mikes" in told
    assert "had had enough" in told
    assert not re.search(r"\b(\w+) \1\b", told.replace("had had", "")) and " eh " not in told


def test_a_long_meeting_states_its_central_decision_not_its_last_agreed(embedder: HashEmbedder) -> None:
    """A thread's TL;DR states its latest decision (a later one revises it); a 60-turn meeting's stated its last
    "agreed", however off its subject ("as we agreed, the offsite lunch is at noon")."""
    people = ["ana", "ben", "cleo", "dev"]
    talk = [f"{people[i % 4]}: the nightly export batch to the billing replica {word} again"
            for i, word in enumerate(["timed out", "stalled", "failed", "was slow", "retried", "timed out"] * 10)]
    meeting = [*talk[:30], "ben: we decided to move the nightly export batch to the billing replica at 02:00",
               *talk[30:], "dev: as we agreed, the offsite lunch is at noon"]
    summary = summarize_extractive(msgs(*meeting), embedder)
    assert "move the nightly export batch to the billing replica" in summary.tldr, summary.tldr
    assert "lunch" not in summary.tldr
    thread = summarize_extractive(msgs("ana: we decided to ship on monday", "ben: legal needs a day more",
                                       "ana: ok, we decided to ship on tuesday then"), embedder)
    assert "tuesday" in thread.tldr and "monday" not in thread.tldr


TWO_TOPICS = (
    "alice: The invoice batch keeps timing out on the billing database every night.",
    "bob: The office party is on Friday at the rooftop bar.",
    "carol: We decided to split the invoice batch into chunks of 500.",
    "dave: Bring snacks to the office party, the rooftop has no kitchen.",
    "bob: I'll write the invoice batch migration by Thursday.",
    "alice: Who books the taxi back from the office party?",
)


def test_a_summary_about_a_topic_keeps_only_that_topic(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(*TWO_TOPICS), embedder, topic="the invoice batch")
    told = f"{summary.tldr} {' '.join(p.text for p in summary.key_points)}"
    assert "invoice batch" in summary.tldr and "party" not in told and "rooftop" not in told
    assert [a.owner for a in summary.action_items] == ["bob"]  # the migration, not the snacks
    assert not summary.open_questions  # the taxi is about the party
    party = summarize_extractive(msgs(*TWO_TOPICS), embedder, topic="the office party")
    assert "party" in party.tldr and "invoice" not in party.tldr


def test_a_topic_nobody_talked_about_is_said_to_be_missing(embedder: HashEmbedder) -> None:
    summary = summarize_extractive(msgs(*TWO_TOPICS), embedder, topic="quarterly hiring plan")
    assert summary.tldr == "Nothing in these messages is about quarterly hiring plan."
    assert not summary.key_points and not summary.action_items


def test_a_topic_said_once_is_told_alone(embedder: HashEmbedder) -> None:
    """One message about the topic among others: the TL;DR is that message, not padded with other talk."""
    summary = summarize_extractive(msgs("alice: The export cap is ten thousand rows and customers hit it daily.",
                                        "bob: Lunch at noon anyone?",
                                        "alice: We decided to raise the export cap to fifty thousand next week.",
                                        "carol: I will update the export docs by Friday."),
                                   embedder, topic="lunch")
    assert "Lunch at noon" in summary.tldr and "export" not in summary.tldr
    assert summary.tldr_sources == ("m2",)
    nothing = summarize_extractive(msgs("alice: The export cap is ten thousand rows.", "bob: Lunch at noon?"),
                                   embedder, topic="quantum physics")
    assert nothing.participants == [("alice", 1), ("bob", 1)]  # the summary still says who was there

"""What a message asks Confab for (agent/intents.py): the offline model's routing and what summaries leave out."""

import re

import pytest

from agent.intents import PAST, asks_for_a_feature, channel_named_elsewhere


@pytest.mark.parametrize("question", ["what did we decide about the export cap?", "what did carol ask?",
                                      "what did bob suggest for the offsite?", "who said we'd ship friday?"])
def test_questions_about_what_was_said_search_the_conversations(question: str) -> None:
    assert PAST.search(question)


@pytest.mark.parametrize("text, feature", [
    ("summarize please", True), ("what did I miss?", True), ("draw a cat wearing a hat", True),
    ("what is the mood here?", True), ("hi", True), ("thanks!", True),
    ("classify these as bug / feature", True), ("brainstorm names for the wifi", True),
    ("remind us to rerun the upload test tomorrow", False), ("what did we decide about the failover?", False),
    ("how do I summarize a thread?", False), ("the export is broken again", False)])
def test_a_request_for_a_feature_is_told_from_talk_about_the_work(text: str, feature: bool) -> None:
    assert asks_for_a_feature(text) is feature


TOOLS = ("search_knowledge", "summarize_conversation", "analyze_sentiment", "generate_image", "brainstorm_ideas")


def _routed(text: str, tools: tuple[str, ...] = TOOLS) -> str:
    from langchain_core.messages import HumanMessage

    from agent.offline import OfflineChatModel

    reply = OfflineChatModel().bind_tools(tools).respond([HumanMessage(f"@confab {text}")])
    return reply.tool_calls[0]["name"] if reply.tool_calls else "answer"


@pytest.mark.parametrize("text, tool", [
    # a yes/no question about a feature asks the docs (it ran the feature: a summary, the channel's mood)
    ("are summaries private?", "search_knowledge"), ("does that include the summaries?", "search_knowledge"),
    ("does it detect the mood of a channel?", "search_knowledge"),
    ("do brainstorms have a time limit?", "search_knowledge"),
    # asking for the feature still runs it, also as a question put to Confab or about this conversation
    ("can you summarize this channel?", "summarize_conversation"), ("can we get a recap?", "summarize_conversation"),
    ("is there a summary of yesterday?", "summarize_conversation"), ("summarize today", "summarize_conversation"),
    ("is the mood good here?", "analyze_sentiment"), ("could you brainstorm names for the bot?", "brainstorm_ideas")])
def test_a_question_about_a_feature_asks_the_docs_and_a_request_runs_it(text: str, tool: str) -> None:
    assert _routed(text) == tool
    assert asks_for_a_feature(text) is (tool != "search_knowledge")


@pytest.mark.parametrize("text", ["what time is it?", "what's the date today?", "What day is it", "what is the time"])
def test_asking_the_time_gets_the_clock_not_the_docs(text: str) -> None:
    """The docs answered "what time is it?" from an example schedule in them."""
    from langchain_core.messages import HumanMessage

    from agent.offline import OfflineChatModel

    reply = OfflineChatModel().bind_tools(TOOLS).respond([HumanMessage(f"@confab {text}")])
    assert not reply.tool_calls and re.fullmatch(r"It's \w+day \d{1,2} \w+ \d{4}, \d\d:\d\d UTC\.", str(reply.content))
    assert _routed("what day is the release?") == "search_knowledge"


@pytest.mark.parametrize("text, tool", [
    # an open question or a request to explain asks about a feature: these ran a summary, the mood, a brainstorm
    ("who can see a summary?", "search_knowledge"), ("what is the mood feature?", "search_knowledge"),
    ("what's brainstorm for?", "search_knowledge"), ("explain summaries", "search_knowledge"),
    ("how many ideas does brainstorm seed?", "search_knowledge"), ("tell me about summaries", "search_knowledge"),
    ("why is the mood always neutral?", "search_knowledge"),
    ("what's the difference between a summary and a digest?", "search_knowledge"),
    # asking for its reading of the conversation still runs it
    ("what's the mood?", "analyze_sentiment"), ("what is the team's mood lately?", "analyze_sentiment"),
    ("how's the vibe?", "analyze_sentiment"), ("why is the mood so bad today?", "analyze_sentiment"),
    ("what is the summary of this thread?", "summarize_conversation"),
    ("what would be a good summary of this?", "summarize_conversation"), ("what did I miss?", "summarize_conversation"),
    ("what are some ideas for the offsite?", "brainstorm_ideas"),
    ("how do people feel about the release? sentiment please", "analyze_sentiment"),
    ("generate images of a lighthouse", "generate_image"),
    # a bare "what's new?" asks to catch up (it quoted the docs' lines about help channels); about a topic it doesn't
    ("what's new?", "summarize_conversation"), ("anything I should know?", "summarize_conversation"),
    ("what happened while I was away?", "summarize_conversation"),
    ("what happened with the export job?", "search_knowledge"), ("what's new in version 2?", "search_knowledge")])
def test_an_open_question_about_a_feature_asks_the_docs_and_one_about_this_conversation_runs_it(
        text: str, tool: str) -> None:
    assert _routed(text) == tool
    assert asks_for_a_feature(text) is (tool != "search_knowledge")  # summaries count a question about one as talk


@pytest.mark.parametrize("text", ["this summary is useless", "the summary was wrong, bob never said that",
                                  "that tldr missed the decision", "the labels are off"])
def test_a_verdict_on_what_confab_made_is_no_request_for_another(text: str) -> None:
    """They ran a new summary (or labels), which says the same again."""
    assert _routed(text) == "answer"
    assert asks_for_a_feature(text)  # and summaries leave it out


def test_the_mood_of_the_team_is_still_read_and_a_question_asked() -> None:
    assert _routed("the mood here is bad") == "analyze_sentiment"
    assert _routed("the summary is private, right?") == "search_knowledge"  # it ran a summary
    assert _routed("summaries are private, right?") == "search_knowledge"
    assert _routed("the mood is bad today, right?") == "analyze_sentiment"


@pytest.mark.parametrize("text", ["what has bob said about the summary?", "what did @Bob Smith post about the mood?",
                                  "what did alice write about the image?"])
def test_what_one_person_said_searches_the_conversations_and_is_talk(text: str) -> None:
    """Not PAST's words ("has", an @mention, a name of two words, "write"): they ran a summary, the mood, an
    image."""
    assert _routed(text, ("search_conversations", *TOOLS)) == "search_conversations"
    assert not asks_for_a_feature(text)


@pytest.mark.parametrize("text", ['classify "this release is a disaster, nothing works"', "can you classify these?"])
def test_asking_to_classify_without_labels_is_told_how_to_name_them(text: str) -> None:
    """It searched the docs and said they don't cover it."""
    from langchain_core.messages import HumanMessage

    from agent.offline import OfflineChatModel

    tools = (*TOOLS, "classify_messages")
    reply = OfflineChatModel().bind_tools(tools).respond([HumanMessage(f"@confab {text}")])
    assert not reply.tool_calls and "Into which labels?" in str(reply.content) and " as bug " in str(reply.content)
    assert _routed('classify "it crashed" as bug / feature', tools) == "classify_messages"
    assert _routed("sort out the proxy please", tools) == "search_knowledge"


@pytest.mark.parametrize("text, here, named", [
    ("can you summarise the #general channel?", "#dm-alice", "#general"),
    ("summarize <#123>", "<#9>", "<#123>"),
    ("summarize #general", "#general", None),  # this channel
    ("summarize the thread about #4512", "#dm-alice", None),  # an issue's number
    ("summarize #general", None, None),  # where this is can't be told: no guess
])
def test_a_channel_named_in_a_request(text: str, here: str | None, named: str | None) -> None:
    assert channel_named_elsewhere(text, here) == named


@pytest.mark.parametrize("text", ["remind me tomorrow to check the deploy", "can you remind us at 9am to rerun it?",
                                  "please remind bob on friday about the invoices", "remind me to call ana",
                                  "remind me in 2 hours that the build is done"])
def test_a_reminder_with_a_when_gets_the_honest_cannot(text: str) -> None:
    """"remind me tomorrow to check the deploy" got "the knowledge base doesn't cover that … add a document": the
    when between the person and the task hid the request."""
    from langchain_core.messages import HumanMessage

    from agent.offline import OfflineChatModel

    reply = OfflineChatModel().bind_tools(TOOLS).respond([HumanMessage(f"@confab {text}")])
    assert not reply.tool_calls and "I can't send reminders" in str(reply.content)
    assert _routed("remind me how to set up slack") == "search_knowledge"  # a question, not a reminder

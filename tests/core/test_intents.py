"""What a message asks Confab for (agent/intents.py): the offline model's routing and what summaries leave out."""

import re

import pytest

from agent.intents import PAST, asks_for_a_feature


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


def _routed(text: str) -> str:
    from langchain_core.messages import HumanMessage

    from agent.offline import OfflineChatModel

    reply = OfflineChatModel().bind_tools(TOOLS).respond([HumanMessage(f"@confab {text}")])
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

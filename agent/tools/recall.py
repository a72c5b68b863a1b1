"""The ``search_conversations`` tool: past messages of the channels the asker can read (agent/recall).

A model reads the matches as delimited, untrusted data numbered [n] with their links; people (and the offline
model) get the ready answer :mod:`agent.recall.answer` writes. What the asker may read is checked by the
platform at the time of the call (the turn's ``recall_access``); a turn without one reads nothing.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool

from agent.context import report, require_turn
from agent.recall.answer import for_model, render
from agent.recall.asking import asks_decision
from agent.recall.authors import AuthorQuery, parse, person
from agent.recall.service import RecallService
from agent.tools.base import ToolOutput


def make_recall_tool(recall: RecallService) -> BaseTool:
    async def search_conversations(query: str, author: str = "") -> tuple[str, ToolOutput]:
        turn = require_turn()
        report("is searching past conversations…")
        asked = parse(query[:1000], turn.author_id)  # "what did bob say about X?": bob's messages, about X
        if author.strip() and (named := person(author[:100], turn.author_id)) is not None:
            asked = AuthorQuery(asked.topic, named)
        result = await recall.search(asked.topic, turn.channel_key, turn.recall_access, asked=turn.message_id,
                                     author=asked.author)
        decision = asks_decision(asked.topic)
        shown = render(result, turn.recall_access, turn.channel_key, decision)
        return (for_model(result, turn.recall_access, turn.channel_key, decision),
                ToolOutput("search_conversations", shown, extra={"matches": len(result.hits)}))

    return StructuredTool.from_function(
        coroutine=search_conversations,
        name="search_conversations",
        description=(
            "Search what people said in past conversations (every channel the asker can read) for a question "
            "about what was decided, discussed or said, e.g. 'what did we decide about the export cap?'. Returns "
            "numbered messages with author, channel, time and link; quote them with their link and answer only "
            "from them. `query`: the topic in the user's words. `author`: only that person's messages, when the "
            "user asks what someone said ('what did @bob say about the migration?'): their @mention or name as the "
            "user wrote it; empty for everyone's."),
        response_format="content_and_artifact",
    )

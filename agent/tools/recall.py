"""The ``search_conversations`` tool: past messages of the channels the asker can read (agent/recall).

A model reads the matches as delimited, untrusted data numbered [n] with their links; people (and the offline
model) get the ready answer :mod:`agent.recall.answer` writes. What the asker may read is checked by the
platform at the time of the call (the turn's ``recall_access``); a turn without one reads nothing.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool

from agent.context import report, require_turn
from agent.recall.answer import for_model, render
from agent.recall.service import RecallService, asks_decision
from agent.tools.base import ToolOutput


def make_recall_tool(recall: RecallService) -> BaseTool:
    async def search_conversations(query: str) -> tuple[str, ToolOutput]:
        turn = require_turn()
        report("is searching past conversations…")
        result = await recall.search(query[:1000], turn.channel_key, turn.recall_access, asked=turn.message_id)
        decision = asks_decision(query)
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
            "from them. `query`: the topic in the user's words."),
        response_format="content_and_artifact",
    )

"""Deps are built in one place with typed parts; the assistant builds the agent and picks its post-processing."""

from pathlib import Path

from agent.assistant import Assistant
from agent.brainstorm.service import Brainstormer
from agent.classify.service import Classification
from agent.deps import open_deps
from agent.images.service import ImageService
from agent.knowledge.citations import enforce_citations
from agent.knowledge.service import KnowledgeService
from agent.storage.ports import Storage
from agent.summarize.service import Summarizer
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.settings import make_settings


async def test_open_deps_builds_every_part_once(tmp_path: Path) -> None:
    deps = await open_deps(make_settings(tmp_path))
    try:
        assert isinstance(deps.store, Storage)
        for part, kind in [(deps.knowledge, KnowledgeService), (deps.classifier, Classification),
                           (deps.images, ImageService), (deps.summarizer, Summarizer),
                           (deps.brainstorm, Brainstormer), (deps.assistant, Assistant)]:
            assert isinstance(part, kind)
        assert sorted(t.name for t in deps.tools) == ["analyze_sentiment", "brainstorm_ideas", "classify_messages",
                                                      "generate_image", "read_attached_files", "search_conversations",
                                                      "search_knowledge",
                                                      "summarize_conversation"]
        assert deps.embedder is deps.embedder  # created once, on first use
        assert deps.brainstorm.knowledge is deps.knowledge
        assert deps.assistant.agent.post_processors == []  # offline: tool output is shown verbatim
    finally:
        await deps.close()


async def test_a_language_model_answer_is_post_processed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(update={"model": "openai:fake"})
    deps = await open_deps(settings, chat_model=ScriptedModel())
    try:
        assert deps.assistant.agent.post_processors == [enforce_citations]
    finally:
        await deps.close()

"""What a configured model is given of attached files: passages as numbered data within the files' share of the
token budget, images as content parts only for a model that sees images, and an image's cost counted as a fixed
share of the budget, not its base64 length."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from agent.core import _approx_tokens
from agent.files.model import AttachedFile
from agent.files.prompt import IMAGE_TOKENS, file_prompt, image_part
from agent.knowledge.chunking import chunk_text
from tests.files.samples import image


def test_passages_stop_at_the_files_share_of_the_budget_and_say_what_was_left_out() -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "the export job retries after a failure. " * 20 for n in range(60))
    big = AttachedFile("notes.md", "markdown", tuple(chunk_text("notes.md", text)))
    prompt = file_prompt([big], token_budget=4000, vision=False)
    assert len(prompt.text) < 4000 * 4 * 0.3 + 1000  # 30% of the budget, at ~4 characters a token
    assert prompt.citations and prompt.citations[0].source == "notes.md" and prompt.citations[0].lines
    assert "more passages of the files are not shown here" in prompt.text
    assert prompt.text.count('<passage n="') == len(prompt.citations) < len(big.chunks)


def test_images_only_for_a_model_that_sees_them_and_at_a_fixed_cost() -> None:
    png = AttachedFile("screen.png", "image", image=image() * 2000, mime="image/png")
    assert file_prompt([png], 24000, vision=False).images == ()
    [part] = file_prompt([png], 24000, vision=True).images
    assert part == image_part(png) and part["image_url"]["url"].startswith("data:image/png;base64,")
    message = HumanMessage([{"type": "text", "text": "what is this?"}, part])
    assert _approx_tokens([message]) < IMAGE_TOKENS + 20 < len(part["image_url"]["url"]) // 4

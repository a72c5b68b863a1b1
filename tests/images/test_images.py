"""Images end to end: the real openai SDK against the loopback fake, through /imagine and the agent tool."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ImageError
from agent.images.fetch import UnsafeURL, check_url
from agent.images.generator import ImageMalformed, ImageQuota, ImageRefused, ImageTimeout, OpenAIImages
from agent.images.png import NotPNG, check_png
from tests.fakes.harness import Bot, Chat, open_bot
from tests.fakes.openai_server import FakeOpenAI, error_reply, image_reply, png_bytes
from tests.fakes.settings import make_settings
from tests.stored_rows import table_rows

GENERATIONS = "/v1/images/generations"


def make_bot(tmp_path: Path, fake: FakeOpenAI | None, **overrides: Any) -> AbstractAsyncContextManager[Bot]:
    values: dict[str, Any] = {"image_model": "gpt-image-1", "image_base_url": fake.base_url,
                              "image_api_key": "sk-img-secret"} if fake else {}
    values.update(overrides)
    return open_bot(tmp_path, **values)


@pytest.fixture
async def bot(tmp_path: Path, fake_openai: FakeOpenAI) -> AsyncIterator[Chat]:
    async with make_bot(tmp_path, fake_openai) as chat:
        yield chat


def use_generator(chat: Chat, fake: FakeOpenAI, **kwargs: Any) -> None:
    images = chat.pipeline.deps.images
    images._generator = OpenAIImages("gpt-image-1", "sk-img", fake.base_url, **kwargs)


async def test_imagine_posts_a_real_png_and_records_it(bot: Chat, fake_openai: FakeOpenAI) -> None:
    fake_openai.images.append(image_reply(png_bytes(16, 8)))
    [reply] = await bot.command("imagine", "a lighthouse at dusk, watercolour")
    [file] = reply.attachments
    assert check_png(file.data).width == 16 and file.mime == "image/png" and file.filename.endswith(".png")
    assert "lighthouse" in file.alt_text and not reply.ephemeral
    request = fake_openai.requests_to(GENERATIONS)[0]
    assert request.json["model"] == "gpt-image-1" and request.json["prompt"] == "a lighthouse at dusk, watercolour"
    rows = await table_rows(bot.pipeline.deps, "SELECT author_id, prompt, file FROM image_generations")
    assert rows == [("alice", "a lighthouse at dusk, watercolour", file.filename)]


async def test_a_follow_up_in_the_thread_revises_the_previous_prompt(bot: Chat, fake_openai: FakeOpenAI) -> None:
    await bot.command("imagine", "a red fox in the snow", thread="t1")
    await bot.command("imagine", "make it bluer", thread="t1")
    await bot.command("imagine", "make it bluer", thread="other")
    prompts = [r.json["prompt"] for r in fake_openai.requests_to(GENERATIONS)]
    assert prompts == ["a red fox in the snow", "a red fox in the snow — revised: make it bluer", "make it bluer"]


async def test_the_agent_tool_posts_the_image_with_the_answer(bot: Chat, fake_openai: FakeOpenAI) -> None:
    await bot.say("@confab draw a cosy cabin in the woods")  # offline model routes to generate_image
    [reply] = bot.adapter.sent
    assert len(reply.attachments) == 1 and check_png(reply.attachments[0].data)


async def test_url_answers_are_downloaded_only_from_allowed_addresses(bot: Chat, fake_openai: FakeOpenAI) -> None:
    fake_openai.images.append(image_reply(as_url=True))
    [refused] = await bot.command("imagine", "a cat")  # production rules: a loopback http URL is refused
    assert refused.ephemeral and "won't download" in refused.text and not refused.attachments
    use_generator(bot, fake_openai, allow_loopback_urls=True)  # tests only
    fake_openai.images.append(image_reply(as_url=True))
    [posted] = await bot.command("imagine", "a cat")
    assert check_png(posted.attachments[0].data)


@pytest.mark.parametrize("url", ["http://example.com/a.png", "https://10.0.0.7/a.png", "https://169.254.169.254/x",
                                 "https://127.0.0.1/a.png", "https://[::1]/a.png", "file:///etc/passwd"])
async def test_private_and_insecure_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        await check_url(url)


@pytest.mark.parametrize(("scripted", "error"), [
    (error_reply(400, "Your request was rejected as a result of our safety system.", "content_policy_violation",
                 "image_generation_user_error"), ImageRefused),
    (error_reply(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"), ImageQuota),
    (image_reply(b"GIF89a not a png"), ImageMalformed),
    (image_reply(png_bytes()[:-20]), ImageMalformed),
])
async def test_failures_get_their_own_clear_message(bot: Chat, fake_openai: FakeOpenAI, scripted: Any,
                                                    error: type[ImageError]) -> None:
    fake_openai.images.append(scripted)
    [reply] = await bot.command("imagine", "a cat")
    assert reply.text == error.user_message and reply.ephemeral and not reply.attachments
    assert await table_rows(bot.pipeline.deps, "SELECT COUNT(*) FROM image_generations") == [(0,)]


async def test_a_slow_image_service_times_out(bot: Chat, fake_openai: FakeOpenAI) -> None:
    use_generator(bot, fake_openai, timeout_s=0.3)
    slow = image_reply()
    slow.delay_s = 2.0
    fake_openai.images.append(slow)
    [reply] = await bot.command("imagine", "a cat")
    assert reply.text == ImageTimeout.user_message


async def test_oversize_images_are_refused(bot: Chat, fake_openai: FakeOpenAI) -> None:
    use_generator(bot, fake_openai, max_bytes=100)
    fake_openai.images.append(image_reply(png_bytes(64, 64)))
    [reply] = await bot.command("imagine", "a big cat")
    assert "larger than I accept" in reply.text and not reply.attachments


async def test_the_daily_limit_is_friendly(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    async with make_bot(tmp_path, fake_openai, image_daily_limit=2) as chat:
        for _ in range(2):
            assert (await chat.command("imagine", "a cat"))[0].attachments
        [limited] = await chat.command("imagine", "a cat")
        assert "today's image limit (2)" in limited.text and limited.ephemeral
        assert len(fake_openai.requests_to(GENERATIONS)) == 2
        assert (await chat.command("imagine", "a cat", user="bob"))[0].attachments  # per user


async def test_concurrent_requests_stay_within_the_daily_limit(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    async with make_bot(tmp_path, fake_openai, image_daily_limit=20) as chat:
        images = chat.pipeline.deps.images
        results = await asyncio.gather(*(images.create(f"a cat, take {i}", "alice", "console:local:general", None)
                                         for i in range(30)))
        assert sum(r.ok for r in results) == 20 and len(fake_openai.requests_to(GENERATIONS)) == 20
        assert sum("today's image limit (20)" in r.message for r in results) == 10


async def test_bad_prompts(bot: Chat) -> None:
    assert "Tell me what to draw" in (await bot.command("imagine", "   "))[0].text
    assert "too long" in (await bot.command("imagine", "x" * 5000))[0].text


async def test_without_an_image_model_it_explains_and_never_fakes(tmp_path: Path) -> None:
    async with make_bot(tmp_path, None) as chat:
        [reply] = await chat.command("imagine", "a cat")
        assert "CONFAB_IMAGE_MODEL" in reply.text and not reply.attachments
        assert "CONFAB_IMAGE_MODEL" in await chat.say("@confab draw a cat")


def test_png_check_rejects_what_is_not_a_whole_png() -> None:
    good = png_bytes(4, 3)
    assert check_png(good).height == 3
    for bad in (b"", b"\x89PNG\r\n\x1a\n", good[:-12], good.replace(b"IDAT", b"IDAX"), base64.b64encode(good)):
        with pytest.raises(NotPNG):
            check_png(bad)


async def test_with_a_chat_model_imagine_refines_the_prompt(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from tests.fakes.openai_server import text_reply

    fake_openai.chat.append(text_reply('"A small red fox curled up in fresh snow, soft morning light, watercolour"'))
    async with make_bot(tmp_path, fake_openai, model="openai:gpt-4.1-mini",
                        openai_base_url=fake_openai.base_url, openai_api_key="sk-chat") as chat:
        [reply] = await chat.command("imagine", "fox in snow")
        assert reply.attachments
        sent = fake_openai.requests_to(GENERATIONS)[0].json["prompt"]
        assert sent == "A small red fox curled up in fresh snow, soft morning light, watercolour"
        asked = fake_openai.requests_to("/v1/chat/completions")[0].json["messages"][-1]["content"]
        assert "<request>\nfox in snow\n</request>" in asked


async def test_the_console_saves_the_image_and_prints_its_path(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from tests.fakes.harness import console_says

    settings = make_settings(tmp_path, image_model="gpt-image-1", image_base_url=fake_openai.base_url,
                             image_api_key="sk-img")
    out = await console_says(tmp_path, ["/imagine a paper crane"], settings=settings, user="you", width=200)
    [saved] = list((settings.data_dir / "images").iterdir())
    assert check_png(saved.read_bytes()) and str(saved.name) in out

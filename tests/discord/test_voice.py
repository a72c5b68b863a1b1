"""Discord voice messages: the real DiscordAdapter fetches the voice message's OGG/Opus from the fake CDN, the real
pipeline sends it through the ``openai`` SDK to the fake's ``/v1/audio/transcriptions``, and the transcript lands
in storage (so search, summaries and spam screening see it) and, where the channel opted in, in the channel."""

from __future__ import annotations

import io
import wave
from typing import Any

from tests.fakes.discord import BOB, GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.file_host import LOOPBACK_FILES
from tests.fakes.openai_server import FakeOpenAI, text_reply, transcript_reply
from tests.speech.clips import clip

IS_VOICE_MESSAGE = 1 << 13
KEY = f"discord:{GUILD_ID}:{GENERAL_ID}"


def voice_message(fake: FakeDiscord, body: bytes, author: dict[str, Any] | None = None,
                  **where: Any) -> dict[str, Any]:
    """A voice message as Discord's MESSAGE_CREATE has it: no text, one OGG/Opus attachment with its duration and
    waveform, the IS_VOICE_MESSAGE flag."""
    url = fake.file_host.put("voice-message.ogg", body, "audio/ogg")
    attachment = {"id": str(fake.next_id()), "filename": "voice-message.ogg", "size": len(body), "url": url,
                  "proxy_url": url, "content_type": "audio/ogg", "duration_secs": 2.0, "waveform": "AAAAAAAA"}
    return fake.message("", author=author, attachments=[attachment], flags=IS_VOICE_MESSAGE, **where)


async def start(discord_bot: Any, fake_openai: FakeOpenAI) -> tuple[Any, Any]:
    return await discord_bot(file_hosts=LOOPBACK_FILES, stt_model="whisper-1", stt_base_url=fake_openai.base_url,
                             openai_api_key="sk-test")  # type: ignore[no-any-return]


async def test_a_voice_message_is_transcribed_stored_and_shown_where_the_channel_opted_in(
        discord_bot: Any, fake_discord: FakeDiscord, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Ship the release on Friday.",
                                                       [(0.0, 2.0, " Ship the release on Friday.", 0.02)]))
    adapter, pipeline = await start(discord_bot, fake_openai)
    await pipeline.store.channel_settings.set(KEY, "voice_transcripts", "on")
    payload = voice_message(fake_discord, clip("ogg", 2.0))
    await fake_discord.dispatch("MESSAGE_CREATE", payload)
    await settle(adapter)
    [download] = fake_discord.file_host.served("voice-message.ogg")
    assert download.authorization == ""  # the bot's token never goes to the CDN
    [request] = fake_openai.requests_to("/v1/audio/transcriptions")
    with wave.open(io.BytesIO(request.json["file"]["data"])) as w:
        assert (w.getframerate(), w.getnchannels()) == (16_000, 1)
    stored = await pipeline.store.messages.get(KEY, payload["id"])
    assert stored is not None and "[voice transcript] Ship the release on Friday." in stored.text
    [reply] = fake_discord.posted(GENERAL_ID)
    assert reply.json["content"] == "🎙️ Transcript of the voice message: Ship the release on Friday."
    assert str(reply.json["message_reference"]["message_id"]) == payload["id"]
    assert await pipeline.store.speech.used_since(payload["author"]["id"], 0.0) > 1.9  # the daily allowance


async def test_in_a_channel_that_did_not_opt_in_the_transcript_is_only_remembered(
        discord_bot: Any, fake_discord: FakeDiscord, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Lunch at noon?"))
    adapter, pipeline = await start(discord_bot, fake_openai)
    payload = voice_message(fake_discord, clip("ogg", 1.5))
    await fake_discord.dispatch("MESSAGE_CREATE", payload)
    await settle(adapter)
    stored = await pipeline.store.messages.get(KEY, payload["id"])
    assert stored is not None and "[voice transcript] Lunch at noon?" in stored.text
    assert fake_discord.posted(GENERAL_ID) == []


async def test_a_silent_voice_message_gets_a_short_reason_and_no_request(
        discord_bot: Any, fake_discord: FakeDiscord, fake_openai: FakeOpenAI) -> None:
    adapter, pipeline = await start(discord_bot, fake_openai)
    await pipeline.store.channel_settings.set(KEY, "voice_transcripts", "on")
    await fake_discord.dispatch("MESSAGE_CREATE", voice_message(fake_discord, clip("ogg", 2.0, kind="silence")))
    await settle(adapter)
    [reply] = fake_discord.posted(GENERAL_ID)
    assert reply.json["content"] == ("🎙️ the voice message: I didn't hear any speech in that recording "
                                     "(silence, music or noise).")
    assert fake_openai.requests_to("/v1/audio/transcriptions") == []


async def test_spam_spoken_in_a_voice_message_is_screened_from_its_transcript(
        discord_bot: Any, fake_discord: FakeDiscord, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply(
        "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"))
    adapter, _ = await discord_bot(file_hosts=LOOPBACK_FILES, stt_model="whisper-1",
                                   stt_base_url=fake_openai.base_url, openai_api_key="sk-test", spam_policy="flag")
    payload = voice_message(fake_discord, clip("ogg", 2.0), author=BOB)
    await fake_discord.dispatch("MESSAGE_CREATE", payload)
    await settle(adapter)
    [reaction] = fake_discord.calls("PUT", rf"/channels/{GENERAL_ID}/messages/{payload['id']}/reactions/.+/@me")
    assert "%F0%9F%9A%A9" in reaction.path or "🚩" in reaction.path


async def test_a_voice_message_in_a_dm_is_shown_and_answered_from_its_transcript(
        discord_bot: Any, fake_discord: FakeDiscord, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("What time is the standup tomorrow?"))
    fake_openai.chat.append(text_reply("The standup is at 10:30."))
    adapter, _ = await discord_bot(file_hosts=LOOPBACK_FILES, CONFAB_MODEL="openai:gpt-4.1-mini",
                                   openai_base_url=fake_openai.base_url, openai_api_key="sk-test",
                                   stt_model="whisper-1", stream_answers=False)
    dm_id = 1700000000000000001
    await fake_discord.dispatch("MESSAGE_CREATE", voice_message(fake_discord, clip("ogg", 2.0), channel_id=dm_id,
                                                                guild=False))
    await settle(adapter)
    shown, answer = fake_discord.posted(dm_id)
    assert shown.content == "🎙️ Transcript of the voice message: What time is the standup tomorrow?"
    assert answer.content == "The standup is at 10:30."
    [question] = fake_openai.requests_to("/v1/chat/completions")
    assert question.json["messages"][-1]["content"].endswith("[voice transcript] What time is the standup tomorrow?")

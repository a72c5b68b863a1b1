"""Slack audio clips: the real SlackAdapter fetches the clip (M4A/AAC) from the fake files host with the bot token,
the real pipeline sends it through the ``openai`` SDK to the fake's ``/v1/audio/transcriptions``; the transcript is
stored with the message, shown in the thread when Confab is mentioned, and is what the model is asked."""

from __future__ import annotations

from typing import Any

from tests.fakes.file_host import LOOPBACK_FILES
from tests.fakes.openai_server import FakeOpenAI, text_reply, transcript_reply
from tests.fakes.slack import BOT_USER_ID, FakeSlackAPI, payload, post_event, settle
from tests.speech.clips import clip

KEY = "slack:T0TEAM001:C0GENERAL"


def with_clip(api: FakeSlackAPI, kind: str, text: str, body: bytes, ts: str) -> dict[str, Any]:
    """An event carrying a Slack audio clip, shaped as Slack documents ``files`` (subtype ``slack_audio``)."""
    served = api.file_host.put(f"audio-{ts}.m4a", body, "audio/mp4")
    entry = {"id": f"F{ts.replace('.', '')}", "name": f"audio-{ts}.m4a", "mimetype": "audio/mp4",
             "subtype": "slack_audio", "size": len(body), "url_private": served, "url_private_download": served}
    return {**payload(kind), "text": text, "ts": ts, "event_ts": ts, "files": [entry]}


async def test_a_mentioned_clip_is_transcribed_shown_stored_and_answered(
        slack_bot: Any, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("Can we move the demo to Thursday?"))
    fake_openai.chat.append(text_reply("Thursday works: nothing else is booked."))
    adapter, pipeline = await slack_bot(file_hosts=LOOPBACK_FILES, CONFAB_MODEL="openai:gpt-4.1-mini",
                                        openai_base_url=fake_openai.base_url, openai_api_key="sk-test",
                                        stt_model="gpt-4o-mini-transcribe", stream_answers=False)
    ts = "1700000200.000100"
    await post_event(adapter, with_clip(fake_api, "app_mention", f"<@{BOT_USER_ID}> what do you think?",
                                        clip("m4a", 2.0), ts))
    await settle(adapter)
    [download] = fake_api.file_host.served(f"audio-{ts}.m4a")
    assert download.authorization == "Bearer xoxb-test-token"
    [sent] = fake_openai.requests_to("/v1/audio/transcriptions")
    assert sent.json["model"] == "gpt-4o-mini-transcribe" and sent.json["file"]["data"][:4] == b"RIFF"
    posts = [c.params for c in fake_api.calls_to("chat.postMessage")]
    assert posts[0]["text"] == f"🎙️ Transcript of `audio-{ts}.m4a`: Can we move the demo to Thursday?"
    assert posts[0]["thread_ts"] == ts
    assert "Thursday works" in posts[-1]["text"]
    [question] = fake_openai.requests_to("/v1/chat/completions")
    asked = question.json["messages"][-1]["content"]
    assert "what do you think?" in asked and "[voice transcript] Can we move the demo to Thursday?" in asked
    stored = await pipeline.store.messages.get(KEY, ts)
    assert stored is not None and "[voice transcript] Can we move the demo to Thursday?" in stored.text


async def test_a_clip_in_the_channel_is_remembered_without_a_post(
        slack_bot: Any, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI) -> None:
    fake_openai.transcriptions.append(transcript_reply("The build is green again."))
    adapter, pipeline = await slack_bot(file_hosts=LOOPBACK_FILES, stt_model="whisper-1",
                                        stt_base_url=fake_openai.base_url, openai_api_key="sk-test")
    ts = "1700000300.000100"
    await post_event(adapter, {**with_clip(fake_api, "message_channels", "", clip("m4a", 1.5), ts),
                               "subtype": "file_share"})
    await settle(adapter)
    stored = await pipeline.store.messages.get(KEY, ts)
    assert stored is not None and "[voice transcript] The build is green again." in stored.text
    assert fake_api.calls_to("chat.postMessage") == []
    edit = payload("message_changed")  # the clip's caption is edited: what the recording said stays
    edit["message"].update(text="the build is green (CI)", ts=ts)
    edit["previous_message"].update(text="", ts=ts)
    await post_event(adapter, edit)
    await settle(adapter)
    stored = await pipeline.store.messages.get(KEY, ts)
    assert stored is not None and stored.text.splitlines() == ["the build is green (CI)",
                                                               "[voice transcript] The build is green again."]


async def test_offline_a_mentioned_clip_gets_the_honest_reason_and_is_not_downloaded(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES)
    ts = "1700000400.000100"
    await post_event(adapter, with_clip(fake_api, "app_mention", f"<@{BOT_USER_ID}> listen", clip("m4a", 1.0), ts))
    await settle(adapter)
    first = fake_api.calls_to("chat.postMessage")[0].params["text"]
    assert first.startswith(f"🎙️ `audio-{ts}.m4a`: I can't transcribe this offline; set CONFAB_STT_MODEL"), first
    assert fake_api.file_host.requests == []

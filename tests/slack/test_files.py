"""Files attached on Slack: the real SlackAdapter downloads them from the fake's files host (the bot token in the
header), the real pipeline reads them and answers; bad files are refused with a reason."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.file_host import LOOPBACK_FILES
from tests.fakes.openai_server import FakeOpenAI, text_reply
from tests.fakes.slack import BOT_USER_ID, FakeSlackAPI, payload, post_event, settle
from tests.files.samples import DB_ERROR, image, report_pdf, service_log
from tests.stored_rows import table_rows

PING = re.compile(r"<[!@#]|(?<![\w@\u2060])@(channel|here|everyone)\b", re.I)
KEY = "slack:T0TEAM001:C0GENERAL"


def with_file(api: FakeSlackAPI, text: str, name: str, body: bytes, mime: str, ts: str = "1700000100.000200",
              declared: bool = True, url: str | None = None, **options: Any) -> dict[str, Any]:
    """An app_mention carrying one file (shaped as Slack documents ``files``), served by the fake's files host."""
    served = api.file_host.put(name, body, mime, **options)
    entry: dict[str, Any] = {"id": f"F{ts.replace('.', '')}", "name": name, "mimetype": mime,
                             "url_private": url or served, "url_private_download": url or served}
    if declared:
        entry["size"] = len(body)
    return {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "event_ts": ts,
            "files": [entry]}


def replies(api: FakeSlackAPI) -> list[str]:
    return [str(c.params["text"]) for c in api.calls_to("chat.postMessage")]


async def test_a_log_is_answered_offline_with_its_lines_cited(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES)
    log, line = service_log()
    await post_event(adapter, with_file(fake_api, "what does this log say about the database?", "worker.log", log,
                                        "text/plain"))
    await settle(adapter)
    [answer] = replies(fake_api)
    assert "connection refused by postgres" in answer, answer
    assert f"worker.log (line {line})" in answer or f"worker.log (lines {line}-" in answer, answer
    assert DB_ERROR.splitlines()[0] in log.decode().splitlines()[line - 1]
    [download] = fake_api.file_host.served("worker.log")
    assert download.authorization == "Bearer xoxb-test-token"  # url_private_download needs the bot token
    assert not PING.search(answer), answer
    # a line of the file that would ping, quoted, pings nobody (the outbox neutralises it like any answer)
    await post_event(adapter, with_file(fake_api, "who would notify tell about job 8812?", "worker.log", log,
                                        "text/plain", ts="1700000101.000200"))
    await settle(adapter)
    quoted = replies(fake_api)[-1]
    assert "would tell" in quoted and "here" in quoted and not PING.search(quoted), quoted


async def test_an_image_offline_is_declined_plainly_without_downloading(slack_bot: Any,
                                                                       fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES)
    await post_event(adapter, with_file(fake_api, "what's in this screenshot?", "screen.png", image(), "image/png"))
    await settle(adapter)
    [answer] = replies(fake_api)
    assert "can't see images while running offline" in answer and "CONFAB_MODEL_VISION=true" in answer, answer
    assert fake_api.file_host.requests == []


async def test_an_image_reaches_a_vision_model_as_an_image_part(slack_bot: Any, fake_api: FakeSlackAPI,
                                                                 fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.append(text_reply("A red square."))
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES, CONFAB_MODEL="openai:gpt-4.1-mini", model_vision=True,
                                 openai_base_url=fake_openai.base_url, openai_api_key="sk-test", stream_answers=False)
    await post_event(adapter, with_file(fake_api, "what's in this screenshot?", "screen.png", image(), "image/png"))
    await settle(adapter)
    assert replies(fake_api) == ["A red square."]
    [request] = fake_openai.requests_to("/v1/chat/completions")
    user = request.json["messages"][-1]
    assert user["role"] == "user"
    parts = {part["type"]: part for part in user["content"]}
    assert "what's in this screenshot?" in parts["text"]["text"]
    assert parts["image_url"]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")


async def test_bad_files_are_refused_with_a_reason(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES, attachment_max_mb=0.05)
    big = b"x" * 200_000
    other_host = fake_api.file_host.url("elsewhere.log").replace("127.0.0.1", "localhost")
    cases = [  # (name, body, mime, options, the reason expected)
        ("big.log", big, "text/plain", {"declared": False}, "over the 0.05 MB limit"),
        ("streamed.log", big, "text/plain", {"declared": False, "chunked": True}, "over the 0.05 MB limit"),
        ("moved.log", b"x", "text/plain", {"redirect": other_host}, "redirected away from"),
        ("far.log", b"x", "text/plain", {"url": other_host}, "isn't stored on"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF", "application/pdf", {}, "could not be read"),
        ("binary.txt", b"\x00\x01\x02ELF" * 100, "text/plain", {}, "isn't text"),
        ("empty.log", b"", "text/plain", {"declared": False}, "it is empty"),
        ("gone.log", b"x", "text/plain", {"status": 404}, "answered 404"),
        ("tool.exe", b"MZ" * 50, "application/x-msdownload", {}, "not `application/x-msdownload` files"),
    ]
    for n, (name, body, mime, options, _) in enumerate(cases):
        ts = f"17000002{n:02d}.000100"
        event = with_file(fake_api, f"what is in {name}?", name, body, mime, ts=ts, **options)
        await post_event(adapter, {**event, "user": f"U0USER{n:03d}"})  # nine people, not one flooding
    await settle(adapter)
    answers = replies(fake_api)
    assert len(answers) == len(cases)
    for name, *_, reason in cases:  # answered concurrently: in any order
        [answer] = [a for a in answers if f"couldn't read `{name}`" in a]
        assert reason in answer, (name, answer)
    assert fake_api.file_host.served("far.log") == [] and fake_api.file_host.served("tool.exe") == []


async def test_files_in_the_channel_are_remembered_by_name_and_read_when_asked_in_their_thread(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(file_hosts=LOOPBACK_FILES)
    log, _ = service_log()
    posted = {**with_file(fake_api, "", "worker.log", log, "text/plain", ts="1700000300.000100"),
              "type": "message", "channel_type": "channel", "text": "here is last night's log"}
    await post_event(adapter, posted)
    await settle(adapter)
    assert replies(fake_api) == [] and fake_api.file_host.requests == []  # remembered, not downloaded
    [(text,)] = await table_rows(pipeline.deps, "SELECT text FROM messages WHERE id = ?", ("1700000300.000100",))
    assert "worker.log (text/plain" in text and "connection refused" not in text
    fake_api.replies[("C0GENERAL", "1700000300.000100")] = [posted]
    asked = {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> why did the export job fail?",
             "ts": "1700000301.000100", "event_ts": "1700000301.000100", "thread_ts": "1700000300.000100"}
    await post_event(adapter, asked)
    await settle(adapter)
    [answer] = replies(fake_api)
    assert "connection refused by postgres" in answer and "worker.log" in answer, answer
    # another channel's question never reads that thread's file
    elsewhere = {**asked, "channel": "C0RANDOM1", "ts": "1700000302.000100", "event_ts": "1700000302.000100",
                 "thread_ts": "1700000302.000100"}
    await post_event(adapter, elsewhere)
    await settle(adapter)
    assert "connection refused" not in replies(fake_api)[-1]
    assert len(fake_api.file_host.served("worker.log")) == 1


async def test_a_pdf_is_summarised_offline_with_page_citations(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES)
    await post_event(adapter, with_file(fake_api, "summarize this PDF", "q3-report.pdf", report_pdf(),
                                        "application/pdf"))
    await settle(adapter)
    [answer] = replies(fake_api)
    assert "Summary of `q3-report.pdf`" in answer, answer
    assert "Revenue from the hosted plan grew by 18 percent" in answer or "two site reliability" in answer, answer
    assert "q3-report.pdf › Page 1" in answer or "q3-report.pdf › Page 2" in answer, answer


async def test_a_thread_under_an_image_is_answered_as_usual_offline(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """The thread's image can't be seen offline: said to the message that brought it, not under every question."""
    adapter, _ = await slack_bot(file_hosts=LOOPBACK_FILES)
    posted = {**with_file(fake_api, "", "screen.png", image(), "image/png", ts="1700000400.000100"),
              "type": "message", "channel_type": "channel", "text": "the new dashboard"}
    await post_event(adapter, posted)
    fake_api.replies[("C0GENERAL", "1700000400.000100")] = [posted]
    asked = {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> hello", "ts": "1700000401.000100",
             "event_ts": "1700000401.000100", "thread_ts": "1700000400.000100"}
    await post_event(adapter, asked)
    await settle(adapter)
    [answer] = replies(fake_api)
    assert answer.startswith("Hi!") and "image" not in answer, answer
    assert fake_api.file_host.requests == []

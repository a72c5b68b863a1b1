"""SlackAdapter set-up: missing settings are named, the API base URL is honoured, deletes use the right token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.errors import ConfigError
from bot.events import ChannelRef
from bot.slack.adapter import SlackAdapter
from tests.fakes.settings import make_settings
from tests.fakes.slack import FakeSlackAPI, RecordingHandler, slack_settings

CHANNEL = ChannelRef("slack", "T0TEAM001", "C0GENERAL")


def test_missing_settings_name_the_env_var(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(make_settings(tmp_path))
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        SlackAdapter(make_settings(tmp_path, slack_bot_token="xoxb-1"))
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(make_settings(tmp_path, slack_bot_token="xoxb-1", slack_mode="http"))


def test_api_base_url_gets_its_trailing_slash(tmp_path: Path) -> None:
    adapter = SlackAdapter(make_settings(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1",
                                         slack_api_base_url="https://slack-gov.com/api"))
    assert adapter.client.base_url == "https://slack-gov.com/api/"
    assert SlackAdapter(make_settings(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
                        ).client.base_url == "https://slack.com/api/"
    assert not adapter.capabilities.delete and adapter.capabilities.ephemeral


async def test_bot_token_deletes_only_what_slack_allows(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    adapter = await start_slack(RecordingHandler())
    await adapter.delete(CHANNEL, "1700000200.000300")
    assert fake_api.calls_to("chat.delete")[0].token == "xoxb-test-token"
    fake_api.errors["chat.delete"] = "cant_delete_message"
    with pytest.raises(SlackApiError):
        await adapter.delete(CHANNEL, "1700000200.000300")


async def test_admin_token_is_used_for_deletes_when_configured(tmp_path: Path, fake_api: FakeSlackAPI,
                                                               start_slack: Any) -> None:
    settings = slack_settings(tmp_path, fake_api, "http", slack_admin_token="xoxp-admin")
    adapter = await start_slack(RecordingHandler(), settings=settings)
    assert adapter.capabilities.delete
    await adapter.delete(CHANNEL, "1700000200.000300")
    [call] = fake_api.calls_to("chat.delete")
    assert call.token == "xoxp-admin" and call.params["ts"] == "1700000200.000300"

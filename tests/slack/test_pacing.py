"""History reads are paced at Slack's rate tier, and refuse rather than stall."""

from __future__ import annotations

from typing import Any

import pytest

from bot.events import ChannelRef
from bot.slack.pacing import PaceExceeded, Pacer
from tests.fakes.slack import FakeSlackAPI, RecordingHandler


async def test_history_pacing_allows_a_burst_then_waits_at_the_tier_rate() -> None:
    pacer = Pacer(burst=2, tiers={1: 1.0, 2: 20.0, 3: 6000.0, 4: 6000.0})  # fast tier so the test stays quick
    delays = [await pacer.wait("conversations.history") for _ in range(3)]
    assert delays[0] == delays[1] == 0.0 and delays[2] > 0


async def test_pacing_refuses_instead_of_stalling_past_the_callers_limit() -> None:
    pacer = Pacer(burst=1)  # the real Tier 3: 50 a minute
    assert await pacer.wait("conversations.replies", max_wait_s=5) == 0.0
    with pytest.raises(PaceExceeded):
        await pacer.wait("conversations.replies", max_wait_s=0.5)


async def test_history_read_past_the_budget_is_unavailable_not_empty(start_slack: Any, fake_api: FakeSlackAPI
                                                                    ) -> None:
    adapter = await start_slack(RecordingHandler())
    adapter.pacer = Pacer(burst=1, tiers={1: 1.0, 2: 20.0, 3: 6.0, 4: 100.0})  # 10 s between history reads
    channel = ChannelRef("slack", "T0TEAM001", "C0GENERAL")
    assert await adapter.fetch_history(channel) == []
    with pytest.raises(PaceExceeded):
        await adapter.fetch_history(channel)
    assert len(fake_api.calls_to("conversations.history")) == 1

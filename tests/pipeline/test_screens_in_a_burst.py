"""A burst of plain messages: each is stored (and could be acknowledged) at once, while their spam screens run
a few at a time (bot.pipeline.UNOWED_AT_ONCE) instead of all together, taking the event loop from the requests
still to be stored; none is left unscreened, and one stored but not yet screened is owed its screen (swept if
the process dies)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.adapter import Adapter
from bot.events import IncomingMessage, MessageEdit, PlatformFlag
from bot.pipeline import UNOWED_AT_ONCE
from tests.fakes.harness import open_bot
from tests.fakes.waiting import until


class HeldScreen:
    """A moderator whose screens wait until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = self.most = 0
        self.screened: list[str] = []

    async def screen(self, message: IncomingMessage, adapter: Adapter | None, read: Any = None) -> bool:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        self.screened.append(message.id)
        return False

    async def rescreen_edit(self, edit: MessageEdit, adapter: Adapter | None) -> None:
        return None

    async def record_external(self, flag: PlatformFlag) -> None:
        return None


async def test_a_burst_is_stored_at_once_and_screened_a_few_at_a_time(tmp_path: Path) -> None:
    moderator = HeldScreen()
    async with open_bot(tmp_path, moderator=moderator) as bot:
        burst = [bot.message(f"deploy note {i}", channel="general") for i in range(UNOWED_AT_ONCE + 12)]
        work = []
        for message in burst:
            accepted = await bot.pipeline.accept(message)  # what an acknowledgement waits for
            assert accepted is not None
            work.append(asyncio.create_task(bot.pipeline.process(accepted)))
        await until(lambda: moderator.running == UNOWED_AT_ONCE, what="the first screens")
        await asyncio.sleep(0.05)
        assert moderator.most == UNOWED_AT_ONCE  # the rest wait their turn
        later = datetime.now(UTC) + timedelta(seconds=1)
        unscreened = await bot.deps.store.messages.unscreened(later, ["test"], limit=100)
        assert sorted(m.id for m, _ in unscreened) == sorted(m.id for m in burst)  # each owed its screen, durably
        moderator.release.set()
        await asyncio.gather(*work)
        assert sorted(moderator.screened) == sorted(m.id for m in burst)
        assert moderator.most == UNOWED_AT_ONCE

"""The one ping Confab means (a help channel's helper group, bot/pings.py): parsed from what an admin types, checked
by the outbox per platform, and dropped when it names anything but a group (a person, @everyone, a malformed id)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.events import ChannelRef, Reply, SentRef
from bot.outbox import Outbox
from bot.pings import group_from_mention, group_ping, pinged_text


@pytest.mark.parametrize(("platform", "typed", "group"), [
    ("slack", "<!subteam^S0HELPERS|@helpers>", "S0HELPERS"),
    ("slack", "S0HELPERS", "S0HELPERS"),
    ("slack", "<@U0ALICE01>", None),  # a person
    ("slack", "<!channel>", None),
    ("slack", "<!subteam^s0lower>", None),
    ("discord", "<@&1500000000000000009>", "1500000000000000009"),
    ("discord", "1500000000000000009", "1500000000000000009"),
    ("discord", "<@1400000000000000001>", None),  # a person
    ("discord", "@everyone", None),
    ("discord", "<@&12>", None),
    ("console", "@helpers", "helpers"),
    ("console", "@everyone", None),
    ("console", "@here", None),
    ("console", "héł\u202epers!", None),
    ("test", "", None),
])
def test_what_an_admin_types_names_a_group_or_nothing(platform: str, typed: str, group: str | None) -> None:
    assert group_from_mention(typed, platform) == group


def test_each_platform_gets_its_own_syntax() -> None:
    assert group_ping("slack", "S0HELPERS") == "<!subteam^S0HELPERS>"
    assert group_ping("discord", "15000000000000000") == "<@&15000000000000000>"
    assert pinged_text("console", "help?", "helpers") == "@helpers help?"
    assert pinged_text("console", "help?", None) == "help?"


@dataclass
class Recording:
    name: str
    sent: list[Reply] = field(default_factory=list)

    async def send(self, reply: Reply) -> SentRef:
        self.sent.append(reply)
        return SentRef(reply.channel, str(len(self.sent)))


@pytest.mark.parametrize(("platform", "group", "kept"), [
    ("slack", "S0HELPERS", True),
    ("slack", "<!channel>", False),
    ("slack", "U0ALICE01", False),
    ("discord", "1500000000000000009", True),
    ("discord", "everyone", False),
    ("discord", "S0HELPERS", False),  # another platform's group
])
async def test_the_outbox_lets_only_a_valid_group_through(platform: str, group: str, kept: bool) -> None:
    adapter = Recording(platform)
    outbox = Outbox(None, "confab")
    outbox.attach(adapter)  # type: ignore[arg-type]
    channel = ChannelRef(platform, "W1", "C1")
    text = "<!here> @everyone <@U0ALICE01> <@&1500000000000000001> could one of you help?"
    await outbox.send(Reply(channel, text, mention_group=group))
    await outbox.send(Reply(channel, "private", mention_group=group, ephemeral=True, user_id="U1"))
    public, private = adapter.sent
    assert public.mention_group == (group if kept else None)
    assert private.mention_group is None  # never in a private reply
    assert "<!here>" not in public.text and "<@U0ALICE01>" not in public.text  # the text is defused as ever
    assert "<@&1500000000000000001>" not in public.text

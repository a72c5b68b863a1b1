"""Moderation works out of the box (issue 19, item 6): notes reach moderators without a moderators'
channel, corrections take the link or number people see, ``mod_channel`` takes a channel mention,
and a refused admin command says how to become an admin."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from bot.commands.core import channel_from_mention
from bot.commands.spam import parse_message_ref
from bot.console.adapter import ConsoleAdapter
from bot.events import Author, ChannelRef, Command
from tests.fakes.harness import Chat, open_bot
from tests.stored_rows import table_rows

PROMO = "hey guys pls subscribe to my twitch stream, new video every day"


@pytest.fixture
def bot(chat: Chat) -> Chat:
    """No CONFAB_MOD_CHANNEL: the out-of-the-box setup (the suite's offline chat)."""
    return chat


async def test_without_a_mod_channel_the_note_answers_the_flagged_message(bot: Chat) -> None:
    await bot.say(PROMO, user="spammer", id="f1")
    [note] = bot.adapter.sent
    assert note.channel == bot.channel() and note.reply_to == "f1" and not note.ephemeral
    assert "Possible spam" in note.text and "text model" in note.text and "/spam not-spam f1" in note.text
    assert "/confab settings mod_channel" in note.text


async def test_a_deleted_message_gets_its_note_in_the_channel(bot: Chat) -> None:
    await bot.command("spam", "policy delete", admin=True)
    await bot.say(PROMO, user="spammer", id="f2")
    [note] = [r for r in bot.adapter.sent if "Possible spam" in r.text]
    assert note.channel == bot.channel() and note.reply_to is None and "deleted" in note.text


def test_message_references_people_see() -> None:
    assert parse_message_ref("https://x.slack.com/archives/C123/p1700000000123456") == ("C123", "1700000000.123456")
    assert parse_message_ref("<https://x.slack.com/archives/C123/p1700000000123456?thread_ts=1700000000.000100"
                             "&cid=C123>") == ("C123", "1700000000.123456")
    assert parse_message_ref("https://discord.com/channels/11/22/33") == ("22", "33")
    assert parse_message_ref("https://ptb.discord.com/channels/@me/22/33") == ("22", "33")
    assert parse_message_ref("[12]") == (None, "12")
    assert parse_message_ref("1700000000.000100") == (None, "1700000000.000100")


async def test_not_spam_takes_a_slack_or_discord_link_from_the_mods_channel(bot: Chat) -> None:
    await bot.say(PROMO, user="spammer", id="1700000000.123456", channel="C123")
    link = "https://x.slack.com/archives/C123/p1700000000123456"
    reply = (await bot.command("spam", f"not-spam {link}", admin=True, channel="mods"))[0].text
    assert "marked as not spam" in reply
    memory = bot.pipeline.deps.store
    assert await table_rows(memory, "SELECT channel_key, message_id FROM spam_corrections") == [
        ("test:T1:C123", "1700000000.123456")]
    # Discord: the link names the thread the message is in; the message is found in its channel
    await bot.say(PROMO + "!", user="other", id="1234567890123", channel="general", thread="777")
    reply = (await bot.command("spam", "not-spam https://discord.com/channels/T1/777/1234567890123",
                               admin=True, channel="mods"))[0].text
    assert "marked as not spam" in reply


async def test_the_console_shows_numbers_and_takes_them_back(tmp_path: Path) -> None:
    out = StringIO()
    console = ConsoleAdapter(tmp_path / "data", stdin=StringIO(""), console=Console(file=out, width=300))
    async with open_bot(tmp_path, adapter=console, start=False) as bot:
        pipeline = bot.pipeline
        for line in ["/as spammer guest", PROMO, "/as you admin", "/spam not-spam 1"]:
            await console.process_line(line, pipeline, pipeline.outbox)
        text = out.getvalue()
        assert "/spam not-spam 1`" in text and "Possible spam" in text
        assert "marked as not spam" in text


def test_channel_mentions() -> None:
    assert channel_from_mention("<#C123|mods>", "slack") == "C123"
    assert channel_from_mention("<#C123>", "slack") == "C123"
    assert channel_from_mention("<#123456>", "discord") == "123456"
    assert channel_from_mention("#mods", "console") == "mods"
    assert channel_from_mention("#mods", "discord") is None  # Discord posts by id: the mention is needed
    assert channel_from_mention("<@U123>", "slack") is None


async def test_mod_channel_takes_a_mention_and_notes_go_there(bot: Chat) -> None:
    reply = (await bot.command("confab", "settings mod_channel <#C0MODS|mods>", admin=True))[0].text
    assert "to #mods:" in reply  # named as the mention shows it (Slack would show a raw "<#C0MODS>" as typed)
    assert await bot.pipeline.deps.store.channel_settings.get(bot.channel().key, "mod_channel") == "C0MODS"
    await bot.say(PROMO, user="spammer", id="g1")
    [note] = bot.adapter.sent
    assert note.channel.channel == "C0MODS" and "g1" in note.text
    listed = (await bot.command("confab", "settings", admin=True))[0].text
    assert "`C0MODS`" in listed and "spam_exempt_days" in listed
    await bot.command("confab", "settings mod_channel none", admin=True)
    listed = (await bot.command("confab", "settings", admin=True))[0].text
    assert "reply to the flagged message" in listed


async def test_a_refused_admin_command_says_how_to_become_one(bot: Chat) -> None:
    refused = (await bot.command("spam", "stats"))[0].text
    assert "Only admins" in refused and "/as NAME admin" in refused and "Manage Server" in refused
    hints = {}
    for platform in ("console", "slack", "discord"):
        command = Command("confab", "settings spam_policy off", ChannelRef(platform, "W", "c"), Author("u1", "bob"))
        [reply] = await bot.pipeline.handle_command(command)
        hints[platform] = reply.text
    assert "`/as bob admin`" in hints["console"]
    assert "workspace's admins and owners" in hints["slack"]
    assert "Administrator or Manage Server" in hints["discord"]


async def test_a_settings_name_alone_shows_its_value_and_an_unknown_one_is_named(bot: Chat) -> None:
    """"/confab settings spam_policy" and "/confab settings colour blue" both got the bare usage line."""
    shown = (await bot.command("confab", "settings spam_policy"))[0].text  # anyone may look
    assert "`spam_policy` = `flag`" in shown and "spam_policy <off|flag|delete|delete_timeout>" in shown
    unknown = (await bot.command("confab", "settings spam-policy off", admin=True))[0].text
    assert "no setting `spam-policy`" in unknown and "Did you mean `spam_policy`?" in unknown
    assert "no setting `colour`" in (await bot.command("confab", "settings colour blue", admin=True))[0].text
    await bot.command("confab", "settings Spam_Policy delete", admin=True)  # as the list writes it, or not
    assert await bot.pipeline.deps.store.channel_settings.get(bot.channel().key, "spam_policy") == "delete"


async def test_the_consoles_people_are_the_teams_and_a_guest_is_a_stranger(tmp_path: Path) -> None:
    """A newcomer trying the console as "/as hr" saw a benefits reminder with a link flagged (0.80) and a review
    request naming nine people (0.63): everyone but "you" was a stranger to the spam screen, while on Slack the
    same people are full members. Console people are members now; "/as NAME guest" is a stranger, as a Slack guest."""
    out = StringIO()
    console = ConsoleAdapter(tmp_path / "data", stdin=StringIO(""), console=Console(file=out, width=300))
    work = ["Reminder: benefits open enrolment closes Friday. Review your choices at "
            "https://benefits.example-hr.com/enroll before then.",
            "@ana @ben @cleo @dev @eve @finn @gus @hana @ivan could you review PR #482 today? it touches billing"]
    async with open_bot(tmp_path, adapter=console, start=False) as bot:
        pipeline = bot.pipeline
        for line in ["/as hr", work[0], "/as lead", work[1], "/as stranger guest", PROMO]:
            await console.process_line(line, pipeline, pipeline.outbox)
        await pipeline.drain()
    text = out.getvalue()
    assert "You are now stranger (guest)." in text
    assert "Possible spam by **stranger**" in text
    assert "Possible spam by **hr**" not in text and "Possible spam by **lead**" not in text

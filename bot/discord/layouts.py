"""A reply's :class:`agent.layout.Layout` as a Discord components-v2 message (``IS_COMPONENTS_V2``).

One container: the title, then each section as a text display with a row of link buttons to its source
messages (their jump URLs; a single link sits beside the text, in a components-v2 section), separators
between sections, the footer; an answer to rate gets its 👍/👎 row below the container
(:mod:`bot.discord.feedback`, which finds it there). Such a message has no ``content``,
embeds, files or poll, at most ``MAX_COMPONENTS`` components and ``MAX_TEXT`` characters across its text
displays: link buttons are dropped from the last sections first to stay under the count, and a layout that
still does not fit (or a reply with files) is None, posted as plain text instead. Text displays do parse
mentions, so the text is defused (the outbox) and every send carries ``allowed_mentions`` none.
"""

from __future__ import annotations

from typing import Any

import discord

from agent.layout import Layout, Section
from bot.discord.feedback import feedback_buttons
from bot.events import Reply
from bot.text import neutralize_mentions

MAX_COMPONENTS = 40  # Discord's most components in a message, nested ones included
MAX_TEXT = 4000  # Discord's most characters across a message's text displays
MAX_BUTTONS = 5  # in an action row
MAX_URL = 512  # a link button's URL
MAX_LABEL = 80  # a button's label
ACCENT = discord.Colour.blurple()


def layout_view(reply: Reply) -> discord.ui.LayoutView | None:
    """``reply``'s layout as a components-v2 view (with its 👍/👎 if it is an answer to rate), or None: post its
    text."""
    layout = reply.layout
    if layout is None or reply.attachments:
        return None
    layout = layout.map_text(neutralize_mentions)  # already done by the outbox; text displays parse mentions
    rated = feedback_buttons(reply, 0, 1, "")
    texts = [layout.title] + [_text(s) for s in layout.sections] + (["\n".join(layout.footer)] if layout.footer else [])
    if sum(len(t) for t in texts) > MAX_TEXT or any(not t.strip() for t in texts):
        return None
    # the container, its text displays, a separator before each section and the footer, the feedback row
    fixed = 1 + len(texts) + len(layout.sections) + (1 if layout.footer else 0) + (1 + len(rated) if rated else 0)
    spare = MAX_COMPONENTS - fixed
    if spare < 0:
        return None
    try:
        view = _built(layout, texts, rated, spare)
    except ValueError:  # discord.py's own checks (e.g. its count of components)
        return None
    if view.total_children_count > MAX_COMPONENTS or view.content_length() > MAX_TEXT:
        return None
    return view


def _built(layout: Layout, texts: list[str], rated: list[discord.ui.Button[Any]], spare: int
           ) -> discord.ui.LayoutView:
    container: discord.ui.Container[discord.ui.LayoutView] = discord.ui.Container(
        discord.ui.TextDisplay(layout.title), accent_colour=ACCENT)
    for section, text in zip(layout.sections, texts[1:], strict=False):
        container.add_item(discord.ui.Separator())
        buttons = _link_buttons(section, spare - 1)
        spare -= 1 + len(buttons) if buttons else 0
        if len(buttons) == 1:  # the text with its link beside it
            container.add_item(discord.ui.Section(discord.ui.TextDisplay(text), accessory=buttons[0]))
            continue
        container.add_item(discord.ui.TextDisplay(text))
        if buttons:
            container.add_item(discord.ui.ActionRow(*buttons))
    if layout.footer:
        container.add_item(discord.ui.Separator())
        container.add_item(discord.ui.TextDisplay(texts[-1]))
    view = discord.ui.LayoutView(timeout=None)
    view.add_item(container)
    if rated:
        view.add_item(discord.ui.ActionRow(*rated))
    return view


def _text(section: Section) -> str:
    """The section's Markdown; its items cite their sources by label (the buttons below link them)."""
    return "\n".join(section.lines(links=False))


def _link_buttons(section: Section, room: int) -> list[discord.ui.Button[discord.ui.LayoutView]]:
    links = [s for s in section.sources() if s.url and s.url.startswith("https://") and len(s.url) <= MAX_URL]
    return [discord.ui.Button(style=discord.ButtonStyle.link, label=s.label[:MAX_LABEL] or "source", url=s.url)
            for s in links[:max(0, min(MAX_BUTTONS, room))]]

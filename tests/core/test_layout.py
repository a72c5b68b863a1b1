"""The platform-neutral layout of a summary or wrap-up: its Markdown (what every platform shows) and its texts."""

from __future__ import annotations

from agent.layout import Item, Layout, Section, Source, cite


def test_markdown_cites_sources_linked_or_by_label() -> None:
    linked, plain = Source("#1", "https://chat.example/1"), Source("[12]")
    layout = Layout("**Summary** · 2 messages", (
        Section("**TL;DR**", (Item("Ship on Friday.", (linked,)),), inline=True),
        Section("**Decisions**", (Item("Friday", (linked, plain)), Item("no freeze"))),
        Section("**Themes**", (Item("_speed_: #1 cache", (linked,)),), cite=False),
    ), ("**Mood** calm",))
    assert layout.markdown() == ("**Summary** · 2 messages\n\n**TL;DR** Ship on Friday. ([#1](https://chat.example/1))"
                                 "\n\n**Decisions**\n• Friday ([#1](https://chat.example/1), [12])\n• no freeze\n\n"
                                 "**Themes**\n• _speed_: #1 cache\n\n**Mood** calm")
    assert layout.sections[1].lines(links=False) == ["**Decisions**", "• Friday (#1, [12])", "• no freeze"]
    assert layout.sections[1].sources() == (linked, plain)
    assert cite(()) == ""


def test_map_text_reaches_every_text_but_not_links() -> None:
    layout = Layout("t @everyone", (Section("s", (Item("i", (Source("l", "https://x/@here"),)),)),), ("f",))
    upper = layout.map_text(str.upper)
    assert upper.title == "T @EVERYONE" and upper.footer == ("F",)
    assert upper.sections[0].title == "S" and upper.sections[0].items[0] == Item("I", (Source("L", "https://x/@here"),))


def test_an_empty_layout_is_its_title_and_footer() -> None:
    assert Layout("**Summary**", footer=("Nothing here.",)).markdown() == "**Summary**\nNothing here."
    assert Layout("**Summary**", footer=("a",)).with_footer("b").footer == ("a", "b")

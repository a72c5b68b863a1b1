"""A layout as a components-v2 view (pure): sections with link buttons, within Discord's limits or None."""

from __future__ import annotations

from agent.layout import Item, Layout, Section, Source
from bot.discord.layouts import MAX_COMPONENTS, layout_view
from bot.events import ChannelRef, Rated, Reply
from tests.fakes.discord_limits import walk

HERE = ChannelRef("discord", "1", "2")


def link(n: int) -> Source:
    return Source(f"#{n}", f"https://discord.com/channels/1/2/{n}")


def test_one_link_sits_beside_its_text_and_more_go_in_a_row_under_it() -> None:
    layout = Layout("**Summary**", (Section("**TL;DR**", (Item("ship", (link(1),)),), inline=True),
                                    Section("**Decisions**", (Item("a", (link(2), link(3))),))))
    view = layout_view(Reply(HERE, "", layout=layout, rated=Rated("q")))
    assert view is not None
    container, feedback = view.to_components()
    kinds = [c["type"] for c in container["components"]]
    assert kinds == [10, 14, 9, 14, 10, 1]  # title, separator, section (text + link), separator, text, row
    assert container["components"][2]["accessory"]["url"].endswith("/1")
    assert [b["label"] for b in container["components"][5]["components"]] == ["#2", "#3"]
    assert [b["custom_id"] for b in feedback["components"]] == ["confab:fb:up", "confab:fb:down"]


def test_links_are_capped_and_a_layout_that_cannot_fit_is_none() -> None:
    linked = Layout("**T**", tuple(Section(f"**{n}**", tuple(Item(f"i{k}", (link(k),)) for k in range(9)))
                                   for n in range(6)))
    view = layout_view(Reply(HERE, "", layout=linked))
    assert view is not None and len(walk(view.to_components())) <= MAX_COMPONENTS
    assert layout_view(Reply(HERE, "", layout=Layout("**T**", tuple(Section(f"**{n}**", (Item("x"),))
                                                                       for n in range(20))))) is None
    assert layout_view(Reply(HERE, "", layout=Layout("**T**", (Section("**S**", (Item("w" * 4001),)),)))) is None
    assert layout_view(Reply(HERE, "")) is None

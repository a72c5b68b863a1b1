"""A reply's structure, for platforms that show more than text: a titled list of sections whose items cite
the messages they came from (:class:`Source`).

Features that write structured output (a summary, a brainstorm wrap-up) build a :class:`Layout`; its
:meth:`Layout.markdown` is the text every platform shows (the one rendering of that structure), and an adapter
that has richer messages (Discord's components v2) may render the layout itself, with link buttons to the
sources. Nothing here knows a platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Source:
    """A message an item came from: its label (``#3``, or the platform's own, e.g. the console's ``[12]``) and
    its permalink where the platform has them."""

    label: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    text: str  # Markdown
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """``title`` (Markdown, e.g. ``**Decisions**``) over its items as bullets; ``inline``: the title and a single
    item on one line (``**TL;DR** …``). ``cite``: the text cites the sources after each item (otherwise only a
    richer rendering links them)."""

    title: str
    items: tuple[Item, ...] = ()
    inline: bool = False
    cite: bool = True

    def sources(self) -> tuple[Source, ...]:
        """The sources of its items, each once, in order."""
        return tuple(dict.fromkeys(s for item in self.items for s in item.sources))

    def lines(self, links: bool = True) -> list[str]:
        """Its Markdown lines; ``links=False`` cites sources by label only (their links shown elsewhere)."""
        def cited(item: Item) -> str:
            return item.text + (cite(item.sources, links) if self.cite else "")

        if self.inline:
            return [f"{self.title} " + " ".join(cited(item) for item in self.items)]
        return [self.title] + [f"• {cited(item)}" for item in self.items]


@dataclass(frozen=True, slots=True)
class Layout:
    """``title`` (Markdown, one line), its sections, then ``footer`` lines (Markdown)."""

    title: str
    sections: tuple[Section, ...] = ()
    footer: tuple[str, ...] = ()

    def markdown(self) -> str:
        """The layout as chat Markdown: title, a blank line, each section followed by a blank line, the footer."""
        lines = [self.title] + ([""] if self.sections else [])
        for section in self.sections:
            lines += [*section.lines(), ""]
        lines += self.footer
        return "\n".join(lines).strip()

    def map_text(self, change: Callable[[str], str]) -> Layout:
        """The same layout with ``change`` applied to every text in it (e.g. defusing mentions)."""
        def item(it: Item) -> Item:
            return Item(change(it.text), tuple(Source(change(s.label), s.url) for s in it.sources))

        return Layout(change(self.title),
                      tuple(replace(s, title=change(s.title), items=tuple(item(i) for i in s.items))
                            for s in self.sections),
                      tuple(change(line) for line in self.footer))

    def with_footer(self, line: str) -> Layout:
        return replace(self, footer=(*self.footer, line))


def cite(sources: tuple[Source, ...], links: bool = True) -> str:
    """`` ([#3](https://…), [#7](https://…))``; a label alone where there is no link (or ``links`` is False)."""
    refs = [f"[{s.label}]({s.url})" if links and s.url else s.label for s in sources]
    return f" ({', '.join(refs)})" if refs else ""

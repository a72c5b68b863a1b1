from agent.knowledge.citations import enforce_citations
from agent.tools.base import Citation

CITES = [Citation(1, "deploy.md", "Deploy > Docker", (10, 14)),
         Citation(2, "privacy.md", "Privacy", None, "https://example.org/kb/privacy.md")]


def test_unknown_markers_are_removed_and_sources_come_from_our_records() -> None:
    answer = "Use docker compose [1]. Retention is 90 days [2][7].\n\nSources:\n[7] made-up.md"
    out = enforce_citations(answer, CITES)
    assert "[7]" not in out and "made-up" not in out
    assert out.startswith("Use docker compose [1]. Retention is 90 days [2].")
    assert out.endswith("Sources: [1] deploy.md › Docker (lines 10-14) · "
                        "[2] [privacy.md › Privacy](https://example.org/kb/privacy.md)")


def test_a_one_line_passage_is_cited_as_one_line() -> None:
    one_line = Citation(1, "commands.md", "Commands > /help", (8, 8))
    assert enforce_citations("See /help [1].", [one_line]).endswith("Sources: [1] commands.md › /help (line 8)")


def test_no_citations_retrieved_means_no_markers_survive() -> None:
    assert enforce_citations("It is documented [3].", []) == "It is documented."


def test_only_used_sources_are_listed() -> None:
    out = enforce_citations("Docker it is [1].", CITES)
    assert "privacy.md" not in out and "[1] deploy.md" in out

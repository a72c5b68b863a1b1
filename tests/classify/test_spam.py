import pytest

from agent.classify.normalize import normalize
from agent.classify.spam import SpamClassifier

HAM = [
    "the build on main is failing again, I'm looking into it",
    "can you review my PR? https://github.com/acme/api/pull/1234",
    "lunch at noon?",
    "I pushed the fix for the login bug, thanks for the report",
    "here's the design doc https://docs.google.com/document/d/abc and the ticket https://acme.atlassian.net/browse/OPS-1",
    "we should buy more licences for the team before the price goes up",
    "congrats on the launch everyone, great work!",
    "who is on call this weekend?",
]
SPAM = [
    "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc",
    "i am leaving this game, giving away my skins to people who send trade offers",
    "WINNER!! You have been selected to receive a £900 prize reward! Call 09061701461 to claim",
]


@pytest.fixture(scope="module")
def classifier() -> SpamClassifier:
    return SpamClassifier(threshold=0.5)


def test_obfuscation_is_undone() -> None:
    n = normalize("FR\u200bEE N\u0406TR\u041e at https://www.dlscord-gift.com/x, and l33t sp34k")
    assert n.folded.startswith("free nitro at") and "leet speak" in n.folded
    assert n.zero_width == 1 and n.homoglyphs and n.domains == ("dlscord-gift.com",)
    assert normalize("Привет всем").folded == "привет всем"  # real Cyrillic text is left alone


def test_work_chat_is_not_flagged(classifier: SpamClassifier) -> None:
    for text in HAM:
        result = classifier.classify(text)
        assert result.label == "ham", (text, result)


def test_spam_is_flagged_with_reasons(classifier: SpamClassifier) -> None:
    for text in SPAM:
        result = classifier.classify(text)
        assert result.label == "spam" and result.reasons, (text, result)
    phishing = classifier.classify(SPAM[0])
    assert any("phishing domain (dlscord-gift.com)" in r for r in phishing.reasons)
    assert any("known scam messages" in r for r in classifier.classify(SPAM[1]).reasons)


def test_behaviour_repeats_across_channels_and_bursts() -> None:
    classifier = SpamClassifier(threshold=0.5)
    text = "join our community server for daily updates and fun events"
    results = [classifier.classify(text, "u1", channel, now=100.0 + i) for i, channel in enumerate("abc")]
    assert any("across 2 channels" in r or "across 3 channels" in r for r in results[-1].reasons)
    assert results[-1].score > results[0].score
    burst = [classifier.classify(f"message number {i} about stuff", "u2", "a", now=200.0 + i) for i in range(7)]
    assert any("messages in 10 seconds" in r for r in burst[-1].reasons)
    later = classifier.classify(text, "u1", "a", now=100.0 + 3600)  # outside the window: forgotten
    assert not any("same message" in r for r in later.reasons)


def test_mentions_invites_and_links() -> None:
    result = SpamClassifier().classify("@everyone join discord.gg/abc https://a.io https://b.io https://c.io")
    reasons = " ".join(result.reasons)
    assert "everyone" in reasons and "invite link" in reasons and "4 links" in reasons


@pytest.mark.parametrize("text", ["", "😀" * 500, "\x00\x01\x02" * 1000, "x" * 200_000, "这是一个关于部署的问题",
                                  "مرحبا بالجميع في القناة", "https://example.com", "\ud800 lone surrogate"])
def test_bad_input_gives_sane_scores(classifier: SpamClassifier, text: str) -> None:
    result = classifier.classify(text, "u9", "c")
    assert 0.0 <= result.score <= 1.0 and result.label in ("spam", "ham")

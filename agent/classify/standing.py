"""The author's standing beside the text: a member in good standing makes text-only evidence count less.

Text alone can't tell a benefits reminder with a link, an ``@everyone`` stand-up move or a review
request naming nine people from a stranger's blast; who sent it can. Two things lower the weight of
the *text-only* evidence (:data:`TEXT_ONLY`: the text model, links, mass and broadcast mentions):

- the author posted before in this workspace and was not flagged since (the author history:
  :meth:`agent.state.history.AuthorHistory.record`'s "known", reset by
  :meth:`~agent.state.history.AuthorHistory.forget` when a message of theirs is flagged):
  :data:`KNOWN_STANDING`;
- the platform vouches for them (:class:`Sender.vetted`: a role given in the server, 30+ days in the
  server, or a full, non-guest member of a Slack workspace): :data:`VETTED_STANDING`.

"Posted before" is only evidence once Confab has watched the workspace for a while (``watched``, two
weeks: :data:`agent.classify.ledger.WATCH_DAYS`). In a team's first hours with Confab every member is a
first-time poster, and a benefits reminder with a link from a full member scored as a stranger's blast;
until then a member the platform vouches for is taken as having posted before.

Never lowered: known phishing domains and scam phrases (hard signals), repeats and bursts (a hijacked
account's blast), hidden characters and look-alike letters, suspicious domains, and a moderator's
recent "spam" verdict on the author, which also takes the standing away. Admins, bots and exempt roles
are not screened at all (:mod:`bot.moderation`); moderators' exemptions stay scoped, expiring and
revocable (:mod:`agent.classify.ledger`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

KNOWN_STANDING = 0.3  # posted here before, unflagged since: a text-model 0.99 still scores 0.69
VETTED_STANDING = 0.3  # and vouched for by the platform: 0.99 -> 0.40, below the default threshold
TEXT_ONLY = frozenset({"many_links", "invite_link", "broadcast_mention", "mass_mention"})
LOSES_STANDING = frozenset({"repeated", "burst", "moderator_marked_spam"})


@dataclass(frozen=True, slots=True)
class Sender:
    """What the platform says about a message's author (built by the adapters' side, :mod:`bot.moderation`)."""

    vetted: bool = False
    why: str = ""  # readable: "has a role", "member for 412 days", "a member of this workspace"
    new_account: bool = False  # created on the platform days ago: no standing at all


def standing(sender: Sender | None, known: bool, signals: Iterable[str], watched: bool = True) -> tuple[float, str]:
    """(how much the text-only evidence is lowered, 0-0.6; who the author is, in words, "" for no standing);
    ``watched``: Confab has watched this workspace long enough for "not posted before" to mean something."""
    if sender is None or sender.new_account or not LOSES_STANDING.isdisjoint(signals):
        return 0.0, ""
    level, why = 0.0, []
    if known:
        level += KNOWN_STANDING
        why.append("has posted here before")
    elif sender.vetted and not watched:
        level += KNOWN_STANDING
        why.append("Confab is new here")
    if sender.vetted:
        level += VETTED_STANDING
        why.append(sender.why or "vouched for by the platform")
    if not level:
        return 0.0, ""
    return level, f"a member in good standing ({', '.join(why)})"

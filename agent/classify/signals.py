"""Behaviour and content signals for spam, per author and channel over sliding windows.

Each signal has a weight (the chance it alone means spam) and a reason people can read. The
tracker reads ten minutes of history per author (:mod:`agent.state.history`: bounded memory, or Redis
shared by replicas), which is what repeated and near-duplicate messages (also across channels),
bursts and first messages need.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agent.classify.brands import impersonated
from agent.classify.normalize import INVITE, Normalized, domain_of
from agent.state.history import WINDOW_S, AuthorHistory, MemoryAuthorHistory, Seen, fingerprint, resemblance

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
BURST_WINDOW_S = 10.0
BURST_COUNT = 6
_MENTION = re.compile(r"<@[!&]?\w+>|(?<!\w)@\w+")
_BROADCAST = re.compile(r"(?i)(@everyone|@here|<!channel>|<!here>|<!everyone>)")
# What workplace fraud asks for, whoever seems to send it (the FBI's business-email-compromise kinds):
# secrets typed back (a password, card number, PIN, social security or routing number) and gift-card codes.
# Warnings ("IT will never ask for your password") are not requests.
_SECRETS = r"(?:(?:email |network |current |account )?password|passcode|\bpin\b|cvv|card (?:number|details)|" \
    r"social security|\bssn\b|routing number|bank (?:account|details|information))"
_ASKS_SECRET = re.compile(r"(?<!never )(?<!not )(?<!n't )(?<!dont )"
                          r"\b(?:reply with|send (?:me|us)|confirm|enter|provide|give|type|re-?enter|sign in with|"
                          r"log ?in with)\b[^.!?\n]{0,40}?" + _SECRETS)
# Credential phishing's lure: losing an account, access or coverage unless one signs in or "verifies" now.
# Either part alone is everyday IT and HR talk ("channels will be archived", "verify you can log in").
_THREAT = re.compile(r"\b(?:will|would|is going to) be (?:cancell?ed|deactivated|suspended|terminated|locked|disabled|"
                     r"deleted|closed|revoked)\b|\b(?:or|otherwise) (?:you )?lose (?:your |the |all )?"
                     r"(?:access|coverage|account|mailbox|benefits|data|files)\b")
_SIGN_IN = re.compile(r"\b(?:verify|confirm|validate|re-?activate|sign in|log ?in)\b")
_GIFT_CODES = re.compile(r"\b(?:buy|purchase|get|pick up|collect)\b[^\n]{0,80}?gift ?cards?\b[^\n]{0,120}?"
                         r"\b(?:codes?|scratch|pictures?|photos?)\b")


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float  # 0-1: how strongly this alone indicates spam
    reason: str


@lru_cache(maxsize=1)
def phishing_domains() -> frozenset[str]:
    return frozenset(_lines("phishing_domains.txt"))


@lru_cache(maxsize=1)
def suspicious_domains() -> frozenset[str]:
    return frozenset(_lines("suspicious_domains.txt"))


@lru_cache(maxsize=1)
def scam_phrases() -> tuple[str, ...]:
    return tuple(p for p in _lines("scam_phrases.txt") if len(p) >= 12)


def _lines(name: str) -> list[str]:
    return [line.strip().lower() for line in (DATA / name).read_text(encoding="utf-8").split("\n") if line.strip()]


def _listed(domain: str, listed: frozenset[str]) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def content_signals(n: Normalized) -> list[Signal]:
    """What the message itself shows, no history needed."""
    found: list[Signal] = []
    for domain in n.domains:
        if _listed(domain, phishing_domains()):
            found.append(Signal("phishing_domain", 0.97, f"links to a known phishing domain ({domain})"))
            break
        if _listed(domain, suspicious_domains()):
            found.append(Signal("suspicious_domain", 0.6, f"links to a domain on the suspicious list ({domain})"))
            break
    else:  # a domain not listed yet, dressed as a brand it is not
        worn = next(((d, b) for u in n.urls if (b := impersonated(d := domain_of(u), u))), None)
        if worn is not None:
            found.append(Signal("brand_domain", 0.85, f"links to a site dressed as {worn[1]} that is not "
                                                      f"{worn[1]}'s ({worn[0]})"))
    phrase = next((p for p in scam_phrases() if p in n.folded), None)
    if phrase:
        quoted = f"\u201c{phrase[:60]}\u201d"
        found.append(Signal("scam_phrase", 0.85, f"contains a phrase from known scam messages ({quoted})"))
    if _ASKS_SECRET.search(n.folded) or _GIFT_CODES.search(n.folded):
        found.append(Signal("scam_request", 0.9, "asks for a password, card or bank details, or gift-card codes"))
    elif n.urls and _THREAT.search(n.folded) and _SIGN_IN.search(n.folded):
        found.append(Signal("scam_request", 0.9, "asks to sign in at a link or lose an account, access or coverage"))
    if len(n.urls) >= 3:
        found.append(Signal("many_links", 0.35, f"{len(n.urls)} links in one message"))
    if INVITE.search(n.text):
        found.append(Signal("invite_link", 0.3, "contains a server/group invite link"))
    mentions = len(_MENTION.findall(n.text))
    if _BROADCAST.search(n.text):
        found.append(Signal("broadcast_mention", 0.4, "tries to notify everyone (@everyone/@here)"))
    if mentions >= 5:
        found.append(Signal("mass_mention", 0.6, f"mentions {mentions} people"))
    if n.zero_width >= 2:
        found.append(Signal("hidden_characters", 0.45, f"hides {n.zero_width} invisible characters in the text"))
    if n.homoglyphs:
        found.append(Signal("look_alike_letters", 0.45, "mixes look-alike letters from other alphabets into words"))
    return found


class BehaviourTracker:
    """Repetition, bursts and first messages, from each author's recent messages.

    ``observe`` reads and updates this process's memory; ``aobserve`` the shared history (the same
    memory unless Redis shares it between replicas; a Redis failure falls back to memory: these
    signals are soft, holding every message for them would be worse)."""

    def __init__(self, history: AuthorHistory | None = None) -> None:
        self.local = MemoryAuthorHistory(WINDOW_S)
        self.history: AuthorHistory = history or self.local

    def observe(self, author: str, channel: str, n: Normalized, now: float | None = None,
                new_member: bool = False) -> list[Signal]:
        return self.observe_known(author, channel, n, now, new_member)[0]

    async def aobserve(self, author: str, channel: str, n: Normalized, now: float | None = None,
                       new_member: bool = False) -> list[Signal]:
        return (await self.aobserve_known(author, channel, n, now, new_member))[0]

    def observe_known(self, author: str, channel: str, n: Normalized, now: float | None = None,
                      new_member: bool = False, scope: str = "") -> tuple[list[Signal], bool]:
        """The behaviour signals, and whether the author was known in ``scope`` (a workspace: posted
        there before, unflagged since)."""
        seen = Seen(time.time() if now is None else now, channel, fingerprint(_shingles(n.folded)))
        earlier, known = self.local.record_now(author, seen, scope)
        return behaviour_signals(seen, earlier, known, bool(n.urls) and new_member), known

    async def aobserve_known(self, author: str, channel: str, n: Normalized, now: float | None = None,
                             new_member: bool = False, scope: str = "") -> tuple[list[Signal], bool]:
        seen = Seen(time.time() if now is None else now, channel, fingerprint(_shingles(n.folded)))
        try:
            earlier, known = await self.history.record(author, seen, scope)
        except Exception as exc:
            log.warning("shared author history unavailable; using this process's", extra={"error": type(exc).__name__})
            earlier, known = self.local.record_now(author, seen, scope)
        return behaviour_signals(seen, earlier, known, bool(n.urls) and new_member), known

    async def flagged(self, author: str, scope: str = "") -> None:
        """A message of ``author``'s was flagged: they are no longer "known" (no standing from having posted)."""
        self.local.forget_now(author, scope)
        if self.history is not self.local:
            try:
                await self.history.forget(author, scope)
            except Exception as exc:  # soft: the worst case is standing kept until the "known" key expires
                log.warning("shared author history unavailable", extra={"error": type(exc).__name__})


def behaviour_signals(seen: Seen, earlier: list[Seen], known: bool, new_member_link: bool) -> list[Signal]:
    """The signals for ``seen`` given the author's ``earlier`` recent messages (oldest first)."""
    found: list[Signal] = []
    similar = [h for h in earlier if resemblance(seen.fingerprint, h.fingerprint) >= 0.8]
    channels = {h.channel for h in similar} | {seen.channel}
    if len(similar) >= 2:  # a third copy: people repeat themselves once, spam keeps going
        where = f" across {len(channels)} channels" if len(channels) > 1 else ""
        found.append(Signal("repeated", 0.55 if len(channels) > 1 else 0.4,
                            f"the same message {len(similar) + 1} times in 10 minutes{where}"))
    recent = [h for h in earlier if seen.at - h.at <= BURST_WINDOW_S]
    if len(recent) + 1 >= BURST_COUNT:
        # fast typists send short lines in bursts too: weak on its own
        found.append(Signal("burst", 0.25, f"{len(recent) + 1} messages in {int(BURST_WINDOW_S)} seconds"))
    if not known and new_member_link:
        found.append(Signal("new_member_link", 0.35, "a new member's first message, with a link"))
    return found


def _shingles(text: str) -> frozenset[str]:
    words = text.split()
    if len(words) < 3:
        return frozenset(words) if len(text) >= 12 else frozenset()
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))

"""Links that wear a brand's name on someone else's domain to lure: ``discord-gift.example/claim``,
``dlscord.ru``, ``steamcommunity-trade.xyz/skins``.

The phishing-domain list names the domains already seen; new ones are registered every day in the same shape,
and a member's hijacked account posts them as readily as a stranger does. Of the list's 21,908 domains, 1,496
carry "discord" as a part of their name, 1,249 "hypesquad", 262 "roblox", 259 "dlscord", 111 "steamcommunity";
the parts beside them are lures: "nitro" 523, "gift" 394, "moderator" 418, "free" 114.

Two shapes count, never on the brand's own domains or their subdomains:
- one edit from a brand ("dlscord", "discrod", "robiox"): nobody registers that but to deceive;
- the brand as a part of the name (split at dots and hyphens, or held in one: "freediscord") together with a
  lure in the link ("gift", "nitro", "claim", "airdrop" …). The brand alone is not enough: communities link to
  ``discord.js.org``, ``discordpy.readthedocs.io`` and their own bots' sites.
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz.distance import DamerauLevenshtein

# brand -> the registrable domains that are its own; the brands scams in chat put on their links
OFFICIAL: dict[str, frozenset[str]] = {
    "discord": frozenset({"discord.com", "discord.gg", "discordapp.com", "discordapp.net", "discord.media",
                          "discord.new", "discord.gift", "discord.dev", "discordstatus.com", "discord.co"}),
    "hypesquad": frozenset({"discord.com"}),
    "steamcommunity": frozenset({"steamcommunity.com"}),
    "steampowered": frozenset({"steampowered.com"}),
    "roblox": frozenset({"roblox.com", "rbxcdn.com", "roblox.qq.com"}),
    "metamask": frozenset({"metamask.io"}),
    "opensea": frozenset({"opensea.io"}),
    "paypal": frozenset({"paypal.com", "paypal.me", "paypalobjects.com"}),
}
# what such links promise or pretend, among the words of the link (its name and path)
LURES = frozenset("gift gifts nitro free claim airdrop giveaway reward rewards promo bonus drop drops hypesquad "
                  "moderator moderators academy verify verification appeal staff trade skins".split())
_PARTS = re.compile(r"[^a-z0-9]+")
# second-level names under which the registrable domain is the third label ("example.co.uk")
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu"})


def impersonated(domain: str, url: str = "") -> str | None:
    """The brand ``domain`` (of the link ``url``) wears to lure without being that brand's, or None."""
    labels = [label for label in domain.lower().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    registrable = _registrable(labels)
    words = {p for p in _PARTS.split(url.lower().split("?")[0]) if p}
    for part in (p for label in labels[:-1] for p in _PARTS.split(label) if p):  # the TLD names no brand
        brand, typo = _brand_in(part)
        if brand is None or registrable in OFFICIAL[brand]:
            continue
        if typo or (words | {part}) & LURES or any(lure in part for lure in LURES if len(lure) >= 4):
            return brand
    return None


def _registrable(labels: list[str]) -> str:
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@cache
def _brand_in(part: str) -> tuple[str | None, bool]:
    """The brand a part of a domain's name is or holds, and whether it is a misspelling of it (one edit)."""
    for brand in OFFICIAL:
        if brand in part:
            return brand, False
        if abs(len(part) - len(brand)) <= 1 and DamerauLevenshtein.distance(part, brand) == 1:
            return brand, True
    return None, False

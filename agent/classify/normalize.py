"""Undoing the tricks spam uses to dodge filters, before anything looks at the text.

``fold`` maps zero-width characters away, compatibility forms (fullwidth, styled letters) to plain
ones (NFKC), common Cyrillic/Greek look-alikes to Latin and leetspeak digits to letters, and
lower-cases: "FR3E NІTRО" (with Cyrillic І and О) becomes "free nitro". Links are pulled out with
their domains for the domain lists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_HOMOGLYPHS = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c", "Т": "t",
    "Х": "x", "І": "i", "Ѕ": "s", "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "ι": "i", "κ": "k",
    "Α": "a", "Β": "b", "Ε": "e", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p",
    "Τ": "t", "Χ": "x", "Υ": "y", "Ζ": "z",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457@$])[\w@$]+\b")
URL = re.compile(r"(?i)\b((?:https?://|www\.)[^\s<>|]+|(?:[a-z0-9-]+\.)+(?:gg|com|ru|xyz|net|org|io|me|ly|"
                 r"link|site|shop|store|app|club|live|gift|top|info|co)(?:/[^\s<>|]*)?)")
INVITE = re.compile(r"(?i)(discord(?:app)?\.(?:gg|com/invite|io|me|li)/|t\.me/|chat\.whatsapp\.com/|telegram\.me/)")


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str  # original, trimmed
    folded: str  # lower-cased, de-obfuscated: for phrases and the text model
    zero_width: int  # how many invisible characters were hidden in it
    homoglyphs: bool  # look-alike letters from other scripts were mixed into Latin words
    urls: tuple[str, ...]
    domains: tuple[str, ...]


def normalize(text: str) -> Normalized:
    text = (text or "").encode("utf-8", "replace").decode("utf-8").strip()  # lone surrogates become "?"
    zero_width = len(ZERO_WIDTH.findall(text))
    plain = unicodedata.normalize("NFKC", ZERO_WIDTH.sub("", text))
    words = plain.split()
    mixing = [_mixes_scripts(word) for word in words]
    # look-alikes are mapped only inside words that mix scripts: real Cyrillic or Greek text stays as it is
    folded = " ".join(w.translate(_HOMOGLYPHS) if mix else w for w, mix in zip(words, mixing, strict=True)).lower()
    folded = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), folded)
    urls = tuple(m.group(0).rstrip(".,)!?'\"") for m in URL.finditer(plain))
    return Normalized(text, " ".join(folded.split()), zero_width, any(mixing), urls,
                      tuple(d for d in (domain_of(u) for u in urls) if d))


def domain_of(url: str) -> str:
    target = url if "://" in url else "http://" + url
    try:
        host = urlsplit(target).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _mixes_scripts(word: str) -> bool:
    """A word mixing Latin with Cyrillic/Greek letters: normal in no language, common in spam."""
    if word.isascii():  # most words: no letter of another script, and no need to look up names
        return False
    latin = other = False
    for char in word:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("LATIN"):
            latin = True
        elif name.startswith(("CYRILLIC", "GREEK")):
            other = True
    return latin and other

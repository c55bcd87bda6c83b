"""Text normalization shared by indexing and querying, so both sides fold text the same way."""

from __future__ import annotations

import unicodedata

# Arabic tatweel and harakat are dropped by NFKD+Mn removal; tatweel is a letter modifier (Lm)
# that carries no meaning for search, so it is removed explicitly.
_DROP = {"\u0640"}


def fold(text: str) -> str:
    """Lower-case and strip diacritics: ``Teléfono`` -> ``telefono``, ``مُحَمَّد`` -> ``محمد``.

    Equal to NFKD, dropping nonspacing marks, NFC, casefold; decomposing character by character
    through a cache is about twice as fast on real text, and this runs for every message stored.
    ``str.translate`` walks the text and the cache in C: about half the time of a Python loop.
    """
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", text.translate(_FOLDED_CHARS)).casefold()


class _FoldedChars(dict[int, str]):
    """Code point -> its folded characters, computed the first time ``translate`` asks."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


# Bounded by the number of distinct characters ever seen (at most Unicode's size).
_FOLDED_CHARS = _FoldedChars()


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn" and c not in _DROP)

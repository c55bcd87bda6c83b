"""Text normalization shared by indexing and querying, so both sides fold text the same way."""

from __future__ import annotations

import unicodedata

# Arabic tatweel and harakat are dropped by NFKD+Mn removal; tatweel is a letter modifier (Lm)
# that carries no meaning for search, so it is removed explicitly.
_DROP = {"\u0640"}


def fold(text: str) -> str:
    """Lower-case and strip diacritics: ``Teléfono`` -> ``telefono``, ``مُحَمَّد`` -> ``محمد``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn" and ch not in _DROP)
    return unicodedata.normalize("NFC", kept).casefold()

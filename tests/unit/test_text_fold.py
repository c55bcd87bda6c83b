"""core.text.fold: the cached per-character fold equals the plain whole-string definition."""

from __future__ import annotations

import random
import unicodedata

import pytest

from core.text import fold


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn" and c != "\u0640")
    return unicodedata.normalize("NFC", kept).casefold()


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Teléfono", "telefono"), ("مُحَمَّد", "محمد"), ("ИНФОРМАЦИЯ", "информация"),
     ("Straße", "strasse"), ("한국어", "한국어"), ("ﬁle", "file")],
)  # fmt: skip
def test_known_folds(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_equals_the_reference_on_random_text() -> None:
    rnd = random.Random(20261127)
    alphabet = [chr(c) for c in range(0x20, 0x3100) if not 0xD800 <= c <= 0xDFFF]
    alphabet += ["\u0301", "\u0308", "\u064e", "\u0651", "한", "ﷺ"]
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 16)))
        assert fold(text) == reference_fold(text), repr(text)

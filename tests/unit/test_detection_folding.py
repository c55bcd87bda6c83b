"""Folding for keyword matching, and the way back from folded to original offsets."""

from __future__ import annotations

import random

import pytest

from services.detection.folding import fold_char, fold_for_matching, fold_with_offsets


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Teléfono  MÓVIL", "telefono movil"),
        ("BOGOTÁ", "bogota"),
        ("tele\u0301fono", "telefono"),  # a combining accent
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("ЁЛКА Й", "елка и"),
        ("مُحَمَّد", "محمد"),  # harakat
        ("عـــربي", "عربي"),  # tatweel
        ("ﬁnance ＡＢＣ x²", "finance abc x2"),
        ("a\tb\n\nc\u00a0\u2003d", "a b c d"),
        ("zero\u200bwidth\u200djoin", "zero\u200bwidth\u200djoin"),  # format chars stay
        ("Great 🔥👍🏽", "great 🔥👍🏽"),
        ("Hola 🇨🇴 Bogotá", "hola 🇨🇴 bogota"),
        ("𝐁𝐨𝐥𝐝", "bold"),  # mathematical alphanumerics
        ("がんばって", "かんはって"),  # kana voicing marks are marks too
        ("", ""),
    ],
)
def test_fold_for_matching(text: str, folded: str) -> None:
    assert fold_for_matching(text) == folded


def test_folding_is_the_concatenation_of_folded_characters() -> None:
    rng = random.Random(7)
    alphabet = "aÁé\u0301 \t\nßİ\u200dЁй🔥𝐀ﬁ한ـ\u064e" + "".join(map(chr, range(0x2000, 0x2010)))
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        pieces = "".join(fold_char(c) for c in text)
        while "  " in pieces:
            pieces = pieces.replace("  ", " ")
        assert fold_for_matching(text) == pieces, repr(text)


def original(text: str, start: int, end: int) -> str:
    first, last = fold_with_offsets(text)[1].span(start, end)
    return text[first:last]


def test_offsets_of_ascii_text_are_the_identity() -> None:
    assert original("Hello WORLD", 6, 11) == "WORLD"


def test_offsets_cover_accents_marks_and_expansions() -> None:
    text = "Vivo en Bogota\u0301 y en BOGOTÁ, Straße"
    folded = fold_for_matching(text)
    assert folded == "vivo en bogota y en bogota, strasse"
    assert original(text, 8, 14) == "Bogota\u0301"  # the trailing combining mark comes along
    assert original(text, 20, 26) == "BOGOTÁ"
    assert original(text, 28, 35) == "Straße"
    assert original(text, 28, 33) == "Straß"  # ending inside ß's "ss" keeps the whole ß


def test_offsets_after_collapsed_whitespace() -> None:
    text = "wire \t\n transfer  to   Bogotá"
    folded = fold_for_matching(text)
    assert folded == "wire transfer to bogota"
    assert original(text, 0, 13) == "wire \t\n transfer"
    assert original(text, 17, 23) == "Bogotá"


def test_offsets_when_an_expansion_and_a_collapse_cancel_out() -> None:
    text = "Straße  Bogotá"  # ß -> ss adds one character, the double space loses one
    assert len(fold_for_matching(text)) == len(text)
    assert original(text, 8, 14) == "Bogotá"


def test_offsets_in_scripts_without_case_or_spaces() -> None:
    text = "我想买比特币吗 مُحَمَّد"
    folded = fold_for_matching(text)
    assert original(text, folded.index("比特币"), folded.index("比特币") + 3) == "比特币"
    start = folded.index("محمد")
    assert original(text, start, start + 4) == "مُحَمَّد"

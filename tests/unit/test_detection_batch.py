"""Chunks of messages in one buffer: no message a pattern matches alone may go unnoticed."""

from __future__ import annotations

import random

import pytest

from core.domain.detection import ScanTarget
from services.detection import batch
from services.detection.batch import Joined, anchor_free, batch_pattern, chunks
from services.detection.builtins import DETECTORS
from services.detection.builtins.base import TOKEN_START
from services.detection.regexes import Regex, encode

SEED = 20_251_127


@pytest.mark.parametrize(
    ("pattern", "free"),
    [
        ("pago [0-9]+", True),
        (r"\bpay\b|\Bment", True),
        ("[^a-z]{3}", True),  # a negated class is no anchor
        ("[]^$]+x", True),  # "]" first in a class is a literal, so ^ and $ stay inside
        (r"[\]^]x", True),
        ("[[:alpha:]^]+", True),
        (r"\$[0-9]+", True),  # an escaped dollar
        (r"a\^b", True),
        (r"\x{24}", True),
        ("^pago", False),
        ("pago$", False),
        ("(?m)^pago", False),
        (r"\Apago", False),
        (r"pago\z", False),
        (r"\Q^\E", False),  # quoted text is not followed: counted as unsafe
        ("[^a]$", False),
        ("[[:alpha:", False),  # where the class ends is unclear
        ("[abc", False),
        (r"\p{^Greek}", False),  # conservatively: a ^ outside a class
    ],
)
def test_anchors_are_found_outside_classes_and_escapes(pattern: str, free: bool) -> None:
    assert anchor_free(pattern) is free


def test_a_token_start_trigger_needs_no_anchor_in_a_buffer() -> None:
    trigger = DETECTORS["phone"].trigger
    assert trigger.startswith(TOKEN_START)
    form = batch_pattern(trigger)
    assert form == "[^0-9A-Za-z]" + trigger.removeprefix(TOKEN_START)
    assert batch_pattern("^hola") is None
    assert batch_pattern("hola") == "hola"


def test_separators_sit_before_each_part() -> None:
    joined = Joined.of([b"ab", b"", b"cde"])
    assert joined.data == b"\nab\n\ncde"
    assert joined.starts == [0, 3, 4]
    assert [joined.data[s : s + 1] for s in joined.starts] == [b"\n"] * 3


# Anchor-free patterns whose context matters: word boundaries, empty matches, matches that can
# take the separator (\s, [^x], (?s).), and a built-in trigger rewritten for the buffer.
PATTERNS = [
    r"\bab\b",
    r"\Bb",
    r"b\b",
    r"\b",
    r"\B",  # its only match in "x!" is empty, at the very end
    r"x*\b",
    r"a\s+b",
    r"[^x]{3}",
    r"(?s)b.a",
    r"\n",
    r"é+",
    r"(?i)AB|ba",
    r"_a",
    r"a(?:\s|z)",
    DETECTORS["phone"].trigger,
    DETECTORS["card"].trigger,
    DETECTORS["email"].trigger,
]
ALPHABET = [
    "a",
    "b",
    "ab",
    " ",
    "\n",
    "x",
    "!",
    "é",
    "_",
    "1",
    "+7 999 123 45 67",
    "4111 1111",
    "a@b",
]


def _messages(rng: random.Random) -> list[str]:
    count = rng.randint(1, 12)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 6))) for _ in range(count)]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_message_a_pattern_matches_alone_is_touched(pattern: str) -> None:
    alone = Regex(pattern)
    form = batch_pattern(pattern)
    assert form is not None
    locator = Regex(form, locator=True)
    rng = random.Random(f"{SEED}:{pattern}")
    matched = 0
    for _ in range(400):
        parts = [encode(text) for text in _messages(rng)]
        expected = {k for k, part in enumerate(parts) if alone.search(part) is not None}
        touched = Joined.of(parts).touched(locator)
        assert touched == sorted(set(touched))  # ascending, each once
        assert expected <= set(touched), (pattern, parts)
        matched += len(expected)
    assert matched  # the property was exercised


def test_matches_inside_messages_touch_only_those_messages() -> None:
    parts = [b"no", b"pago 12", b"nothing", b"pago 7 y pago 8", b"x"]
    assert Joined.of(parts).touched(Regex("pago [0-9]+", locator=True)) == [1, 3]


def _targets(texts: list[str]) -> list[ScanTarget]:
    return [ScanTarget(pk, 1, None, text) for pk, text in enumerate(texts)]


def test_chunks_keep_order_skip_empty_texts_and_stay_small(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch, "MAX_CHUNK_MESSAGES", 3)
    monkeypatch.setattr(batch, "MAX_CHUNK_CHARS", 10)
    targets = _targets(["a", "", "bb", "c", "d", "e" * 25, "f", ""])
    sizes = [[t.text for t in chunk] for chunk in chunks(targets)]
    assert sizes == [["a", "bb", "c"], ["d", "e" * 25], ["f"]]
    assert list(chunks(_targets(["", ""]))) == []

"""A chunk folded at once splits back into exactly what ``fold_text`` gives each message."""

from __future__ import annotations

import random

from services.detection.chunk_folding import fold_chunk
from services.detection.folding import fold_text

ALPHABET = (
    "aZé\u0301 \t\n  ßİÑñ¿¡æøÆ\u00a0½\x00ЁйПривет🔥𝐀ﬁ한ـ\u064e比特币がﾊﾞ\ud83d\udc00"
    + "".join(map(chr, range(0x2000, 0x200C)))
)


def _texts(rng: random.Random) -> list[str]:
    return [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 15)))
        for _ in range(rng.randint(1, 20))
    ]


def test_each_folded_part_is_fold_text_of_its_message() -> None:
    rng = random.Random(11)
    for _ in range(300):
        texts = _texts(rng)
        chunk = fold_chunk(texts)
        assert chunk is not None
        assert sorted(chunk.order) == list(range(len(texts)))
        for part, index in enumerate(chunk.order):
            assert chunk.folded(part) == fold_text(texts[index]), repr(texts[index])


def test_latin1_texts_come_first_and_ascii_is_latin1() -> None:
    texts = ["Привет", "Hola", "añadir", "比特币", "ok"]
    chunk = fold_chunk(texts)
    assert chunk is not None
    assert chunk.order == [1, 2, 4, 0, 3]
    assert [chunk.folded(part)[0] for part in range(5)] == [
        "hola",
        "anadir",
        "ok",
        "привет",
        "比特币",
    ]


def test_a_latin1_chunk_holding_an_unfoldable_byte_is_folded_character_by_character() -> None:
    texts = ["Straße  Nr. 5", "NUL\x00 here", "½ taza"]
    chunk = fold_chunk(texts)
    assert chunk is not None
    assert [chunk.folded(part) for part in range(3)] == [fold_text(text) for text in texts]
    assert chunk.folded(0) == ("strasse nr. 5", True)


def test_a_text_holding_the_separator_is_left_to_the_caller() -> None:
    assert fold_chunk(["fine", "not\x01fine"]) is None

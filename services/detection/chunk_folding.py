"""A chunk of messages folded at once, for the keyword locator of ``scan_many``.

Folding message by message costs a call and a few checks each, more than folding a short
message does. Here the chunk's Latin-1 texts (most Western ones) are folded as one byte string
by ``bytes.translate``, the others as one string by ``str.translate``, each text after a
U+0001: it folds to itself, is no whitespace, and its UTF-8 byte stands for nothing else, so
the folded buffer splits back into messages. Whitespace runs are kept (the locator allows
them between a phrase's words), which spares a pass over the buffer.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

from services.detection.batch import Joined, separator_positions
from services.detection.folding import collapse_spaces, fold_by_pieces, latin1_table

_SENTINEL = "\x01"
_SENTINEL_BYTE = b"\x01"
_UNFOLDED = b"\x00"  # what latin1_table() gives the characters it cannot fold alone (ß)


class FoldedChunk(Joined):
    """Folded texts in one UTF-8 buffer, each after a U+0001; ``order[j]``: the text of part j.

    Each part is its text folded as ``fold_text`` folds it, runs of spaces left uncollapsed.
    """

    __slots__ = ("order",)

    def __init__(self, data: bytes, starts: list[int], order: list[int]) -> None:
        super().__init__(data, starts)
        self.order = order

    def folded(self, part: int) -> tuple[str, bool]:
        """Part ``part`` as ``fold_text`` returns it: the folded text, and if runs collapsed."""
        starts = self.starts
        end = starts[part + 1] if part + 1 < len(starts) else len(self.data)
        text = self.data[starts[part] + 1 : end].decode("utf-8", "surrogatepass")
        return (collapse_spaces(text), True) if "  " in text else (text, False)


def fold_chunk(texts: Sequence[str]) -> FoldedChunk | None:
    """The texts folded in one buffer (the Latin-1 ones first).

    None when a text holds a U+0001 itself: the caller folds them one by one.
    """
    latin1 = [text.encode("latin-1", "ignore") for text in texts]
    narrow = list(map(operator.eq, map(len, latin1), map(len, texts)))
    wide = list(map(operator.not_, narrow))
    folded: list[str] = []
    if any(narrow):
        as_bytes = _SENTINEL_BYTE.join(itertools.compress(latin1, narrow))
        as_bytes = as_bytes.translate(latin1_table())
        if _UNFOLDED in as_bytes:  # a ß or ½ (or a NUL): character by character
            folded.append(fold_by_pieces(_SENTINEL.join(itertools.compress(texts, narrow))))
        else:
            folded.append(as_bytes.decode("latin-1"))
    if any(wide):
        folded.append(fold_by_pieces(_SENTINEL.join(itertools.compress(texts, wide))))
    data = (_SENTINEL + _SENTINEL.join(folded)).encode("utf-8", "surrogatepass")
    pieces = data.split(_SENTINEL_BYTE)  # an empty one first: the buffer opens with U+0001
    if len(pieces) != len(texts) + 1:
        return None
    indexes = range(len(texts))
    order = [*itertools.compress(indexes, narrow), *itertools.compress(indexes, wide)]
    return FoldedChunk(data, separator_positions(list(map(len, pieces[1:]))), order)

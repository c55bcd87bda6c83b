"""Case and diacritic folding for keyword matching, with a way back to the original offsets.

Every character folds on its own into a *piece*: NFKD, then every nonspacing mark (Mn, and
the few spacing marks with a non-zero combining class) and the Arabic tatweel dropped, then
casefold; whitespace becomes a space. That is ``core.text.fold`` (what search indexes) done per
character, except that whitespace runs collapse and nothing is recomposed (NFC): folded
Hangul stays in jamo, on both the keyword and the text side. A folded text is the concatenation
of its characters' pieces with whitespace runs collapsed to one space. Because the folded text
is built piece by piece, a match in it maps back to the original characters exactly.

Pieces of the whole BMP are tabulated on first use (about 0.2 s) so that ``str.translate``
folds a message in one C-level pass; astral characters (emoji, mostly) are looked up apart.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata

_DROPPED_CATEGORY = "Mn"
_TATWEEL = "\u0640"
_BMP_SIZE = 0x10000
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Regional indicators and the emoji blocks hold no case, mark or compatibility form: they fold
# to themselves, so a text whose only non-ASCII characters are emoji folds with str.lower.
_EMOJI = "\U0001f1e6-\U0001f1ff\U0001f300-\U0001faff"
_FOLDING_NEEDED = re.compile(f"[^\\x00-\\x7f{_EMOJI}]")
_ASTRAL_FOLDING_NEEDED = re.compile(f"[^\\x00-\\uffff{_EMOJI}]")
_WHITESPACE = re.compile(r"[^\S ]")


def _is_dropped(char: str) -> bool:
    return (
        unicodedata.category(char) == _DROPPED_CATEGORY
        or unicodedata.combining(char) != 0
        or char == _TATWEEL
    )


def fold_char(char: str) -> str:
    """The piece one character folds to: ``É`` -> ``e``, ``ß`` -> ``ss``, U+0301 -> ``""``."""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not _is_dropped(c)).casefold()
    kept = "".join(c for c in kept if not _is_dropped(c))  # casefold can add marks (İ)
    return "".join(" " if c.isspace() else c for c in kept)


@functools.cache
def _bmp_pieces() -> tuple[str, ...]:
    return tuple(fold_char(chr(code)) for code in range(_BMP_SIZE))


class _AstralPieces(dict[str, str]):
    """Pieces of astral characters, filled on first sight."""

    def __missing__(self, char: str) -> str:
        piece = self[char] = fold_char(char)
        return piece


@functools.cache
def _astral_pieces() -> _AstralPieces:
    return _AstralPieces()


def _fold_astral(match: re.Match[str]) -> str:
    return _astral_pieces()[match.group()]


@functools.cache
def latin1_table() -> bytes:
    """Folds Latin-1 text as bytes; the few characters it cannot fold (``ß``) become NUL."""
    pieces = _bmp_pieces()
    table = bytearray(range(256))
    for code in range(256):
        piece = pieces[code]
        table[code] = ord(piece) if len(piece) == 1 and ord(piece) < 256 else 0
    return bytes(table)


def fold_for_matching(text: str) -> str:
    """Folded text: ``Teléfono  MÓVIL`` -> ``telefono movil``."""
    return fold_text(text)[0]


def fold_text(text: str) -> tuple[str, bool]:
    """The folded text, and whether whitespace runs were collapsed (for :class:`OffsetMap`)."""
    if text.isascii():
        folded = text.encode("ascii").translate(latin1_table()).decode("ascii")
    else:
        folded = _fold_unicode(text)
    if "  " in folded:
        return collapse_spaces(folded), True
    return folded, False


def fold_with_offsets(text: str) -> tuple[str, OffsetMap]:
    """The folded text and the map of its spans back to ``text``."""
    folded, collapsed = fold_text(text)
    return folded, OffsetMap(text, folded, collapsed)


def _fold_unicode(text: str) -> str:
    latin1 = text.encode("latin-1", "ignore")
    if len(latin1) == len(text):  # Spanish, French...: fold as bytes
        folded = latin1.translate(latin1_table())
        if b"\x00" not in folded:  # else a ß or ½ (or a NUL): fold character by character
            return folded.decode("latin-1")
    elif _FOLDING_NEEDED.search(text) is None:  # ASCII and emoji
        folded_text = text.lower()
        return folded_text if folded_text.isprintable() else _WHITESPACE.sub(" ", folded_text)
    return fold_by_pieces(text)


def fold_by_pieces(text: str) -> str:
    """Every character replaced by its piece: the definition, for any text."""
    folded_text = text.translate(_bmp_pieces())  # astral characters are out of range: kept
    if _ASTRAL_FOLDING_NEEDED.search(folded_text) is not None:
        folded_text = _ASTRAL.sub(_fold_astral, folded_text)
    return folded_text


def collapse_spaces(text: str) -> str:
    """Runs of spaces as one space (a few ``str.replace`` passes beat ``re.sub`` here)."""
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def _piece_lengths(text: str) -> list[int]:
    if _ASTRAL.search(text) is None:
        return list(map(len, map(_bmp_pieces().__getitem__, map(ord, text))))
    bmp, astral = _bmp_pieces(), _astral_pieces()
    return [len(bmp[ord(c)]) if c < "\U00010000" else len(astral[c]) for c in text]


def _collapsed_starts(text: str) -> list[int]:
    """For each folded character, the index of its original one (whitespace runs collapsed)."""
    starts: list[int] = []
    after_space = False
    for index, char in enumerate(text):
        for folded in _piece(char):
            if folded == " " and after_space:
                continue
            after_space = folded == " "
            starts.append(index)
    return starts


def _piece(char: str) -> str:
    return _bmp_pieces()[ord(char)] if char < "\U00010000" else _astral_pieces()[char]


class OffsetMap:
    """Maps spans of the folded text back to the characters of the original text.

    A span's end takes along the marks that trail it (``Bogota`` + U+0301 keeps the accent).
    Most texts map one to one; the character-by-character work is done only for the others,
    and only when a span is asked for.
    """

    __slots__ = ("_collapsed", "_ends", "_folded", "_identity", "_starts", "_text")

    def __init__(self, text: str, folded: str, collapsed: bool) -> None:
        self._text = text
        self._folded = folded
        self._collapsed = collapsed
        self._identity: bool | None = None
        self._ends: list[int] = []  # folded length of each prefix of text
        self._starts: list[int] = []  # only when whitespace runs were collapsed

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self._identity is None:
            self._prepare()
        if self._identity:
            return start, end
        if self._starts:
            return self._span_by_starts(start, end)
        ends = self._ends
        first = bisect.bisect_right(ends, start) - 1
        last = bisect.bisect_right(ends, end) - 1
        return first, (last if ends[last] == end else last + 1)

    def _prepare(self) -> None:
        text = self._text
        # Without collapsed whitespace or characters folding to nothing, equal lengths mean
        # every character folded to exactly one.
        self._identity = (
            not self._collapsed
            and len(text) == len(self._folded)
            and (text.isascii() or _one_to_one(text))
        )
        if self._identity:
            return
        if self._collapsed:
            self._starts = _collapsed_starts(text)
        else:
            self._ends = list(itertools.accumulate(_piece_lengths(text), initial=0))

    def _span_by_starts(self, start: int, end: int) -> tuple[int, int]:
        starts = self._starts
        if end == len(starts):
            return starts[start], len(self._text)
        if starts[end] == starts[end - 1]:  # the match ends inside one character's piece
            return starts[start], starts[end] + 1
        return starts[start], starts[end]


@functools.cache
def _vanishing_bmp() -> re.Pattern[str]:
    """BMP characters whose piece is empty (marks, tatweel)."""
    pieces = _bmp_pieces()
    return re.compile(f"[{_char_class([c for c in range(_BMP_SIZE) if not pieces[c]])}]")


def _one_to_one(text: str) -> bool:
    """No character of ``text`` folds to nothing, and none is an astral non-emoji."""
    return _vanishing_bmp().search(text) is None and _ASTRAL_FOLDING_NEEDED.search(text) is None


def _char_class(code_points: list[int]) -> str:
    """A regex character class body for sorted code points, as ranges."""
    parts: list[str] = []
    start = previous = code_points[0]
    for code in [*code_points[1:], -1]:
        if code != previous + 1:
            first, last = re.escape(chr(start)), re.escape(chr(previous))
            parts.append(first if start == previous else f"{first}-{last}")
            start = code
        previous = code
    return "".join(parts)

"""Regular expressions over folded text, for terms matched by a scan instead of an index.

SQLite folds with ``core.text.fold`` (registered as ``tv_fold``) and matches Python regexes;
PostgreSQL folds with ``tv_fold`` (lower + unaccent) and matches POSIX regexes. PostgreSQL's
unaccent keeps Arabic vowel marks and hamza forms, so its Arabic patterns accept them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from core.text import fold
from services.search.terms import MatchKind, PlannedTerm

ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF))
# Letters whose hamza or madda folds away (أ إ آ ٱ ؤ ئ ۀ ...). Presentation forms are left out:
# each extra letter in a class multiplies the trigrams pg_trgm must consider, and past its
# limit PostgreSQL scans the whole table.
VARIANT_BLOCK = (0x0600, 0x06FF)
# The harakat, superscript alef and tatweel. Kept to these few on purpose: with a larger class
# pg_trgm can no longer extract trigrams from the pattern and PostgreSQL scans every row.
ARABIC_MARKS = "".join(chr(c) for c in (*range(0x064B, 0x0653), 0x0670, 0x0640))
PY_NOT_ALNUM = r"[\W_]"
PG_NOT_ALNUM = "[^[:alnum:]]"


def python_word_regex(term: PlannedTerm) -> str:
    """A Python regex for a WORD or PHRASE term over ``core.text.fold`` output."""
    body = (PY_NOT_ALNUM + "+").join(re.escape(word) for word in term.words)
    end = "" if term.prefix else r"(?![^\W_])"
    return r"(?<![^\W_])" + body + end


def postgres_word_regex(term: PlannedTerm) -> str:
    """A PostgreSQL regex for a WORD or PHRASE term over ``tv_fold`` output."""
    body = (PG_NOT_ALNUM + "+").join(_are_escape(word) for word in term.words)
    end = "" if term.prefix else f"({PG_NOT_ALNUM}|$)"
    return f"(^|{PG_NOT_ALNUM})" + body + end


def postgres_marked_regex(term: PlannedTerm) -> str:
    """A PostgreSQL regex for an Arabic substring: any vowel marks, any hamza form."""
    marks = f"[{ARABIC_MARKS}]*"
    variants = _variants()
    pieces = []
    for char in term.folded:
        options = variants.get(char)
        atom = "[" + "".join(sorted({char, *options})) + "]" if options else _are_escape(char)
        pieces.append(atom + marks)
    return "".join(pieces)


def needs_marked_regex(term: PlannedTerm) -> bool:
    """Arabic-script substrings: PostgreSQL's fold keeps their vowel marks and hamza forms."""
    return term.kind is MatchKind.SUBSTRING and any(_is_arabic(ch) for ch in term.folded)


def _is_arabic(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in ARABIC_RANGES)


def _are_escape(text: str) -> str:
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def _variant_candidates() -> list[str]:
    low, high = VARIANT_BLOCK
    return [chr(code) for code in range(low, high + 1)]


@lru_cache(maxsize=1)
def _variants() -> dict[str, frozenset[str]]:
    """Folded letter -> every letter folding to it (``ا`` -> ``اأإآ``…), for PostgreSQL."""
    grouped: dict[str, set[str]] = {}
    for char in _variant_candidates():
        if unicodedata.category(char).startswith("L"):
            base = fold(char)
            if len(base) == 1 and base != char:
                grouped.setdefault(base, set()).add(char)
    return {base: frozenset(chars) for base, chars in grouped.items()}

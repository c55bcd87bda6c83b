"""How each search term is matched: as a word, a phrase, or a folded substring.

Word matching is left to the full-text indexes only for scripts whose words both engines split
the same way (Latin, Greek, Cyrillic, Armenian, Georgian). Everything else — Arabic and Hebrew
(their vowel marks split words in SQLite's tokenizer), CJK and other scripts written without
spaces, and terms holding symbols such as ``c++``, ``t.me/x`` or ``a@b.c`` — is matched as a
folded substring, which the trigram indexes serve from three characters on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from core.text import fold
from services.search.syntax import Term

MIN_TRIGRAM_CHARS = 3
EDGE_PUNCTUATION = ".,;:!?¿¡()[]{}\"'«»“”„‘’…^`~<>|\\/*"
WORD_SCRIPT_RANGES = (
    (0x00C0, 0x024F),  # Latin-1 letters, Latin Extended-A/B
    (0x0250, 0x02AF),  # IPA
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic
    (0x0530, 0x058F),  # Armenian
    (0x10A0, 0x10FF),  # Georgian
    (0x1E00, 0x1FFF),  # Latin Extended Additional, Greek Extended
)


class MatchKind(Enum):
    """How a term is matched against a message."""

    WORD = "word"  # whole word (or word prefix) through the word index
    PHRASE = "phrase"  # consecutive words through the word index
    SUBSTRING = "substring"  # folded substring: trigram index from 3 characters, else a scan


@dataclass(frozen=True, slots=True)
class PlannedTerm:
    """A term with its matching strategy and folded form."""

    term: Term
    kind: MatchKind
    folded: str

    @property
    def text(self) -> str:
        return self.term.text

    @property
    def prefix(self) -> bool:
        return self.term.prefix and self.kind is MatchKind.WORD

    @property
    def words(self) -> list[str]:
        """The folded words of a WORD or PHRASE term."""
        return self.folded.split()

    @property
    def trigram_ready(self) -> bool:
        """Whether a trigram index can find this substring (it needs three characters)."""
        return len(self.folded) >= MIN_TRIGRAM_CHARS


def clean_word(text: str, keep: str = "") -> str:
    """Strip sentence punctuation around a word: ``(hello,`` -> ``hello``; ``c++`` stays."""
    strip = "".join(ch for ch in EDGE_PUNCTUATION if ch not in keep)
    return text.strip(strip + " ")


def is_searchable(text: str) -> bool:
    """A term needs a letter, a digit, or some non-ASCII symbol (an emoji is fine)."""
    return any(ch.isalnum() or (ord(ch) > 0x7F and not ch.isspace()) for ch in text)


def is_word_char(char: str) -> bool:
    if char.isascii():
        return char.isalnum()
    if not unicodedata.category(char).startswith(("L", "N")):
        return False
    code = ord(char)
    return any(low <= code <= high for low, high in WORD_SCRIPT_RANGES)


def plan_term(term: Term) -> PlannedTerm:
    """Decide how ``term`` is matched; the decision is the same on every dialect."""
    folded = " ".join(fold(term.text).split())
    pieces = term.text.split()
    if all(is_word_char(ch) for piece in pieces for ch in piece):
        kind = MatchKind.PHRASE if len(pieces) > 1 else MatchKind.WORD
    else:
        kind = MatchKind.SUBSTRING
    return PlannedTerm(term, kind, folded)


def fts5_string(value: str, *, prefix: bool = False) -> str:
    """An FTS5 string literal: operators and quotes inside it are plain text."""
    return '"' + value.replace('"', '""') + '"' + ("*" if prefix else "")


def like_pattern(value: str) -> str:
    """A LIKE pattern finding ``value`` anywhere (escape character: backslash)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

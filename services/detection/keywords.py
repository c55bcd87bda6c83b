"""Keyword rules: one Aho–Corasick automaton over every folded keyword of every rule.

An RE2 set holding the alternation of every keyword first says, in one linear DFA pass,
whether any keyword occurs at all: most messages contain none, and RE2 answers that several
times faster than walking the automaton (pyahocorasick searches each node's children
linearly, and the root of a multilingual keyword trie has hundreds).

Candidates come from the automaton over the folded text; a candidate counts only when it
stands on a Unicode word boundary, checked here in Python because RE2 and Hyperscan treat
``\\b`` as ASCII-only (``bogotá`` never matched before a space, ``betra`` matched inside
``betrañe``). Scripts written without spaces (CJK, Thai, ...) need no boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick
import re2

from services.detection.folding import fold_for_matching
from services.detection.regexes import SET_MAX_MEM, encode
from services.detection.triggers import TriggerSet

_SEPARATORS = re.compile(r"[,\n\r]")
# Scripts written without spaces between words: a keyword edge in one of them needs no
# boundary, and a neighbour in one of them counts as a boundary.
UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul jamo (folded Hangul syllables decompose into these)
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Hangul compatibility jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B-H
)


def parse_keywords(pattern: str) -> list[str]:
    """The usable keywords of a rule, folded, deduplicated, in order of appearance."""
    folded = (fold_for_matching(part).strip() for part in _SEPARATORS.split(pattern))
    return list(dict.fromkeys(keyword for keyword in folded if keyword))


def is_unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in UNSPACED_RANGES)


def is_word_char(char: str) -> bool:
    """A character that glues to a neighbouring word.

    Python's ``\\w`` (``str.isalnum`` or ``_``) plus spacing marks (Mc: the vowel signs inside
    Devanagari, Bengali... words), minus the scripts written without spaces.
    """
    glues = char.isalnum() or char == "_" or unicodedata.category(char) == "Mc"
    return glues and not is_unspaced(char)


class _WordTable(dict[str, bool]):
    """``is_word_char`` memoized: the boundary check runs for every keyword candidate."""

    def __missing__(self, char: str) -> bool:
        value = self[char] = is_word_char(char)
        return value


def _alternation(keywords: Iterable[str]) -> str:
    # Escaped as bytes: a lone surrogate (broken export) must not break the whole rule set.
    return b"|".join(re2.escape(encode(k)) for k in keywords).decode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class _Keyword:
    length: int
    needs_start_boundary: bool
    needs_end_boundary: bool
    rules: tuple[int, ...]  # indexes into the compiled rule table


class KeywordMatcher:
    """Every keyword of every keyword rule; finds each rule's earliest match in folded text."""

    def __init__(self, keywords_by_rule: Iterable[tuple[int, Sequence[str]]]) -> None:
        owners: dict[str, list[int]] = {}
        for rule_index, keywords in keywords_by_rule:
            for keyword in keywords:
                owners.setdefault(keyword, []).append(rule_index)
        self._automaton = ahocorasick.Automaton()
        for keyword, rules in owners.items():
            entry = _Keyword(
                len(keyword), is_word_char(keyword[0]), is_word_char(keyword[-1]), tuple(rules)
            )
            self._automaton.add_word(keyword, entry)
        self._empty = not owners
        self._word = _WordTable()
        # Without the prefilter (RE2 refused it) the automaton runs on every text.
        self._prefilter = TriggerSet([_alternation(owners)], SET_MAX_MEM) if owners else None
        if self._prefilter is not None and not self._prefilter:
            self._prefilter = None
        if owners:
            self._automaton.make_automaton()

    def __bool__(self) -> bool:
        return not self._empty

    def earliest(self, folded: str) -> dict[int, tuple[int, int]]:
        """Rule index -> folded span of its earliest match (the longest one when tied)."""
        best: dict[int, tuple[int, int]] = {}
        prefilter = self._prefilter
        if prefilter is not None and not prefilter.hits(encode(folded)):
            return best
        size = len(folded)
        word = self._word
        for last, keyword in self._automaton.iter(folded):
            start = last - keyword.length + 1
            end = last + 1
            if keyword.needs_start_boundary and start and word[folded[start - 1]]:
                continue
            if keyword.needs_end_boundary and end < size and word[folded[end]]:
                continue
            for rule in keyword.rules:
                current = best.get(rule)
                if (
                    current is None
                    or start < current[0]
                    or (start == current[0] and end > current[1])
                ):
                    best[rule] = (start, end)
        return best

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

from core.errors import InvalidInputError
from services.detection.batch import Joined
from services.detection.chunk_folding import fold_chunk
from services.detection.folding import fold_for_matching, fold_text
from services.detection.regexes import SET_MAX_MEM, Regex, encode
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


def _locator(keywords: Iterable[str]) -> Regex | None:
    """One program finding any keyword in a chunk's folded buffer (None if RE2 refuses it).

    The buffer's whitespace runs are not collapsed, so a phrase's space matches a run.
    """
    source = b"|".join(
        b" +".join(re2.escape(encode(word)) for word in keyword.split(" ")) for keyword in keywords
    ).decode("utf-8", "surrogatepass")
    try:
        return Regex(source, SET_MAX_MEM, locator=True)
    except InvalidInputError:
        return None


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
        # Sorted: RE2 factors the prefixes that neighbouring alternatives share into a trie,
        # so each DFA state it builds on fresh text holds far fewer threads (a first pass
        # over the benchmark's texts took half the time).
        ordered = sorted(owners)
        # Without the prefilter (RE2 refused it) the automaton runs on every text.
        self._prefilter = TriggerSet([_alternation(ordered)], SET_MAX_MEM) if owners else None
        if self._prefilter is not None and not self._prefilter:
            self._prefilter = None
        self._locator = _locator(ordered) if owners else None
        if owners:
            self._automaton.make_automaton()

    def __bool__(self) -> bool:
        return not self._empty

    def candidates(self, texts: Sequence[str]) -> list[tuple[int, tuple[str, bool]]]:
        """The texts (original, not folded) in which some keyword may occur, folded.

        (index, ``fold_text`` of the text), ascending: every text whose folded form holds a
        keyword is among them, and :meth:`earliest` decides.
        """
        if self._locator is None:
            return [(index, fold_text(text)) for index, text in enumerate(texts)]
        chunk = fold_chunk(texts)
        if chunk is None:  # a text holds the separator fold_chunk uses
            folded = [fold_text(text) for text in texts]
            touched = Joined.of([encode(text) for text, _ in folded]).touched(self._locator)
            return [(index, folded[index]) for index in touched]
        order = chunk.order
        return sorted((order[part], chunk.folded(part)) for part in chunk.touched(self._locator))

    def earliest(self, folded: str, *, prefiltered: bool = False) -> dict[int, tuple[int, int]]:
        """Rule index -> folded span of its earliest match (the longest one when tied).

        ``prefiltered``: the text is known to be among :meth:`candidates`.
        """
        prefilter = self._prefilter
        if not prefiltered and prefilter is not None and not prefilter.hits(encode(folded)):
            return {}
        size = len(folded)
        word = self._word
        hits: list[tuple[int, int, tuple[int, ...]]] = []  # (start, -end, rules)
        for last, keyword in self._automaton.iter(folded):
            start = last - keyword.length + 1
            end = last + 1
            if keyword.needs_start_boundary and start and word[folded[start - 1]]:
                continue
            if keyword.needs_end_boundary and end < size and word[folded[end]]:
                continue
            hits.append((start, -end, keyword.rules))
        if len(hits) == 1:  # the usual case
            start, negated_end, rules = hits[0]
            return dict.fromkeys(rules, (start, -negated_end))
        best: dict[int, tuple[int, int]] = {}
        # Worst first, so that each rule keeps its earliest (then longest) span. Two hits with
        # the same span are the same keyword, so the rules never decide the order.
        for start, negated_end, rules in sorted(hits, key=_span_order, reverse=True):
            best.update(dict.fromkeys(rules, (start, -negated_end)))
        return best


def _span_order(hit: tuple[int, int, tuple[int, ...]]) -> tuple[int, int]:
    return hit[0], hit[1]

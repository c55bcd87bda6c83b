"""Snippets around the first match, with the matched terms as spans over the snippet.

Matching runs on folded text (``core.text.fold``, character by character so every folded
character points back to the original), so accents, case, Arabic marks and CJK behave as in
the search itself, whichever dialect found the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from core.domain.search import Snippet, Span
from core.text import fold
from services.search.patterns import python_word_regex
from services.search.terms import MatchKind, PlannedTerm

SNIPPET_CHARS = 160
LEAD_CHARS = 50  # context kept before the first match
ELLIPSIS = "…"


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return fold(char)


def folded_with_origins(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded character, the index of its source character."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        pieces.append(folded)
        origins.extend([index] * len(folded))
    return "".join(pieces), origins


def match_spans(text: str, terms: Sequence[PlannedTerm]) -> list[Span]:
    """Where the terms occur in ``text`` (original indexes), sorted and merged."""
    folded, origins = folded_with_origins(text)
    found: list[Span] = []
    for term in terms:
        for start, end in occurrences(folded, term):
            found.append(Span(origins[start], _original_end(text, origins[end - 1] + 1)))
    return _merge(found)


def occurrences(folded: str, term: PlannedTerm) -> Iterator[tuple[int, int]]:
    if term.kind is MatchKind.SUBSTRING:
        needle, start = term.folded, folded.find(term.folded)
        while needle and start >= 0:
            yield start, start + len(needle)
            start = folded.find(needle, start + len(needle))
        return
    for match in re.finditer(python_word_regex(term), folded):
        if term.prefix:  # highlight the whole word the prefix starts
            end = match.end()
            while end < len(folded) and folded[end].isalnum():
                end += 1
            yield match.start(), end
        else:
            yield match.start(), match.end()


def _original_end(text: str, end: int) -> int:
    """Extend over marks that fold to nothing (Arabic harakat after the last letter)."""
    while end < len(text) and not _fold_char(text[end]):
        end += 1
    return end


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged


def make_snippet(text: str, terms: Sequence[PlannedTerm], width: int = SNIPPET_CHARS) -> Snippet:
    """An excerpt of about ``width`` characters starting a little before the first match."""
    flat = "".join(" " if ch in "\r\n\t" else ch for ch in text)
    spans = match_spans(flat, terms)
    start = _start(flat, spans[0].start if spans else 0)
    end = _end(flat, start + width)
    body = flat[start:end]
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - start
    kept = [
        Span(max(s.start, start) + shift, min(s.end, end) + shift)
        for s in spans
        if s.start < end and s.end > start
    ]
    return Snippet(prefix + body + suffix, tuple(kept))


def _start(text: str, first_match: int) -> int:
    if first_match <= LEAD_CHARS:
        return 0
    start = first_match - LEAD_CHARS
    space = text.find(" ", start, first_match)
    return space + 1 if space >= 0 else start


def _end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", end - 20, end)
    return space if space > 0 else end

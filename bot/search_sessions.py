"""Paged searches kept server-side: a short token on the buttons stands for the query and the
cursors of the pages seen, so "previous" works and nothing long goes into callback data.

The store is bounded (least recently used searches go first) and forgets searches left idle
too long; a button whose token is gone answers that the search expired. Pure: no aiogram.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from services.search.lexer import FILTER_CHUNK, sanitize

CAPACITY = 500
MAX_IDLE_SECONDS = 6 * 3600.0
MAX_PAGES = 100  # cursors kept per search: 100 pages of results, then narrow the query
SORTS = ("date", "relevance")


@dataclass(slots=True)
class SearchSession:
    """One search: ``cursors[k - 1]`` opens page ``k`` (page 1 needs none)."""

    token: str
    query: str
    sort: str  # as the engine reported it: "date" or "relevance"
    cursors: list[str | None] = field(default_factory=lambda: [None])
    used_at: float = 0.0

    def knows(self, page: int) -> bool:
        """Whether page ``page`` can be opened (it was reached from a page seen before)."""
        return 1 <= page <= len(self.cursors) and (page == 1 or self.cursors[page - 1] is not None)

    def cursor(self, page: int) -> str | None:
        if not self.knows(page):
            raise LookupError(f"page {page} of search {self.token} was never reached")
        return self.cursors[page - 1]

    def shown(self, page: int, next_cursor: str | None) -> None:
        """Page ``page`` was shown; ``next_cursor`` opens the one after it (None: last page).

        Later cursors are dropped: they were computed from an earlier view of this page.
        """
        del self.cursors[page:]
        if page < MAX_PAGES:
            self.cursors.append(next_cursor)

    def has_next(self, page: int) -> bool:
        return self.knows(page + 1)

    @property
    def other_sort(self) -> str:
        return SORTS[1] if self.sort == SORTS[0] else SORTS[0]


def new_token() -> str:
    return secrets.token_urlsafe(6)  # 8 characters, 48 random bits


class SearchSessions:
    """Token -> SearchSession, least recently used first out, idle ones forgotten."""

    def __init__(
        self,
        *,
        capacity: int = CAPACITY,
        max_idle: float = MAX_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        tokens: Callable[[], str] = new_token,
    ) -> None:
        if capacity < 1:
            raise ValueError("a search store holds at least one search")
        self._capacity = capacity
        self._max_idle = max_idle
        self._clock = clock
        self._tokens = tokens
        self._sessions: OrderedDict[str, SearchSession] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, query: str, sort: str, next_cursor: str | None) -> SearchSession:
        """Remember a search whose first page was just shown."""
        self._forget_idle()
        token = self._tokens()
        while token in self._sessions:  # 48 random bits: a clash is all but impossible
            token = self._tokens()
        session = SearchSession(token, query, sort, used_at=self._clock())
        session.shown(1, next_cursor)
        self._sessions[token] = session
        while len(self._sessions) > self._capacity:
            self._sessions.popitem(last=False)
        return session

    def get(self, token: str) -> SearchSession | None:
        """The search behind ``token``, or None once evicted, idle too long or never known."""
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self._clock()
        if now - session.used_at > self._max_idle:
            del self._sessions[token]
            return None
        session.used_at = now
        self._sessions.move_to_end(token)
        return session

    def _forget_idle(self) -> None:
        limit = self._clock() - self._max_idle
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if oldest.used_at >= limit:
                return
            self._sessions.popitem(last=False)


def with_sort(query: str, sort: str) -> str:
    """``query`` ordered by ``sort``: any ``sort:`` filter it had is replaced, not contradicted.

    The other tokens are kept as the lexer reads them; an unclosed quote is closed, so the
    new filter does not land inside a phrase.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    text = sanitize(query)
    kept = [
        text[token.start : token.end] + ('"' if token.unclosed else "")
        for token in _tokens(text)
        if not token.is_sort
    ]
    return " ".join([*kept, f"sort:{sort}"])


def sort_filter_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` (sanitized) holds ``sort:`` filters."""
    return [(token.start, token.end) for token in _tokens(text) if token.is_sort]


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    is_sort: bool
    unclosed: bool  # runs to the end inside a quote that is never closed


def _tokens(text: str) -> Iterator[_Token]:
    """Token boundaries exactly as ``services.search.lexer.tokenize`` reads them: separators
    are spaces and parentheses, a quote starts a phrase, ``-`` before a token negates it, and
    a filter's value may be a quoted phrase."""
    pos, size = 0, len(text)
    while True:
        while pos < size and _separates(text[pos]):
            pos += 1
        if pos >= size:
            return
        start = pos
        if text[pos] == "-" and pos + 1 < size and not _separates(text[pos + 1]):
            pos += 1
        if text[pos] == '"':
            pos, unclosed = _quoted(text, pos)
            yield _Token(start, pos, False, unclosed)
            continue
        chunk = pos
        while pos < size and not _separates(text[pos]) and text[pos] != '"':
            pos += 1
        match = FILTER_CHUNK.match(text[chunk:pos])
        unclosed = False
        if match and not match.group(2) and pos < size and text[pos] == '"':
            pos, unclosed = _quoted(text, pos)
        yield _Token(start, pos, bool(match and match.group(1).lower() == "sort"), unclosed)


def _separates(char: str) -> bool:
    return char.isspace() or char in "()"


def _quoted(text: str, quote: int) -> tuple[int, bool]:
    """Past the quote closing the one at ``quote``, or the end when it is never closed."""
    end = text.find('"', quote + 1)
    return (len(text), True) if end < 0 else (end + 1, False)

"""Paged searches kept server-side: tokens, cursor stacks, bounds, idle expiry, sort toggling."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from bot.search_sessions import MAX_PAGES, SearchSessions, sort_filter_spans, with_sort
from services.search.lexer import Token, TokenKind, tokenize
from services.search.parser import parse


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(capacity: int = 3, clock: Clock | None = None) -> SearchSessions:
    counter = itertools.count(1)
    return SearchSessions(
        capacity=capacity,
        max_idle=60.0,
        clock=clock or Clock(),
        tokens=lambda: f"t{next(counter)}",
    )


def test_a_search_remembers_the_cursor_of_every_page_seen() -> None:
    store = _store()
    session = store.open("harbour", "date", "c2")
    assert store.get(session.token) is session
    assert session.knows(1) and session.knows(2) and not session.knows(3)
    assert session.cursor(1) is None and session.cursor(2) == "c2"
    session.shown(2, "c3")
    session.shown(3, None)  # the last page
    assert session.cursor(3) == "c3" and not session.has_next(3)
    session.shown(1, "c2-again")  # back to page one: later cursors were for an older view
    assert session.cursors == [None, "c2-again"]
    with pytest.raises(LookupError):
        session.cursor(3)


def test_a_single_page_search_has_no_next_page() -> None:
    session = _store().open("rare", "relevance", None)
    assert not session.has_next(1) and not session.knows(2) and not session.knows(0)
    assert session.other_sort == "date"


def test_the_store_is_bounded_and_evicts_the_least_recently_used() -> None:
    store = _store(capacity=2)
    first = store.open("a", "date", None)
    second = store.open("b", "date", None)
    assert store.get(first.token) is first  # first is now the most recently used
    third = store.open("c", "date", None)
    assert len(store) == 2
    assert store.get(second.token) is None
    assert store.get(first.token) is first and store.get(third.token) is third


def test_idle_searches_expire_and_use_keeps_them_alive() -> None:
    clock = Clock()
    store = _store(clock=clock)
    kept = store.open("kept", "date", None)
    dropped = store.open("dropped", "date", None)
    clock.now += 50
    assert store.get(kept.token) is kept
    clock.now += 50  # kept was used 50 s ago, dropped 100 s ago
    assert store.get(dropped.token) is None
    assert store.get(kept.token) is kept
    clock.now += 61
    store.open("new", "date", None)  # opening sweeps idle searches out
    assert len(store) == 1


def test_unknown_tokens_and_clashing_tokens() -> None:
    tokens = iter(["same", "same", "other"])
    store = SearchSessions(tokens=lambda: next(tokens))
    assert store.open("a", "date", None).token == "same"
    assert store.open("b", "date", None).token == "other"
    assert store.get("never") is None
    with pytest.raises(ValueError, match="at least one"):
        SearchSessions(capacity=0)


def test_a_search_keeps_at_most_max_pages_of_cursors() -> None:
    session = _store().open("common", "date", "c2")
    for page in range(2, MAX_PAGES + 1):
        session.shown(page, f"c{page + 1}")
    assert session.knows(MAX_PAGES) and not session.has_next(MAX_PAGES)
    assert len(session.cursors) == MAX_PAGES


@pytest.mark.parametrize(
    ("query", "sort", "expected"),
    [
        ("harbour", "relevance", "harbour sort:relevance"),
        ("harbour sort:relevance", "date", "harbour sort:date"),
        ("sort:RELEVANCE harbour report", "date", "harbour report sort:date"),
        ("harbour sort:date sort:date", "relevance", "harbour sort:relevance"),
        ('harbour sort:"relevance" from:@ana', "date", "harbour from:@ana sort:date"),
        ("(sort:date) harbour", "relevance", "harbour sort:relevance"),
        ('"unclosed sort:date', "relevance", '"unclosed sort:date" sort:relevance'),
        ('in:"Equipo x', "date", 'in:"Equipo x" sort:date'),
        ('"sort:date is a phrase" x', "relevance", '"sort:date is a phrase" x sort:relevance'),
        ('in:"sort:date" x', "relevance", 'in:"sort:date" x sort:relevance'),
        ("resort:date harbour", "relevance", "resort:date harbour sort:relevance"),
        ("harbour -sort:date", "relevance", "harbour sort:relevance"),
        ("sort:date", "relevance", "sort:relevance"),
    ],
)
def test_toggling_the_sort_replaces_any_sort_filter(query: str, sort: str, expected: str) -> None:
    assert with_sort(query, sort) == expected


QUERIES = [
    "harbour",
    "harbour sort:relevance",
    'a "b c" -d ef* OR g sort:date',
    'from:@ana in:"Equipo Ñandú" sort:relevance after:2024-01',
    '"unclosed sort:date',
    'x sort:"relevance',
    "-sort:date x",
    "SORT:date x (y OR z)",
    'x"sort:date"y',
    "Привет sort:relevance 北京",
    "sort: relevance",
]


def _closed(tokens: list[Token]) -> list[Token]:
    """Tokens without the unclosed-quote mark: toggling closes a dangling quote on purpose."""
    return [dataclasses.replace(token, unclosed=False) for token in tokens]


def _is_sort(token: Token) -> bool:
    return token.kind is TokenKind.FILTER and token.name.lower() == "sort"


@pytest.mark.parametrize("query", QUERIES)
def test_the_spans_are_exactly_the_sort_filters_the_lexer_reads(query: str) -> None:
    toggled = with_sort(query, "relevance")
    before = _closed([t for t in tokenize(query) if not _is_sort(t)])
    after = _closed(tokenize(toggled))
    assert after[-1] == Token(TokenKind.FILTER, "relevance", name="sort")
    assert [t for t in after[:-1] if not _is_sort(t)] == before
    assert not any(_is_sort(t) for t in after[:-1])
    assert len(sort_filter_spans(query)) == sum(map(_is_sort, tokenize(query)))


@pytest.mark.parametrize("query", QUERIES)
def test_a_toggled_query_parses_with_the_wanted_order(query: str) -> None:
    for sort in ("relevance", "date"):
        assert parse(with_sort(query, sort)).sort == sort


def test_an_unknown_sort_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        with_sort("x", "oldest")

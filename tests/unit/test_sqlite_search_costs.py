"""SQLite newest-first search: when reading every match and sorting beats walking the index."""

from __future__ import annotations

from services.search.sqlite_search import SORTED_MAX, sorting_is_cheaper

MILLION = 1_000_000


def test_a_page_of_a_common_word_is_walked() -> None:
    assert not sorting_is_cheaper(11_307, 20, MILLION)


def test_relevance_candidates_of_a_common_word_are_sorted() -> None:
    # 2,000 candidates at 1% density walk ~180,000 index entries in a dozen batches of
    # statements: reading the 11,307 matches is cheaper.
    assert sorting_is_cheaper(11_307, 1_999, MILLION)


def test_a_stop_word_is_always_walked() -> None:
    assert not sorting_is_cheaper(200_000, 1_999, MILLION)
    assert not sorting_is_cheaper(SORTED_MAX + 1, 1_999, MILLION)


def test_a_rare_word_is_sorted() -> None:
    assert sorting_is_cheaper(46, 20, MILLION)

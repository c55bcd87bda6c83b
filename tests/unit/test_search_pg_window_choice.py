"""PostgreSQL newest-first: a density window only when it is cheaper than the GIN lookup."""

from __future__ import annotations

from services.search.postgres_search import WINDOW_ROW_COST, window_cheaper


def test_a_sparse_word_is_looked_up_rather_than_read_through_a_large_window() -> None:
    # 5 hits in the newest 4,000 of 100,000 rows: about 125 matches in all, against a window
    # of 22,800 rows to fill the page.
    assert not window_cheaper(22_800, 5, 4_000, 100_000)


def test_a_frequent_word_in_a_large_table_reads_the_window() -> None:
    # 832 hits in 4,000 rows of 1,000,000: about 208,000 matches, against 8,423 rows.
    assert window_cheaper(8_423, 832, 4_000, 1_000_000)


def test_the_choice_turns_at_the_row_cost() -> None:
    likely = 1_000 * 100_000 // 4_000  # 25,000 matches
    assert window_cheaper(likely // WINDOW_ROW_COST, 1_000, 4_000, 100_000)
    assert not window_cheaper(likely // WINDOW_ROW_COST + 1, 1_000, 4_000, 100_000)


def test_an_empty_table_never_prefers_a_window() -> None:
    assert not window_cheaper(1, 1, 0, 0)

"""The search, detection, import and backfill benchmark rows run at a tiny size and report
figures with their baselines. Timings are not asserted: only that each row works."""

from __future__ import annotations

import itertools
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks import backtest_rows, detection_rows, rows, search_rows
from benchmarks.backfill_rows import backfill
from benchmarks.context import Bench, BenchConfig, DialectRun
from benchmarks.corpus import Corpus
from benchmarks.figures import Figure
from benchmarks.import_rows import export_import
from benchmarks.search_queries import query_classes
from benchmarks.search_terms import Scope, TermCounter, choose_terms
from benchmarks.storage import bulk_import
from benchmarks.targets import SqliteTarget
from services.search.parser import parse

SIZE = 400


def _bench() -> Bench:
    config = BenchConfig(size=SIZE, baseline_size=100, dialects=("sqlite",))
    return Bench(config=config, corpus=Corpus(SIZE, config.seed))


@pytest.fixture
async def archived(tmp_path: Path) -> AsyncIterator[DialectRun]:
    run = DialectRun(bench=_bench(), target=SqliteTarget(tmp_path))
    try:
        await bulk_import(run)
        yield run
    finally:
        await run.target.close()


def _by_name(figures: list[Figure]) -> dict[str, Figure]:
    return {figure.name: figure for figure in figures}


def _sane(figures: list[Figure]) -> None:
    assert figures
    for figure in figures:
        assert math.isfinite(figure.value) and figure.value >= 0, figure
        if figure.baseline is not None:
            assert figure.baseline.value > 0, figure


def test_new_rows_are_registered_before_the_live_row() -> None:
    names = [row.__name__ for row in rows.DIALECT_ROWS]
    assert names[:2] == ["bulk_import", "reimport"] and names[-1] == "live_path"
    assert {"search_latency", "detection_backtest", "export_import"} <= set(names)
    corpus_rows = {row.__name__ for row in rows.CORPUS_ROWS}
    assert {"detection_throughput_rows", "pathological_rule", "backfill"} <= corpus_rows


def test_terms_are_picked_by_their_counts_and_every_query_parses() -> None:
    counter = TermCounter()
    counter.add_all(m.text for m in itertools.islice(Corpus(3000).messages(), 3000))
    terms = choose_terms(counter)
    assert terms.rare.messages < terms.common.messages < terms.stop.messages
    assert counter.words[terms.stop.term] == max(counter.latin_words(2).values())
    assert not terms.accented.term.isascii()
    assert terms.cjk.messages > 0 and terms.substring.messages > 0
    scope = Scope(chat_id=-1001, chat_messages=5, sender_id=7, sender_messages=5, month="2024-01")
    classes = query_classes(terms, scope)
    assert len({qc.name for qc in classes}) == len(classes) == 12
    for qc in classes:
        for relevance in (False, True):
            assert parse(qc.ordered(relevance)).clauses  # every class has text to find


async def test_search_rows_time_every_class_in_both_orders(
    archived: DialectRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_rows, "REPETITIONS", 2)
    monkeypatch.setattr(search_rows, "MIN_BASELINE_RUNS", 1)
    figures = await search_rows.search_latency(archived)
    _sane(figures)
    assert len(figures) == 24
    named = _by_name(figures)
    rare = named["search p95, rare word, newest first"]
    assert rare.budget == "≤ 50" and rare.baseline is not None and rare.baseline.count >= 1
    assert named["search p95, stop word, relevance"].baseline is not None  # bm25, unbounded
    assert named["search p95, CJK substring, relevance"].baseline is None  # no word index
    assert all(figure.notes[0].startswith("query ") for figure in figures)


async def test_backtest_rows_match_the_brute_force_baseline(
    archived: DialectRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backtest_rows, "RUNS", 1)
    figures = await backtest_rows.detection_backtest(archived)
    _sane(figures)
    assert [f.name for f in figures] == [name for name, _draft, _naive in backtest_rows.RULES]
    for figure in figures:
        assert figure.baseline is not None and figure.baseline.count == SIZE
        assert not any("differ" in note for note in figure.notes), figure.notes


async def test_export_import_row_imports_every_message_in_a_child_process(
    tmp_path: Path,
) -> None:
    run = DialectRun(bench=_bench(), target=SqliteTarget(tmp_path))
    try:
        figures = await export_import(run)
    finally:
        await run.target.close()
    _sane(figures)
    speed, rss = figures
    assert speed.unit == "msg/s" and f"{SIZE:,} messages ({SIZE:,} stored)" in speed.notes[0]
    assert "detection with 1,000 synthetic rules" in speed.notes[1]  # the budget's pipeline
    assert rss.budget == "≤ 300" and rss.baseline is not None  # json.load runs below the cap
    assert "+ parser process" in rss.notes[0]  # both processes' peaks are counted


async def test_detection_rows_report_throughput_and_a_bounded_pathological_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(detection_rows, "RULE_COUNTS", (10, 100))
    monkeypatch.setattr(detection_rows, "BASELINE_SECONDS", 0.2)
    monkeypatch.setattr(detection_rows, "PATHOLOGICAL_RUNS", 3)
    bench = _bench()
    throughput = await detection_rows.detection_throughput_rows(bench)
    _sane(throughput)
    assert [f.name for f in throughput] == [
        "detection, 10 rules, one core",
        "detection, 100 rules, one core",
    ]
    assert all(f.baseline is not None for f in throughput)
    (pathological,) = await detection_rows.pathological_rule(bench)
    _sane([pathological])
    assert pathological.unit == "ms" and not pathological.higher_is_better


async def test_backfill_row_reports_requests_and_no_refetched_pages() -> None:
    bench = _bench()
    named = _by_name(await backfill(bench))
    _sane(list(named.values()))
    assert named["backfill pages re-fetched after a restart"].value == 0
    assert named["backfill messages not stored exactly once"].value == 0
    assert 1 <= named["backfill history requests per 100 messages"].value < 2
    assert not bench.notes

"""The runtime rows at a tiny size: `run` sampled at rest in a child process over the imported
archive, and a burst through the live path up to its alerts. Figures are checked for sense;
timings are not asserted."""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks import alert_burst, rows, runtime_rows
from benchmarks.context import Bench, BenchConfig, DialectRun
from benchmarks.corpus import Corpus, paginate
from benchmarks.figures import Figure
from benchmarks.storage import require_archive
from benchmarks.targets import PostgresTarget, SqliteTarget, Target
from benchmarks.writes import seed_entities, upserter
from core.db.tables import alerts, messages
from core.domain.detection import ScanTarget
from services.detection.engine import compile_rules
from tests.conftest import POSTGRES_ADMIN_URL

SIZE = 300


@asynccontextmanager
async def _imported(target: Target) -> AsyncIterator[DialectRun]:
    config = BenchConfig(size=SIZE, baseline_size=50, dialects=(target.dialect,))
    corpus = Corpus(SIZE, config.seed)
    run = DialectRun(bench=Bench(config=config, corpus=corpus), target=target)
    try:
        # What the bulk-import row leaves, without its baselines (extra databases, slow ones).
        archive = await target.fresh("archive")
        await seed_entities(archive, corpus)
        stream = corpus.messages()
        write = upserter(archive, index=True)
        for page in paginate(stream, SIZE, 100):
            await write(page)
        run.archive, run.continuation = archive, stream
        yield run
    finally:
        await target.close()


@pytest.fixture
async def sqlite_archive(tmp_path: Path) -> AsyncIterator[DialectRun]:
    async with _imported(SqliteTarget(tmp_path)) as run:
        yield run


@pytest.fixture
async def archived(dialect: str, tmp_path: Path) -> AsyncIterator[DialectRun]:
    """The imported archive on each dialect (the live row runs in this process: it is quick)."""
    target: Target = SqliteTarget(tmp_path)
    if dialect == "postgresql":
        target = PostgresTarget(POSTGRES_ADMIN_URL)
        if (problem := await target.reachable()) is not None:
            if os.environ.get("CI"):  # as the shared fixtures do: CI must have the server
                pytest.fail(f"CI requires PostgreSQL: {problem}", pytrace=False)
            pytest.skip(f"PostgreSQL unreachable: {problem}")
    async with _imported(target) as run:
        yield run


def _sane(figures: list[Figure]) -> None:
    for figure in figures:
        assert math.isfinite(figure.value) and figure.value > 0, figure
        assert not any("UNEXPECTED" in note for note in figure.notes), figure.notes


def test_runtime_rows_run_before_the_live_row() -> None:
    names = [row.__name__ for row in rows.DIALECT_ROWS]
    assert names[-3:] == ["idle_rss", "live_alert_latency", "live_path"]


def test_every_token_is_matched_by_its_own_rule_only() -> None:
    drafts = alert_burst.rule_drafts()
    compiled = compile_rules([draft.as_rule(n + 1) for n, draft in enumerate(drafts)])
    assert not compiled.rejected

    def matched(text: str) -> list[int]:
        return [m.rule_id for m in compiled.scan(ScanTarget(1, -100, 7, text))]

    for rule in (0, 1, 98, 99):
        for variant in range(3):
            assert matched(f"nos vemos mañana {alert_burst.token(rule, variant)}, gracias") == [
                rule + 1
            ]
    assert not matched("zafiro caso-001 contraseña ключ zafiro1000 caso-001-12345")


async def test_idle_rss_samples_run_in_a_child_process_over_the_archive(
    sqlite_archive: DialectRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_rows, "SAMPLE_SECONDS", 1.0)
    monkeypatch.setattr(runtime_rows, "SETTLE_SECONDS", 0.2)
    monkeypatch.setattr(runtime_rows, "SIMULATED_HISTORY", 30)
    figures = await runtime_rows.idle_rss(sqlite_archive)
    _sane(figures)
    steady, peak = figures
    assert steady.name == f"idle RSS of `run` (all roles), {SIZE}-message archive"
    assert steady.unit == peak.unit == "MB" and steady.budget == "≤ 150"
    assert 20 < steady.value <= peak.value < 4096
    assert any(note.startswith("before any role started: interpreter") for note in steady.notes)
    # The child's archiver caught the simulated chats up into the archive itself.
    async with require_archive(sqlite_archive).reader() as uow:
        count = select(func.count()).select_from(messages)
        assert (await uow.connection.execute(count)).scalar_one() == SIZE + 2 * 30


async def test_live_alert_row_times_every_matching_event_to_its_alert(
    archived: DialectRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_rows, "BURST_EVENTS", 400)
    monkeypatch.setattr(runtime_rows, "BASELINE_EVENTS", 50)
    figures = await runtime_rows.live_alert_latency(archived)
    _sane(figures)
    throughput, p50, p95, p99 = figures
    assert throughput.unit == "msg/s" and throughput.budget == "≥ 5,000"
    assert throughput.baseline is not None and throughput.baseline.count == 50
    assert p50.value <= p95.value <= p99.value and p99.budget == "≤ 1,000"
    assert p99.notes == ("4 matching events, each from its submit to the commit of the "
                         "transaction that stored it and enqueued its alert",)  # fmt: skip
    async with require_archive(archived).reader() as uow:
        queued = select(func.count()).select_from(alerts)
        # warm-up 1 + baseline 1 + burst 4: one alert each for the one recipient
        assert (await uow.connection.execute(queued)).scalar_one() == 6
        stored = select(func.count()).select_from(messages)
        assert (await uow.connection.execute(stored)).scalar_one() == SIZE + 1 + 50 + 400

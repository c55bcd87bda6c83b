"""Search rows: p50/p95 latency of every query class, newest first and by relevance.

The queries run through SearchService on the imported archive, with terms picked by counting
that archive. Each class is run once to warm the caches, then ``REPETITIONS`` times, taking
turns with its naive baseline so that load from elsewhere on the machine hits both alike. A
baseline can take seconds per run (bm25 or ts_rank over every match of a stop word), so it
stops after ``BASELINE_SECONDS`` once it has ``MIN_BASELINE_RUNS`` runs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from benchmarks.context import DialectRun
from benchmarks.figures import Baseline, Figure
from benchmarks.measure import percentile
from benchmarks.search_queries import PAGE, QueryClass, baseline_for, query_classes
from benchmarks.search_terms import pick_terms
from benchmarks.storage import require_archive
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.statistics import refresh_statistics
from core.domain.search import SearchPage
from services.search.postgres_text import index_language
from services.search.service import SearchService

REPETITIONS = 25
BASELINE_SECONDS = 3.0
MIN_BASELINE_RUNS = 3
BUDGETS = {
    ("sqlite", False): "≤ 50",
    ("sqlite", True): "≤ 150",
    ("postgresql", False): "≤ 100",
    ("postgresql", True): "≤ 100",
}


@dataclass(slots=True)
class Samples:
    """Seconds per run, and how many rows the first page held."""

    seconds: list[float] = field(default_factory=list)
    rows: int = 0

    def ms(self, share: float) -> float:
        return percentile(self.seconds, share) * 1000

    @property
    def spent(self) -> float:
        return sum(self.seconds)


@dataclass(slots=True)
class _Pass:
    """One class in one order: our query, and the baseline compared with it (if any)."""

    qc: QueryClass
    relevance: bool
    baseline: tuple[str, Select[Any]] | None
    ours: Samples = field(default_factory=Samples)
    theirs: Samples | None = None
    page: SearchPage | None = None


def search_config() -> ConfigManager:
    """Defaults, plus the one key the service cannot run without (it signs page cursors)."""
    config = ConfigManager(env_file=None, environ={"SECRET_KEY": secrets.token_urlsafe(32)})
    config.load()
    return config


async def search_latency(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    started = time.perf_counter()
    await refresh_statistics(db)  # what an import and the maintenance job leave behind
    run.bench.notes.append(
        f"{run.dialect}: planner statistics refreshed after the import in "
        f"{time.perf_counter() - started:.1f} s, before the search rows"
    )
    terms, scope = await pick_terms(db)
    service = SearchService(db, search_config())
    language = await _language(db)
    measured: dict[tuple[str, str], Samples] = {}  # ts_rank serves both orders: run it once
    figures = []
    for qc in query_classes(terms, scope):
        for relevance in (False, True):
            chosen = baseline_for(qc, run.dialect, relevance, language)
            work = _Pass(qc, relevance, chosen)
            if chosen is not None:
                work.theirs = measured.get((qc.name, chosen[0]))
            await _measure(db, service, work)
            if chosen is not None and work.theirs is not None:
                measured[(qc.name, chosen[0])] = work.theirs
            figures.append(_figure(run, work))
    return figures


async def _language(db: Database) -> str:
    if db.dialect != "postgresql":
        return "simple"
    async with db.reader() as uow:
        return await index_language(uow.connection) or "simple"


async def _measure(db: Database, service: SearchService, work: _Pass) -> None:
    query = work.qc.ordered(work.relevance)
    work.page = await service.search_messages(query, limit=PAGE)  # warms the caches
    fresh = work.baseline is not None and work.theirs is None
    if fresh:
        assert work.baseline is not None
        work.theirs = Samples(rows=await _rows(db, work.baseline[1]))
    for _ in range(REPETITIONS):
        work.ours.seconds.append(await _timed(service.search_messages(query, limit=PAGE)))
        if fresh and work.theirs is not None and _wants_more(work.theirs):
            assert work.baseline is not None
            work.theirs.seconds.append(await _timed(_rows(db, work.baseline[1])))


def _wants_more(samples: Samples) -> bool:
    runs = len(samples.seconds)
    return runs < MIN_BASELINE_RUNS or (runs < REPETITIONS and samples.spent < BASELINE_SECONDS)


async def _timed(work: Awaitable[object]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def _rows(db: Database, statement: Select[Any]) -> int:
    async with db.reader() as uow:
        return len((await uow.connection.execute(statement)).all())


def _figure(run: DialectRun, work: _Pass) -> Figure:
    assert work.page is not None
    page, ours, theirs = work.page, work.ours, work.theirs
    order = "relevance" if work.relevance else "newest first"
    total = f"{'~' if page.total_is_estimate else ''}{page.total:,}"
    notes = [
        f"query {work.qc.ordered(work.relevance)!r}: {work.qc.described}; {total} matches",
        f"p50 {ours.ms(0.5):.1f} ms over {len(ours.seconds)} runs, "
        f"first page {len(page.hits)} hits",
    ]
    baseline = None
    if work.baseline is not None and theirs is not None:
        baseline = Baseline(work.baseline[0], theirs.ms(0.95), len(theirs.seconds))
        notes.append(
            f"baseline p50 {theirs.ms(0.5):.1f} ms over {len(theirs.seconds)} runs, "
            f"first page {theirs.rows} rows"
        )
    if page.used_fallback:
        notes.append("served by a scan (fallback), not by an index")
    return Figure(
        f"search p95, {work.qc.name}, {order}",
        ours.ms(0.95),
        "ms",
        run.dialect,
        BUDGETS.get((run.dialect, work.relevance), "-"),
        baseline,
        higher_is_better=False,
        notes=tuple(notes),
    )

"""Runs every registered row on every reachable database and collects the figures."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.context import Bench, BenchConfig, DialectRun
from benchmarks.corpus import Corpus
from benchmarks.figures import Figure
from benchmarks.measure import lifetime_peak_rss
from benchmarks.rows import CORPUS_ROWS, DIALECT_ROWS
from benchmarks.targets import PostgresTarget, SqliteTarget, Target
from core.log_setup import get_logger

log = get_logger(__name__)


@dataclass(slots=True)
class RunResult:
    """Everything the report needs."""

    config: BenchConfig
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    server_versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # Other work on the machine skews every figure; the load shows how quiet the run was.
    load_average: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    lifetime_peak_rss: int = 0


async def run(config: BenchConfig) -> RunResult:
    started = time.perf_counter()
    bench = Bench(config=config, corpus=Corpus(config.size, config.seed))
    result = RunResult(config=config, notes=bench.notes)
    result.load_average["start"] = os.getloadavg()
    for row in CORPUS_ROWS:
        if not config.wants(row.__name__):
            continue
        log.info("bench_row_started", row=row.__name__)
        result.figures += await row(bench)
    with tempfile.TemporaryDirectory(prefix="tv-bench-") as directory:
        for dialect in config.dialects:
            async with _target(dialect, config, Path(directory), bench) as target:
                if target is not None:
                    await _run_dialect(DialectRun(bench=bench, target=target), result)
    result.seconds = time.perf_counter() - started
    result.load_average["end"] = os.getloadavg()
    result.lifetime_peak_rss = max(lifetime_peak_rss(), bench.peak_rss)
    return result


async def _run_dialect(run: DialectRun, result: RunResult) -> None:
    result.server_versions[run.dialect] = await run.target.server_version()
    for row in DIALECT_ROWS:
        if not run.bench.config.wants(row.__name__):
            continue
        log.info("bench_row_started", row=row.__name__, dialect=run.dialect)
        row_started = time.perf_counter()
        result.figures += await row(run)
        seconds = round(time.perf_counter() - row_started, 1)
        log.info("bench_row_finished", row=row.__name__, dialect=run.dialect, seconds=seconds)


@asynccontextmanager
async def _target(
    dialect: str, config: BenchConfig, directory: Path, bench: Bench
) -> AsyncIterator[Target | None]:
    """The dialect's database factory, or None (with a note) when its server is unreachable."""
    target: Target
    if dialect == "sqlite":
        target = SqliteTarget(directory)
    else:
        postgres = PostgresTarget(config.postgres_url)
        problem = await postgres.reachable()
        if problem is not None:
            bench.notes.append(f"PostgreSQL rows skipped: server unreachable ({problem})")
            log.warning("bench_postgres_unreachable", reason=problem)
            yield None
            return
        target = postgres
    try:
        yield target
    finally:
        await target.close()

"""Backtest rows: one rule over the whole imported archive, as an admin's "try this rule" does.

A keyword rule is prefiltered through the trigram index; a regex rule is a full scan. The
baseline reads every message from the database and runs Python ``re`` over it. Both take
turns ``RUNS`` times and the median run is reported.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from benchmarks.context import DialectRun
from benchmarks.figures import Baseline, Figure, rate
from benchmarks.storage import require_archive
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import messages
from core.domain.detection import RuleKind
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.detection.backtest import BacktestReport
from services.detection.service import DetectionService, RuleDraft

RUNS = 3
BATCH = 5000
BRUTE_FORCE = "Python re over every message read from the database"
KEYWORDS = ("bitcoin", "wallet", "teléfono")
RULES = (
    (
        "backtest, keyword rule (index-prefiltered)",
        RuleDraft("bench keywords", RuleKind.KEYWORDS, ", ".join(KEYWORDS)),
        r"\b(?:" + "|".join(KEYWORDS) + r")\b",
    ),
    (
        "backtest, regex rule (full scan)",
        RuleDraft("bench regex", RuleKind.REGEX, r"\b0x[0-9a-f]{40}\b"),
        r"\b0x[0-9a-f]{40}\b",
    ),
)


@dataclass(slots=True)
class _Runs:
    seconds: list[float] = field(default_factory=list)
    hits: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def detection_service(db: Database) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    return DetectionService(config, EnhancedLoggingSystem(), db=db)


async def detection_backtest(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    service = detection_service(db)
    async with db.reader() as uow:
        archived = int(
            (await uow.connection.execute(select(func.count(messages.c.id)))).scalar_one()
        )
    figures = []
    for name, draft, naive in RULES:
        ours, theirs = _Runs(), _Runs()
        report = BacktestReport()
        for _ in range(RUNS):
            report = await service.backtest(draft)
            ours.seconds.append(report.seconds)
            ours.hits = report.hits
            started = time.perf_counter()
            theirs.hits = await brute_force(db, re.compile(naive, re.IGNORECASE))
            theirs.seconds.append(time.perf_counter() - started)
        figures.append(_figure(run, name, archived, report, ours, theirs))
    return figures


async def brute_force(db: Database, pattern: re.Pattern[str]) -> int:
    """Messages whose text ``pattern`` finds, reading the archive in batches by id."""
    hits, last = 0, 0
    async with db.reader() as uow:
        while True:
            query = (
                select(messages.c.id, messages.c.text)
                .where(messages.c.id > last)
                .order_by(messages.c.id)
                .limit(BATCH)
            )
            rows = (await uow.connection.execute(query)).all()
            if not rows:
                return hits
            hits += sum(1 for row in rows if row[1] and pattern.search(row[1]))
            last = rows[-1][0]


def _figure(
    run: DialectRun, name: str, archived: int, report: BacktestReport, ours: _Runs, theirs: _Runs
) -> Figure:
    how = (
        f"prefiltered by the trigram index: {report.scanned:,} candidates checked"
        if report.prefiltered
        else f"full scan of {report.scanned:,} messages"
    )
    notes = [
        f"median of {RUNS} runs: {ours.median:.2f} s over {archived:,} archived messages; {how}",
        f"{ours.hits:,} hits; baseline {theirs.hits:,} hits in {theirs.median:.2f} s",
    ]
    if ours.hits != theirs.hits:
        notes.append("hit counts differ: the rule folds accents, the baseline's re does not")
    return Figure(
        name,
        rate(archived, ours.median),
        "msg/s",
        run.dialect,
        baseline=Baseline(BRUTE_FORCE, rate(archived, theirs.median), archived),
        notes=tuple(notes),
    )

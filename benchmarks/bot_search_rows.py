"""Bot row: ``/search`` answered end to end over the local Bot API server, p50 and p95.

Each sample is one admin update fed through the real aiogram Dispatcher (``feed_update``): the
search router, SearchService on the imported vault, the presenter, and the reply sent over
HTTP to the local Bot API server of the test suite, which records it. The queries are the
search rows' classes in both orders. The server lives in ``tests/fakes``, so the row needs a
source checkout; elsewhere it is skipped with a note.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.backfill_rows import quiet
from benchmarks.context import DialectRun
from benchmarks.figures import Figure
from benchmarks.measure import percentile
from benchmarks.search_queries import query_classes
from benchmarks.search_terms import pick_terms
from benchmarks.storage import require_archive

REPETITIONS = 5  # per query, after one warm-up run
PAGE_SIZE = "10"  # the bot's default page
BUDGET_P95 = "≤ 300"
# aiogram logs every handled update at INFO: thousands of lines would drown the output.
CHATTY_LOGGERS = ("aiogram", "bot", "services", "tests")
CHECKOUT_NEEDED = "bot row skipped: the local Bot API server (tests/fakes) is not importable"
SENT = "🔎"  # every answered search page starts with it


async def bot_search(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    try:  # aiogram and the fake server load here only: the other rows do not need them
        from tests.e2e.harness import bot_env
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("tests"):
            raise
        run.bench.notes.append(CHECKOUT_NEEDED)
        return []
    terms, scope = await pick_terms(db)
    classes = query_classes(terms, scope)
    queries = [qc.ordered(relevance) for qc in classes for relevance in (False, True)]
    with tempfile.TemporaryDirectory(prefix="tv-bot-") as directory, quiet(CHATTY_LOGGERS):
        async with bot_env(db, Path(directory), SEARCH_PAGE_SIZE=PAGE_SIZE) as env:
            seconds, failed = await _measure(env, queries)
    return _figures(run, seconds, failed, len(classes), len(queries))


async def _measure(env: Any, queries: list[str]) -> tuple[list[float], list[str]]:
    """Seconds per update, and the queries whose reply was not a results page."""
    seconds: list[float] = []
    failed: list[str] = []
    for query in queries:
        await env.send(f"/search {query}")  # warms the caches and the connection
        for _ in range(REPETITIONS):
            started = time.perf_counter()
            replies = await env.send(f"/search {query}")
            seconds.append(time.perf_counter() - started)
            if len(replies) != 1 or not (replies[0].text or "").startswith(SENT):
                failed.append(query)
    return seconds, sorted(set(failed))


def _figures(
    run: DialectRun, seconds: list[float], failed: list[str], classes: int, queries: int
) -> list[Figure]:
    notes = [
        f"{len(seconds):,} updates: {classes} query classes x 2 orders x {REPETITIONS} runs, "
        f"pages of {PAGE_SIZE}, on the {run.config.size:,}-message archive",
        "update fed through the real Dispatcher -> SearchService -> reply sent over HTTP to "
        "the local Bot API server",
        f"slowest {max(seconds) * 1000:.1f} ms" if seconds else "no samples",
    ]
    if failed:
        notes.append(f"UNEXPECTED: no results page for {failed}")
    figures = []
    for share, budget in ((0.5, "-"), (0.95, BUDGET_P95)):
        name = f"bot /search end to end p{int(share * 100)}"
        value = percentile(seconds, share) * 1000
        figures.append(
            Figure(name, value, "ms", run.dialect, budget, higher_is_better=False,
                   notes=tuple(notes))
        )  # fmt: skip
    return figures

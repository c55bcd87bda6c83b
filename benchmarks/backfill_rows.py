"""Backfill rows: one chat's history through BackfillService and real Telethon, into SQLite.

The Telegram side is the scripted fake from the test suite, so the row needs a source checkout
(``python -m benchmarks`` from the repository root); elsewhere it is skipped with a note. The
process is killed after half the pages and a new one finishes the job: no page may be fetched
twice. The fake builds and parses every page's TL too, so msg/s understates our side.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.backfill_bench import backfill_throughput
from benchmarks.context import Bench
from benchmarks.figures import Figure

MAX_MESSAGES = 20_000  # the fake holds the whole chat in memory and serves it slowly
# Their per-page info events would flood the benchmark's output.
CHATTY_LOGGERS = ("services", "tests", "telethon")
CHECKOUT_NEEDED = "backfill rows skipped: the scripted Telegram (tests/fakes) is not importable"


@contextmanager
def quiet(names: tuple[str, ...] = CHATTY_LOGGERS) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def backfill(bench: Bench) -> list[Figure]:
    count = min(bench.config.size, MAX_MESSAGES)
    try:
        with quiet():
            result = await backfill_throughput(count)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("tests"):
            raise
        bench.notes.append(CHECKOUT_NEEDED)
        return []
    restart = "killed after half the pages, finished by a new process"
    notes = (f"{count:,} messages in one chat, {result['seconds']:.1f} s; {restart}",)
    return [
        Figure("backfill through Telethon (scripted Telegram)", result["msg_per_s"], "msg/s",
               notes=(*notes, "includes the fake Telegram's own TL work")),
        Figure("backfill history requests per 100 messages", result["requests_per_100_messages"],
               "requests", budget="1", higher_is_better=False,
               notes=(f"{result['history_requests']:,.0f} requests; pages of 100",)),
        Figure("backfill pages re-fetched after a restart", result["pages_refetched"], "pages",
               budget="0", higher_is_better=False, notes=(restart,)),
        Figure("backfill messages not stored exactly once", result["messages_not_stored_once"],
               "messages", budget="0", higher_is_better=False),
    ]  # fmt: skip

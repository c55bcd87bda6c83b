"""Every row of the benchmark, in running order: a new row is one function added to a list.

Corpus rows take the run (``Bench``); dialect rows take a ``DialectRun`` and run once per
database. The bulk-import row comes first: it leaves the imported vault for the rows after it
(search, detection and bot rows will read ``run.archive``). The live row appends messages to
that vault: keep it last and add new rows before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from benchmarks.alert_rows import alert_delivery
from benchmarks.backfill_rows import backfill
from benchmarks.backtest_rows import detection_backtest
from benchmarks.bot_search_rows import bot_search
from benchmarks.context import Bench, DialectRun
from benchmarks.detection_rows import detection_throughput_rows, pathological_rule
from benchmarks.figures import Figure
from benchmarks.generation import corpus_generation
from benchmarks.import_rows import export_import
from benchmarks.live import live_path
from benchmarks.runtime_rows import idle_rss, live_alert_latency
from benchmarks.search_rows import search_latency
from benchmarks.storage import bulk_import, reimport

CorpusRow = Callable[[Bench], Awaitable[list[Figure]]]
DialectRow = Callable[[DialectRun], Awaitable[list[Figure]]]

CORPUS_ROWS: list[CorpusRow] = [
    corpus_generation,
    detection_throughput_rows,
    pathological_rule,
    backfill,
    alert_delivery,
]
DIALECT_ROWS: list[DialectRow] = [
    bulk_import,
    reimport,
    search_latency,
    bot_search,
    detection_backtest,
    export_import,
    idle_rss,
    live_alert_latency,
    live_path,
]

ROW_NAMES: tuple[str, ...] = tuple(row.__name__ for row in [*CORPUS_ROWS, *DIALECT_ROWS])
# Rows that read the vault bulk_import leaves behind; asking for one of them runs it too.
ARCHIVE_READERS = frozenset(
    {"reimport", "search_latency", "bot_search", "detection_backtest", "idle_rss",
     "live_alert_latency", "live_path"}
)  # fmt: skip
NEEDED_ROWS = frozenset({"corpus_generation", "bulk_import"})

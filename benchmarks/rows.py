"""Every row of the benchmark, in running order: a new row is one function added to a list.

Corpus rows take the run (``Bench``); dialect rows take a ``DialectRun`` and run once per
database. The bulk-import row comes first: it leaves the imported vault for the rows after it
(search, detection and bot rows will read ``run.archive``). The live row appends messages to
that vault: keep it last and add new rows before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from benchmarks.context import Bench, DialectRun
from benchmarks.figures import Figure
from benchmarks.generation import corpus_generation
from benchmarks.live import live_path
from benchmarks.storage import bulk_import, reimport

CorpusRow = Callable[[Bench], Awaitable[list[Figure]]]
DialectRow = Callable[[DialectRun], Awaitable[list[Figure]]]

CORPUS_ROWS: list[CorpusRow] = [corpus_generation]
DIALECT_ROWS: list[DialectRow] = [bulk_import, reimport, live_path]

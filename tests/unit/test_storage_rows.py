"""The bulk-import row's importer-sized transactions gather pages and write them together."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.context import Bench, BenchConfig, DialectRun
from benchmarks.corpus import Corpus
from benchmarks.storage import Gathered, bulk_import
from benchmarks.targets import SqliteTarget
from benchmarks.writes import Page
from core.domain.messages import IngestOutcome
from tests import factories as f


async def test_pages_are_written_once_enough_are_gathered_and_the_rest_on_flush() -> None:
    written: list[list[int]] = []

    async def write(page: Page) -> IngestOutcome:
        written.append([m.message_id for m in page])
        return IngestOutcome(unchanged=len(page))

    gathered = Gathered(write, size=4)
    taken = [await gathered.take([f.message(n), f.message(n + 1)]) for n in (1, 3, 5)]
    assert taken[0] is None and taken[1] is not None and taken[1].unchanged == 4
    assert written == [[1, 2, 3, 4]]
    last = await gathered.flush()
    assert last is not None and last.unchanged == 2 and written[-1] == [5, 6]
    assert await gathered.flush() is None


async def test_the_import_pipeline_is_timed_with_its_rules_scanning(tmp_path: Path) -> None:
    config = BenchConfig(size=600, baseline_size=100, dialects=("sqlite",))
    run = DialectRun(Bench(config, Corpus(600, config.seed)), SqliteTarget(tmp_path))
    try:
        figures = await bulk_import(run)
    finally:
        await run.target.close()
    [pipeline] = [f for f in figures if f.name.startswith("import pipeline")]
    assert pipeline.value > 0 and pipeline.budget == "≥ 20,000"
    hits = re.search(r"([\d,]+) hits", pipeline.notes[0])
    assert hits is not None and int(hits.group(1).replace(",", "")) > 0

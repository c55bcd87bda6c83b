"""Storage rows: bulk import (index in the transaction, in the Desktop importer's bigger
transactions, or load then rebuild) and re-import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from benchmarks import baselines
from benchmarks.context import DialectRun
from benchmarks.corpus import paginate
from benchmarks.figures import Figure, rate
from benchmarks.measure import PeakRss, SectionTimer
from benchmarks.writes import (
    Contender,
    HistoryIngest,
    Page,
    add_rules,
    race,
    rebuild_index,
    seed_entities,
    upserter,
)
from core.db.database import Database
from core.domain.messages import IngestOutcome
from services.detection.bench import synthetic_rules
from services.importer.service import IMPORT_PAGE_SIZE

MB = 1024 * 1024
IMPORT_BUDGET = {"sqlite": "≥ 20,000"}
PIPELINE_RULES = 1000  # the budget's import pipeline includes detection with 1,000 rules
NO_REBUILD_ON_POSTGRES = (
    "load then rebuild: not measured on PostgreSQL, whose search column and GIN indexes are "
    "maintained by the server (index=False changes nothing there)"
)


def trend_note(run: DialectRun, contender: Contender) -> tuple[str, ...]:
    """Rate over the first and the last tenth of the pages: does it hold as the vault grows?"""
    sections = contender.timer.sections
    tenth = len(sections) // 10
    if tenth < 2:
        return ()
    first = rate(tenth * run.config.page_size, sum(sections[:tenth]))
    last = rate(
        tenth * run.config.page_size, sum(sections[-tenth - 1 : -1])
    )  # last page may be short
    return (f"first tenth {first:,.0f} msg/s, last tenth {last:,.0f} msg/s",)


class Gathered:
    """Pages gathered into transactions of ``size`` messages, as the Desktop importer writes.

    Taking a page writes when enough are gathered; ``flush`` writes the rest at the end.
    """

    def __init__(self, write: Callable[[Page], Awaitable[IngestOutcome]], size: int) -> None:
        self._write = write
        self._size = size
        self._held: Page = []

    async def take(self, page: Page) -> IngestOutcome | None:
        self._held.extend(page)
        return await self.flush() if len(self._held) >= self._size else None

    async def flush(self) -> IngestOutcome | None:
        held, self._held = self._held, []
        return await self._write(held) if held else None


def paired_rate(ours: Contender, rival: Contender) -> float | None:
    """Our rate over exactly the pages the rival wrote (None when it wrote them all)."""
    if rival.messages >= ours.messages:
        return None
    return rate(rival.messages, ours.timer.total_of_first(len(rival.timer.sections)))


def paired_figure(
    run: DialectRun,
    name: str,
    ours: Contender,
    rival: Contender,
    notes: tuple[str, ...],
    budget: str = "-",
) -> Figure:
    """Our figure over the whole corpus; the ratio compares the pages both wrote."""
    compared = paired_rate(ours, rival)
    if compared is not None:
        notes += (
            f"over the {rival.messages:,} messages the baseline also wrote "
            f"(pages taken in turn): {compared:,.0f} msg/s",
        )
    return Figure(
        name=name,
        value=rate(ours.messages, ours.timer.total),
        unit="msg/s",
        dialect=run.dialect,
        budget=budget,
        baseline=rival.as_baseline(),
        compared_value=compared,
        notes=notes,
    )


async def bulk_import(run: DialectRun) -> list[Figure]:
    """The whole corpus in pages of 1,000, four ways taking turns page by page: the search
    index written in each page's transaction, the same in the importer's transactions of
    ``IMPORT_PAGE_SIZE``, the import pipeline (those transactions through IngestService with
    ``PIPELINE_RULES`` rules scanning in history mode), and (SQLite) load with ``index=False``
    then rebuild."""
    archive = await _fresh_vault(run, "archive")
    ours = Contender("in-transaction", upserter(archive, index=True))
    gathered_db = await _fresh_vault(run, "gathered")
    gathered = Gathered(upserter(gathered_db, index=True), IMPORT_PAGE_SIZE)
    pipeline_db = await _fresh_vault(run, "pipeline")
    await add_rules(pipeline_db, synthetic_rules(PIPELINE_RULES, run.config.seed))
    history = HistoryIngest(pipeline_db)
    piped = Gathered(history.write, IMPORT_PAGE_SIZE)
    runners = [ours, Contender("importer transactions", gathered.take)]
    runners.append(Contender("import pipeline", piped.take))
    rebuilt = await _fresh_vault(run, "rebuilt") if run.dialect == "sqlite" else None
    if rebuilt is not None:
        runners.append(Contender("load", upserter(rebuilt, index=False)))
    else:
        run.bench.notes.append(NO_REBUILD_ON_POSTGRES)
    rivals = await baselines.import_rivals(run)
    stream = run.corpus.messages()
    rebuild = SectionTimer()
    with PeakRss() as rss:
        pages = paginate(stream, run.config.size, run.config.page_size)
        await race(pages, runners, rivals, run.config.baseline_messages)
        await _finish(runners[1], gathered)
        await _finish(runners[2], piped)
        if rebuilt is not None:
            with rebuild:
                await rebuild_index(rebuilt)
    run.archive, run.continuation = archive, stream
    run.baselines.update({rival.name: rival.as_baseline() for rival in rivals})
    notes = (
        f"{ours.totals.inserted:,} inserted in {len(ours.timer.sections):,} pages, "
        f"{ours.timer.total:.1f} s",
        *trend_note(run, ours),
    )
    name = "bulk import, index in the same transaction"
    budget = IMPORT_BUDGET.get(run.dialect, "-")
    figures = [paired_figure(run, name, ours, rival, notes, budget) for rival in rivals]
    figures.append(_gathered_figure(run, ours, runners[1], rivals[0]))
    figures.append(_pipeline_figure(run, runners[1], runners[2], history.hits, rivals[0]))
    await gathered_db.dispose()
    await pipeline_db.dispose()
    size = await run.target.size_bytes(archive)
    if rebuilt is not None:
        load = runners[3]
        figures.append(await _rebuilt_figure(run, (ours, load), rebuilt, rebuild, rivals[0]))
        await rebuilt.dispose()
    for rival in rivals:  # their connections (and SQLite page caches) would skew later RSS
        if rival.db is not None:
            await rival.db.dispose()
    return figures + footprint(run, "bulk import", size, rss)


async def _finish(contender: Contender, gathered: Gathered) -> None:
    """The importer's last, partial transaction, timed as the contender's."""
    with contender.timer:
        outcome = await gathered.flush()
    if outcome is not None:
        contender.totals.add(outcome)


def _gathered_figure(
    run: DialectRun, ours: Contender, gathered: Contender, rival: Contender
) -> Figure:
    """The importer's transactions, against the same rival and against the pages of 1,000."""
    ratio = rate(gathered.messages, gathered.timer.total) / rate(ours.messages, ours.timer.total)
    notes = (
        f"{IMPORT_PAGE_SIZE:,} messages per transaction (ImportService's page): {ratio:.2f}× "
        f"the transactions of {run.config.page_size:,} (same pages, taken in turn)",
        f"{gathered.totals.inserted:,} inserted",
    )
    name = "bulk import, the Desktop importer's transactions"
    return paired_figure(run, name, gathered, rival, notes, IMPORT_BUDGET.get(run.dialect, "-"))


def _pipeline_figure(
    run: DialectRun, gathered: Contender, pipeline: Contender, hits: int, rival: Contender
) -> Figure:
    """The import pipeline with detection: what ``telegramvault import`` costs per message."""
    share = rate(pipeline.messages, pipeline.timer.total) / rate(
        gathered.messages, gathered.timer.total
    )
    notes = (
        f"IngestService, {IMPORT_PAGE_SIZE:,} messages per transaction, {PIPELINE_RULES:,} "
        f"synthetic rules scanning every message in history mode (hits stored, no alerts): "
        f"{hits:,} hits",
        f"{share:.2f}× the same transactions through upsert_batch alone, no scan (pages "
        "taken in turn)",
    )
    name = f"import pipeline with {PIPELINE_RULES:,}-rule detection, importer's transactions"
    return paired_figure(run, name, pipeline, rival, notes, IMPORT_BUDGET.get(run.dialect, "-"))


async def _fresh_vault(run: DialectRun, label: str) -> Database:
    db = await run.target.fresh(label)
    await seed_entities(db, run.corpus)
    return db


async def _rebuilt_figure(
    run: DialectRun,
    contenders: tuple[Contender, Contender],
    rebuilt: Database,
    rebuild: SectionTimer,
    rival: Contender,
) -> Figure:
    ours, load = contenders
    seconds = load.timer.total + rebuild.total
    value = rate(load.messages, seconds)
    # The rebuild cannot be split by page: the rival's pages are charged their share of it.
    share = rival.messages / max(load.messages, 1)
    own = load.timer.total_of_first(len(rival.timer.sections)) + rebuild.total * share
    compared = rate(rival.messages, own) if rival.messages < load.messages else None
    mismatches = await baselines.index_mismatches(run.archive, rebuilt) if run.archive else []
    notes = [
        f"load {rate(load.messages, load.timer.total):,.0f} msg/s, rebuild {rebuild.total:.1f} s",
        f"{value / rate(ours.messages, ours.timer.total):.2f}× the in-transaction import "
        "(same pages, taken in turn)",
        f"index differs from the in-transaction one: {mismatches}"
        if mismatches
        else "index identical to the in-transaction one on probe queries",
    ]
    if compared is not None:
        notes.append(
            f"over the baseline's {rival.messages:,} messages, with a proportional share of "
            f"the rebuild: {compared:,.0f} msg/s"
        )
    return Figure(
        name="bulk import, load then rebuild the index",
        value=value,
        unit="msg/s",
        dialect=run.dialect,
        budget=IMPORT_BUDGET.get(run.dialect, "-"),
        baseline=rival.as_baseline(),
        compared_value=compared,
        notes=tuple(notes),
    )


def footprint(run: DialectRun, phase: str, size: int | None, rss: PeakRss) -> list[Figure]:
    """Database size (when given) and the phase's peak RSS."""
    figures = []
    if size is not None:
        notes = [f"{size / max(run.config.size, 1):,.0f} bytes per message"]
        if run.bench.text_bytes:
            notes.append(f"{size / run.bench.text_bytes:.1f}× the raw UTF-8 text")
        figures.append(
            Figure(
                f"database size after {phase}",
                size / MB,
                "MB",
                run.dialect,
                higher_is_better=False,
                notes=tuple(notes),
            )
        )
    run.bench.peak_rss = max(run.bench.peak_rss, rss.peak_bytes)
    scope = "this phase" if rss.per_phase else "process lifetime (phase reset unavailable)"
    figures.append(
        Figure(
            f"peak RSS during {phase}",
            rss.peak_bytes / MB,
            "MB",
            run.dialect,
            higher_is_better=False,
            notes=(scope,),
        )
    )
    return figures


async def reimport(run: DialectRun) -> list[Figure]:
    """The same pages again into the imported vault: everything is unchanged."""
    db = require_archive(run)
    ours = Contender("ours", upserter(db, index=True))
    rival = baselines.get_or_create(db)
    with PeakRss() as rss:
        pages = run.corpus.pages(run.config.page_size)
        await race(pages, [ours], [rival], run.config.lookup_baseline_messages)
    totals = ours.totals
    written = totals.inserted + totals.edited
    notes = (f"{totals.unchanged:,} unchanged, {written} written", *trend_note(run, ours))
    if totals.unchanged != run.config.size:
        notes += ("UNEXPECTED: a re-import should find every message unchanged",)
    name = "re-import of the same pages (all unchanged)"
    return [paired_figure(run, name, ours, rival, notes), *footprint(run, "re-import", None, rss)]


def require_archive(run: DialectRun) -> Database:
    if run.archive is None:
        raise RuntimeError("the bulk import row must run before this row")
    return run.archive

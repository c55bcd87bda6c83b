"""SQLite's search indexes around bulk writes: segment merges deferred, then caught up in steps.

Every commit leaves a new segment in each FTS5 index, and FTS5 merges segments of about the same
size a little at a time as writes go on (``automerge``), and at once when too many pile up on one
level (``crisismerge``). Over an import of a million messages each indexed term is rewritten that
way once per level it climbs, four or five times; with merging deferred it is written once on
level 0 and once more by the merge steps after the import. Measured at 1M messages: writing the
two indexes alone took 20 CPU-seconds deferred plus ~8 merging afterwards, against 34 merged as
they went; in the whole import the writer thread's CPU went from ~73 to 64-72 seconds (two
paired runs on a noisy machine), and the gain grows with the import (one more level each time
the size is multiplied by four). Searches meanwhile visit more segments (a substring query
~25 ms instead of ~2 at 1M); the merge afterwards leaves fewer than before (one in a fresh
vault: ~0.6 ms).

The settings live in the index's own ``%_config`` table, so a process killed mid-import leaves
them deferred: ``restore_merging`` runs at start-up and in the maintenance job. PostgreSQL has
nothing to defer (its GIN indexes keep a pending list of their own): every call is a no-op there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy import text

from core.db.database import Database
from core.db.search_index import FTS_TABLES

log = structlog.get_logger(__name__)
# FTS5's own defaults: what a vault runs with outside bulk writes.
AUTOMERGE_DEFAULT = 4
CRISISMERGE_DEFAULT = 16
# Deferred, FTS5 still merges a level at once when it reaches this many segments (an import of
# ~2M messages writes that many to the trigram index); searches meanwhile stay bounded.
DEFERRED_CRISISMERGE = 1000
# Leaf pages written per merge step after an import (~8 MB, a fraction of a second): each step
# is its own write transaction, so live ingestion waits at most that long for the lock.
CATCH_UP_PAGES = 2000
MAX_MERGE_STEPS = 100_000  # a bound far above any vault's index (~100 GB of leaves)


async def set_merging(db: Database, *, automerge: int, crisismerge: int) -> None:
    """Store both merge settings in both indexes (one write transaction)."""
    if db.dialect != "sqlite":
        return
    async with db.unit_of_work() as uow:
        for table in FTS_TABLES:
            setting = text(f"INSERT INTO {table}({table}, rank) VALUES (:name, :value)")
            await uow.connection.execute(setting, {"name": "automerge", "value": automerge})
            await uow.connection.execute(setting, {"name": "crisismerge", "value": crisismerge})
        await uow.commit()


async def restore_merging(db: Database) -> None:
    """FTS5's default merge settings, whatever an earlier process left."""
    await set_merging(db, automerge=AUTOMERGE_DEFAULT, crisismerge=CRISISMERGE_DEFAULT)


async def merge_settings(db: Database, table: str) -> dict[str, int]:
    """The merge settings stored in ``table`` (an empty dict: FTS5's defaults)."""
    _check(table)
    if db.dialect != "sqlite":
        return {}
    async with db.reader() as uow:
        rows = await uow.connection.execute(
            text(f"SELECT k, v FROM {table}_config WHERE k IN ('automerge', 'crisismerge')")
        )
        return {str(k): int(v) for k, v in rows}


async def merge_segments(db: Database, table: str, *, pages: int, everything: bool) -> int:
    """Merge ``table``'s segments in steps of about ``pages`` leaf pages, each step its own
    transaction, until a step finds nothing to do; returns the steps that did work.

    ``everything``: until one b-tree is left (what ``optimize`` does in one go). Otherwise only
    levels holding ``usermerge`` (4) segments or more are merged, as automerge would have done:
    what bulk writes left on level 0, without rewriting the older, larger segments.
    FTS5 tells that a step did nothing by changing fewer than two rows.
    """
    _check(table)
    if db.dialect != "sqlite":
        return 0
    merge = text(f"INSERT INTO {table}({table}, rank) VALUES ('merge', :pages)")
    changes = text("SELECT total_changes()")
    for step in range(MAX_MERGE_STEPS):
        async with db.unit_of_work() as uow:
            before = (await uow.connection.execute(changes)).scalar_one()
            await uow.connection.execute(merge, {"pages": -pages if everything else pages})
            after = (await uow.connection.execute(changes)).scalar_one()
            await uow.commit()
        if after - before < 2:
            return step
    return MAX_MERGE_STEPS


@asynccontextmanager
async def deferred_merges(db: Database) -> AsyncIterator[None]:
    """Bulk writes inside: merges deferred; afterwards (also after a failure) the defaults are
    restored and what the writes left on level 0 is merged."""
    if db.dialect != "sqlite":
        yield
        return
    await set_merging(db, automerge=0, crisismerge=DEFERRED_CRISISMERGE)
    try:
        yield
    finally:
        await restore_merging(db)
        steps = {t: await merge_segments(db, t, pages=CATCH_UP_PAGES, everything=False)
                 for t in FTS_TABLES}  # fmt: skip
        log.debug("search_index_merged", steps=steps)


def _check(table: str) -> None:
    if table not in FTS_TABLES:
        raise ValueError(f"not a search index: {table}")

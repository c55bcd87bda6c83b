"""Database maintenance: search index merges, planner statistics, WAL and free pages, disk usage.

SQLite: the FTS5 indexes are merged into one b-tree (what ``optimize`` does) in bounded steps,
each its own short write transaction, so live ingestion never waits long for the write lock;
statistics are refreshed with a bounded ANALYZE and ``PRAGMA optimize``; VACUUM runs only when
many pages are free (it rewrites the whole file); the WAL is checkpointed and truncated last.
PostgreSQL: ``VACUUM (ANALYZE)`` of the tables that grow (outside a transaction, as it must be).
"""

from __future__ import annotations

from typing import Any

from core.db.database import Database
from core.db.index_merges import merge_segments, restore_merging
from core.db.search_index import FTS_TABLES
from core.db.statistics import POSTGRES_GROWING_TABLES, refresh_statistics
from services.jobs.context import JobContext
from services.jobs.disk import disk_usage, human_bytes
from services.jobs.models import JobOutcome

MERGE_PAGES = 500  # pages written per merge step (~2 MB): one short write transaction
VACUUM_FREE_RATIO = 0.25
VACUUM_MIN_FREE_PAGES = 256


async def maintain(context: JobContext) -> JobOutcome:
    db = context.db
    steps = await maintain_sqlite(db) if db.dialect == "sqlite" else await maintain_postgres(db)
    usage = await disk_usage(db, context.media_dir, context.log_file)
    data = {**steps, **usage}
    return JobOutcome(_summary(data), data)


def _summary(data: dict[str, Any]) -> str:
    parts = [
        f"database {human_bytes(data['database_bytes'])}",
        f"media {human_bytes(data['media_bytes'])} in {data['media_files']} file(s)",
        f"{human_bytes(data['disk_free_bytes'])} free",
    ]
    if data["log_bytes"] is not None:
        parts.append(f"logs {human_bytes(data['log_bytes'])}")
    if data.get("vacuumed"):
        parts.append("vacuumed")
    return ", ".join(parts)


# --- PostgreSQL ------------------------------------------------------------------------------


async def maintain_postgres(db: Database) -> dict[str, Any]:
    await refresh_statistics(db)
    return {"vacuumed_tables": list(POSTGRES_GROWING_TABLES)}


# --- SQLite ----------------------------------------------------------------------------------


async def maintain_sqlite(db: Database) -> dict[str, Any]:
    await restore_merging(db)  # in case an import was killed while it had merges deferred
    merges = {table: await merge_fts(db, table) for table in FTS_TABLES}
    await refresh_statistics(db)
    free_pages, pages = await _page_counts(db)
    ratio = free_pages / pages if pages else 0.0
    vacuum = free_pages >= VACUUM_MIN_FREE_PAGES and ratio >= VACUUM_FREE_RATIO
    if vacuum:
        await _outside_transaction(db, "VACUUM")
    busy, wal_pages, checkpointed = await _outside_transaction(
        db, "PRAGMA wal_checkpoint(TRUNCATE)"
    )
    return {
        "fts_merge_steps": merges,
        "free_ratio": round(ratio, 4),
        "vacuumed": vacuum,
        "checkpoint": {"busy": busy, "wal_pages": wal_pages, "checkpointed": checkpointed},
    }


async def merge_fts(db: Database, table: str) -> int:
    """Merge ``table``'s segments in steps until one b-tree is left; returns the steps that
    did work."""
    return await merge_segments(db, table, pages=MERGE_PAGES, everything=True)


async def _page_counts(db: Database) -> tuple[int, int]:
    async with db.reader() as uow:
        free = (await uow.connection.exec_driver_sql("PRAGMA freelist_count")).scalar_one()
        pages = (await uow.connection.exec_driver_sql("PRAGMA page_count")).scalar_one()
    return int(free), int(pages)


async def _outside_transaction(db: Database, sql: str) -> tuple[Any, ...]:
    """Run ``sql`` on the driver connection with no transaction open (VACUUM and a truncating
    checkpoint refuse to run inside one; the engine would otherwise BEGIN first)."""
    async with db.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        cursor = await driver.execute(sql)
        try:
            row = await cursor.fetchone()
        finally:
            await cursor.close()
    return tuple(row) if row is not None else ()

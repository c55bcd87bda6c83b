"""Planner statistics: refreshed after bulk writes so the first searches get good plans.

A vault that has just taken a large import has no statistics for its new rows until autovacuum
(PostgreSQL) or the maintenance job gets to it; the planner then guesses, and a guess can turn a
selective search into a scan. ``refresh_statistics`` is what the maintenance job runs, and what
an import runs when it is done.

SQLite: ANALYZE bounded to a sample per index (seconds, not minutes, at millions of rows), then
``PRAGMA optimize``. PostgreSQL: ``VACUUM (ANALYZE)`` of the tables bulk writes grow: statistics
from samples, and the visibility map that lets search walk its covering indexes without
visiting the table (migration 0008); neither blocks reads or writes.
"""

from __future__ import annotations

from core.db.database import Database

SQLITE_ANALYSIS_LIMIT = 1000  # rows ANALYZE samples per index: statistics without a full scan
POSTGRES_GROWING_TABLES = (
    "messages", "message_versions", "media", "detections", "alerts", "tasks", "users", "chats",
)  # fmt: skip


async def refresh_statistics(db: Database) -> None:
    if db.dialect == "postgresql":
        await _analyze_postgres(db)
    else:
        await _analyze_sqlite(db)


async def _analyze_postgres(db: Database) -> None:
    async with db.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM needs it
        await autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(POSTGRES_GROWING_TABLES)}")


async def _analyze_sqlite(db: Database) -> None:
    async with db.unit_of_work() as uow:
        conn = uow.connection
        await conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        await conn.exec_driver_sql("ANALYZE")
        await conn.exec_driver_sql("PRAGMA analysis_limit=0")
        await uow.commit()
    async with db.unit_of_work() as uow:
        await uow.connection.exec_driver_sql("PRAGMA optimize")
        await uow.commit()

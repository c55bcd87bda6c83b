"""Planner statistics are refreshed on both dialects (what the maintenance job and imports run)."""

from __future__ import annotations

from sqlalchemy import text

from core.db.database import Database
from core.db.statistics import refresh_statistics
from tests import factories as f


async def _store_messages(db: Database, count: int) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([f.chat()], f.at(0))
        await uow.messages.upsert_batch([f.message(n) for n in range(1, count + 1)])
        await uow.commit()


async def _messages_statistics(db: Database) -> int:
    """Rows the planner believes ``messages`` holds, per its statistics (0 when it has none)."""
    if db.dialect == "sqlite":
        sql = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'messages' AND idx IS NULL"
        fallback = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'messages' LIMIT 1"
        async with db.reader() as uow:
            tables = await uow.connection.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            if tables.scalar_one() == 0:
                return 0
            stat = (await uow.connection.execute(text(sql))).scalar()
            stat = stat or (await uow.connection.execute(text(fallback))).scalar()
        return int(str(stat).split()[0]) if stat else 0
    async with db.reader() as uow:
        sql = "SELECT n_live_tup, last_analyze FROM pg_stat_user_tables WHERE relname = 'messages'"
        row = (await uow.connection.execute(text(sql))).one()
        reltuples = await uow.connection.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'messages'")
        )
        return int(reltuples.scalar_one()) if row.last_analyze is not None else 0


async def test_statistics_describe_the_rows_written_before_the_refresh(db: Database) -> None:
    await _store_messages(db, 300)
    assert await _messages_statistics(db) == 0  # a fresh bulk write: the planner knows nothing

    await refresh_statistics(db)

    assert await _messages_statistics(db) == 300


async def test_refreshing_an_empty_vault_is_harmless(db: Database) -> None:
    await refresh_statistics(db)
    await refresh_statistics(db)
    assert await _messages_statistics(db) == 0

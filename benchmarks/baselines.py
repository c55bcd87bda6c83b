"""Naive ways of storing the same messages, raced page by page against the real storage layer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from benchmarks.context import DialectRun
from benchmarks.writes import Contender, Page, seed_entities, upserter
from core.db.database import Database
from core.db.repos.messages import message_row
from core.db.tables import messages
from core.text import fold

TRIGGER_SQL = (
    "CREATE TRIGGER bench_messages_index AFTER INSERT ON messages WHEN new.text <> '' BEGIN "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); "
    "INSERT INTO messages_trgm(rowid, text) VALUES (new.id, bench_fold(new.text)); END"
)
TRIGGERS = "FTS5 kept by triggers (same upsert, index=False)"
ORM_ADD_ALL = "ORM session.add_all (insert only, no index)"
GET_OR_CREATE = "ORM get-or-create, one SELECT per message"
# Words and substrings whose hit counts must agree between two indexes of the same corpus.
PROBES = (
    ("messages_fts", '"informacion"'),
    ("messages_fts", '"the"'),
    ("messages_fts", '"телефон"'),
    ("messages_trgm", '"gota"'),
    ("messages_trgm", '"比特币"'),
)


class _OrmBase(DeclarativeBase):
    pass


class OrmMessage(_OrmBase):
    """A throw-away ORM mapping over the real ``messages`` table, as a naive app would write."""

    __table__ = messages


async def import_rivals(run: DialectRun) -> list[Contender]:
    """Fresh databases for the import baselines: triggers (SQLite) and the ORM."""
    rivals = []
    if run.dialect == "sqlite":
        rivals.append(await _triggers(run))
    rivals.append(await _orm_add_all(run))
    return rivals


async def _orm_add_all(run: DialectRun) -> Contender:
    db = await run.target.fresh("orm")
    await seed_entities(db, run.corpus)

    async def write(page: Page) -> None:
        async with AsyncSession(db.engine) as session:
            session.add_all([OrmMessage(**message_row(m)) for m in page])
            await session.commit()

    return Contender(ORM_ADD_ALL, write, db)


async def _triggers(run: DialectRun) -> Contender:
    db = await run.target.fresh("triggers")
    event.listen(db.engine.sync_engine, "connect", _register_fold)
    await db.engine.dispose()  # pooled connections predate the function
    async with db.engine.begin() as conn:
        await conn.execute(text(TRIGGER_SQL))
    await seed_entities(db, run.corpus)
    return Contender(TRIGGERS, upserter(db, index=False), db)


def _register_fold(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("bench_fold", 1, fold, deterministic=True)


def get_or_create(db: Database) -> Contender:
    """Re-import the naive way: one SELECT per message, insert when missing."""

    async def write(page: Page) -> None:
        async with AsyncSession(db.engine) as session:
            for message in page:
                query = select(OrmMessage).where(
                    messages.c.chat_id == message.chat_id,
                    messages.c.message_id == message.message_id,
                )
                if await session.scalar(query) is None:
                    session.add(OrmMessage(**message_row(message)))
            await session.commit()

    return Contender(GET_OR_CREATE, write)


async def index_mismatches(first: Database, second: Database) -> list[str]:
    """Probes whose hit counts differ between two SQLite vaults holding the same corpus."""
    differing = []
    for table, probe in PROBES:
        sql = text(f"SELECT count(*) FROM {table} WHERE {table} MATCH :q")
        counts = []
        for db in (first, second):
            async with db.reader() as uow:
                counts.append((await uow.connection.execute(sql, {"q": probe})).scalar_one())
        if counts[0] != counts[1]:
            differing.append(f"{table} {probe}: {counts[0]} vs {counts[1]}")
    return differing

"""Picks the dialect's executor for a query: the one place that knows there are two."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from services.search import ranking
from services.search.filters_sql import Keyset, Window
from services.search.found import Found
from services.search.postgres_search import PostgresSearch
from services.search.postgres_text import PgDictionary, compile_postgres, stop_words
from services.search.resolve import ResolvedFilters
from services.search.sqlite_search import SqliteSearch
from services.search.sqlite_text import compile_sqlite
from services.search.text_plan import TextPlan


class Executor(Protocol):
    """Runs one query on one connection."""

    async def newest(self, window: Window, limit: int, *, count: bool = True) -> Found: ...

    async def scores(self, keys: Sequence[Keyset]) -> dict[int, float]: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """An executor, and whether only a scan can serve the text (with the reasons)."""

    executor: Executor
    scan_only: bool
    unserved: tuple[str, ...]


class _Sqlite:
    def __init__(
        self, conn: AsyncConnection, plan: TextPlan, filters: ResolvedFilters, *, indexes: bool
    ):
        self._conn = conn
        self._terms = plan.terms
        self.text = compile_sqlite(plan, use_indexes=indexes)
        self._search = SqliteSearch(conn, self.text, filters)

    async def newest(self, window: Window, limit: int, *, count: bool = True) -> Found:
        return await self._search.newest(window, limit, count=count)

    async def scores(self, keys: Sequence[Keyset]) -> dict[int, float]:
        return await ranking.sqlite_scores(self._conn, self.text, keys, self._terms)


class _Postgres:
    def __init__(
        self,
        conn: AsyncConnection,
        plan: TextPlan,
        filters: ResolvedFilters,
        dictionary: PgDictionary,
    ):
        self._conn = conn
        self._terms = plan.terms
        self.text = compile_postgres(plan, dictionary)
        self._search = PostgresSearch(conn, self.text, filters)

    async def newest(self, window: Window, limit: int, *, count: bool = True) -> Found:
        return await self._search.newest(window, limit, count=count)

    async def scores(self, keys: Sequence[Keyset]) -> dict[int, float]:
        return await ranking.postgres_scores(self._conn, self.text, keys, self._terms)


async def prepare(
    conn: AsyncConnection,
    dialect: str,
    plan: TextPlan,
    filters: ResolvedFilters,
    dictionary: PgDictionary | None,
    *,
    indexes: bool = True,
) -> Prepared:
    """The executor for ``dialect``; ``indexes=False`` matches every term by scanning."""
    if dialect == "sqlite":
        sqlite = _Sqlite(conn, plan, filters, indexes=indexes)
        return Prepared(sqlite, sqlite.text.scan_only, sqlite.text.unserved)
    if dictionary is None:
        raise ValueError("PostgreSQL search needs the text search dictionary")
    words = await stop_words(conn, dictionary.language, plan) if indexes else frozenset()
    tuned = PgDictionary(dictionary.language, words, full_text=indexes)
    postgres = _Postgres(conn, plan, filters, tuned)
    return Prepared(postgres, postgres.text.scan_only, postgres.text.unserved)

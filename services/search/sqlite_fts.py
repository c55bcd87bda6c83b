"""SQLite FTS5 statements: capped counts, match lists, and membership tests over a CTE.

Table names come from constants and MATCH expressions are bound parameters made only of
quoted strings (see ``sqlite_text``): nothing typed by a user reaches the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, column, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TextualSelect

from core.db.tables import messages
from core.text import fold
from services.search.sqlite_text import FtsMatch, IndexCheck


def register_fold(sync_conn: Connection) -> None:
    """Give the connection ``tv_fold`` (core.text.fold), once per pooled DBAPI connection."""
    pooled = sync_conn.connection
    if not pooled.info.get("tv_fold"):
        pooled.dbapi_connection.create_function(  # type: ignore[union-attr]
            "tv_fold", 1, fold, deterministic=True
        )
        pooled.info["tv_fold"] = True


@dataclass(frozen=True, slots=True)
class MatchCount:
    """How many rows match: exact below the cap, else estimated from the newest matches."""

    total: int
    exact: bool

    def __add__(self, other: MatchCount) -> MatchCount:
        return MatchCount(self.total + other.total, self.exact and other.exact)


class FtsStats:
    """Match counts and the rowid span, read once per query execution."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._counts: dict[tuple[FtsMatch, int], MatchCount] = {}
        self._range: tuple[int, int] | None = None

    async def count(self, match: FtsMatch, cap: int) -> MatchCount:
        """Counts the newest ``cap`` matches at most (a stop word has ~150k: ~10 ms; a phrase
        of two frequent words costs far more). Past the cap, the rowid range those newest
        matches cover gives their density, extrapolated over every rowid."""
        key = (match, cap)
        if key not in self._counts:
            sql = (
                f"SELECT count(*), min(rowid) FROM (SELECT rowid FROM {match.table} "
                f"WHERE {match.table} MATCH :q ORDER BY rowid DESC LIMIT :cap)"
            )
            params = {"q": match.expression, "cap": cap}
            seen, oldest = (await self._conn.execute(text(sql), params)).one()
            self._counts[key] = await self._estimate(int(seen), oldest, cap)
        return self._counts[key]

    async def _estimate(self, seen: int, oldest: int | None, cap: int) -> MatchCount:
        if seen < cap or oldest is None:
            return MatchCount(seen, True)
        low, high = await self.rowids()
        covered = max(high - oldest + 1, 1)
        return MatchCount(max(seen, round(seen * (high - low + 1) / covered)), False)

    async def check_count(self, check: IndexCheck, cap: int) -> MatchCount:
        total = MatchCount(0, True)
        for alternative in check.alternatives:
            total = total + await self.count(alternative, cap)
        return total

    async def span(self) -> int:
        """Rowids from the first to the last message (ids are dense enough to estimate by)."""
        low, high = await self.rowids()
        return max(high - low + 1, 1)

    async def rowids(self) -> tuple[int, int]:
        if self._range is None:
            # Two scalar subqueries: SQLite answers min() and max() from the index only
            # when each stands alone in its query (together they scan the table).
            low = select(func.min(messages.c.id)).scalar_subquery()
            high = select(func.max(messages.c.id)).scalar_subquery()
            row = (await self._conn.execute(select(low, high))).one()
            self._range = (int(row[0] or 0), int(row[1] or 0))
        return self._range


def matches_sql(check: IndexCheck, rowids: tuple[int, int] | None = None) -> TextualSelect:
    """Rowids (as ``id``) matching ``check``; only within ``rowids`` (low, high) when given."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if rowids is not None:
        params["low"], params["high"] = rowids
    for index, match in enumerate(check.alternatives):
        name = f"d{index}"
        sql = f"SELECT rowid AS id FROM {match.table} WHERE {match.table} MATCH :{name}"
        if rowids is not None:
            sql += " AND rowid BETWEEN :low AND :high"
        parts.append(sql)
        params[name] = match.expression
    return text(" UNION ".join(parts)).bindparams(**params).columns(column("id", Integer))


def member_sql(check: IndexCheck, prefix: str, source: str | None, probe: bool = False) -> Any:
    """Rowids matching ``check``; only among ``source``'s ids (a CTE name) when given.

    By default FTS5 decodes the doclist over the source's rowid range (~0.3 µs an entry with
    the membership test) and keeps those in the source: the unary ``+`` stops SQLite from
    using ``rowid IN`` as a lookup. ``probe`` drops the ``+``: FTS5 then re-runs the MATCH
    once per source row (~50-300 µs each), cheaper only for a few scattered rows.
    """
    parts: list[str] = []
    params: dict[str, Any] = {}
    membership = "rowid" if probe else "+rowid"
    for index, match in enumerate(check.alternatives):
        name = f"{prefix}_{index}"
        sql = f"SELECT rowid FROM {match.table} WHERE {match.table} MATCH :{name}"
        if source is not None:
            sql += (
                f" AND rowid BETWEEN (SELECT min(id) FROM {source})"
                f" AND (SELECT max(id) FROM {source}) AND {membership} IN (SELECT id FROM {source})"
            )
        parts.append(sql)
        params[name] = match.expression
    return text(" UNION ".join(parts)).bindparams(**params).columns(column("rowid", Integer))

"""PostgreSQL newest-first search that cannot fall into a full backward index walk.

Left alone, ``WHERE search_vector @@ q ORDER BY date DESC LIMIT n`` is planned either as a
backward walk of the date index (right for frequent terms) or as a GIN bitmap plus a sort
(right for rare ones). When the planner misjudges — two frequent words that never occur
together, a frequent word in a small chat — the walk reads the whole table (0.9 s at 1M
rows). So the search runs in bounded steps:

1. the newest ``RECENT_ROWS`` rows of the filtered set, then, if the hits seen there say a
   second window of at most ``WINDOW_MAX`` rows will fill the page, that window: each is a
   date range the planner cannot over-walk, and frequent terms end here;
2. everything older as a MATERIALIZED CTE (nothing inside for the planner to turn into a
   walk), sorted afterwards: rare terms end here, after a GIN lookup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages
from services.search.filters_sql import (
    Keyset,
    Window,
    older_than,
    row_conditions,
    walk_conditions,
)
from services.search.found import Found, WalkProgress, extrapolate
from services.search.postgres_text import PgText
from services.search.resolve import ResolvedFilters

m = messages.c
RECENT_ROWS = 4_000
WINDOW_MAX = 40_000
MIN_HITS_FOR_DENSITY = 5
WINDOW_ROW_COST = 3  # one row of a window costs about as much as this many GIN matches


class PostgresSearch:
    """One query's execution against one connection."""

    def __init__(self, conn: AsyncConnection, text_plan: PgText, filters: ResolvedFilters):
        self._conn = conn
        self._walk = walk_conditions(filters)
        self._start = filters.dates.start
        self._conditions = [*text_plan.conditions, *row_conditions(filters)]

    async def newest(self, window: Window, limit: int, *, count: bool = True) -> Found:
        """Up to ``limit + 1`` matches after ``window.after``, newest first, and the total."""
        scope = [*self._walk, *_window_conditions(window)]
        keys: list[Keyset] = []
        seen, rows, first = 0, RECENT_ROWS, None
        for _ in range(2):  # the recent window, then at most one estimated window
            bound = await self._bound(scope, rows)
            in_window = [*scope, *_not_older_than(bound)] if bound else scope
            found, hits = await self._matches(in_window, limit + 1 - len(keys), False)
            keys, seen = keys + found, seen + hits
            if bound is None:
                return Found(keys, seen)
            first = first or (keys[0].date if keys else None)
            if len(keys) > limit:  # every hit down to ``bound`` was counted
                progress = WalkProgress(first=first or bound.date, last=bound.date)
                total, estimate = await self._estimate(seen, progress, count)
                return Found(keys, total, estimate)
            scope = [*self._walk, *_window_conditions(window), *older_than(bound)]
            next_rows = _next_window(limit + 1 - len(keys), hits, rows)
            if next_rows is not None and not await self._window_beats_lookup(
                window, next_rows, hits, rows
            ):
                next_rows = None
            if next_rows is None:
                break
            rows = next_rows
        found, hits = await self._older(scope, limit + 1 - len(keys))
        return Found(keys + found, seen + hits)

    async def _older(
        self, scope: Sequence[ColumnElement[bool]], wanted: int
    ) -> tuple[list[Keyset], int]:
        """Step 2, meant as an index lookup. The planner can misjudge how selective a pattern
        is and pick a parallel sequential scan (seconds at 1M rows), so sequential scans are
        priced out for this one statement; they are still used when no index fits."""
        await self._conn.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            return await self._matches(scope, wanted, True)
        finally:
            await self._conn.execute(text("SET LOCAL enable_seqscan = on"))

    async def _window_beats_lookup(
        self, window: Window, next_rows: int, hits: int, rows: int
    ) -> bool:
        """Whether reading ``next_rows`` more rows costs less than the GIN lookup of every
        older match, guessed from the density seen (``hits`` in ``rows``) over the table.

        Each row of a window is found by a bound query and then its stored vector is checked
        (measured about three times the cost of one match of a GIN lookup), so a word found
        in a few hundred messages is looked up even when a window of 20,000 rows would hold
        the page: the window alone took 60 ms at 100k messages, the lookup 5 ms."""
        table_rows = window.max_id
        if table_rows is None:
            table_rows = (await self._conn.execute(select(func.max(m.id)))).scalar() or 0
        return window_cheaper(next_rows, hits, rows, table_rows)

    async def _bound(self, scope: Sequence[ColumnElement[bool]], rows: int) -> Keyset | None:
        """The oldest of the newest ``rows`` rows in ``scope``; None when there are fewer."""
        query = (
            select(m.date, m.id)
            .where(*scope)
            .order_by(m.date.desc(), m.id.desc())
            .offset(rows - 1)
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return Keyset(row.date, row.id) if row else None

    async def _matches(
        self, scope: Sequence[ColumnElement[bool]], wanted: int, materialized: bool
    ) -> tuple[list[Keyset], int]:
        """The newest ``wanted`` matches within ``scope`` and how many there are in it."""
        inner = select(m.id, m.date).where(*scope, *self._conditions)
        source: Any = (
            inner.cte("hits").prefix_with("MATERIALIZED") if materialized else inner.subquery()
        )
        total = func.count().over().label("total")
        query = (
            select(source.c.id, source.c.date, total)
            .order_by(source.c.date.desc(), source.c.id.desc())
            .limit(wanted)
        )
        rows = (await self._conn.execute(query)).all()
        return [Keyset(r.date, r.id) for r in rows], int(rows[0].total) if rows else 0

    async def _estimate(self, seen: int, progress: WalkProgress, count: bool) -> tuple[int, bool]:
        if not count:
            return seen, True
        oldest = self._start or (await self._conn.execute(select(func.min(m.date)))).scalar()
        return extrapolate(seen, progress, oldest, None)


def window_cheaper(next_rows: int, hits: int, rows: int, table_rows: int) -> bool:
    """Whether a window of ``next_rows`` rows costs less than a GIN lookup of the matches the
    table likely holds at the density seen (``hits`` in ``rows``)."""
    likely_matches = hits * table_rows / max(rows, 1)
    return next_rows * WINDOW_ROW_COST <= likely_matches


def _next_window(missing: int, hits: int, rows: int) -> int | None:
    """Rows likely to hold the ``missing`` hits at the density seen; None when the density
    is unknown (too few hits to tell) or the window would be large: a GIN lookup wins."""
    if hits < MIN_HITS_FOR_DENSITY:
        return None
    needed = math.ceil(1.5 * missing * rows / hits)
    return needed if needed <= WINDOW_MAX else None


def _window_conditions(window: Window) -> list[ColumnElement[bool]]:
    """``window_conditions``, with ``id <= max_id`` kept away from the primary key: it holds
    for nearly every row, yet without statistics the planner ANDs a bitmap of the whole key
    with the GIN lookup (a third of a lookup's time for a frequent word)."""
    conditions = older_than(window.after)
    if window.max_id is not None:
        conditions.append((m.id + 0) <= window.max_id)
    return conditions


def _not_older_than(bound: Keyset) -> list[ColumnElement[bool]]:
    return [m.date >= bound.date, or_(m.date > bound.date, and_(m.id >= bound.id))]

"""SQLite newest-first search in exact ``date DESC, id DESC`` order, fast at any term frequency.

FTS5 cannot order by date, and reading a match's row to learn its date costs ~4 µs, while
walking an index entry costs ~0.15 µs and counting a match ~45 ns. So, after a capped count:

- few matches: read them all and sort by date (cost grows with the matches);
- many matches: walk the messages newest first in batches through the date, chat or sender
  index, and ask FTS5 only about each batch's rowid range (cost grows with the page);
- many matches and a has: filter keeping few rows: read those rows through the media index,
  ask FTS5 about them, and sort (a rare kind with a common word may have a handful of hits in
  the whole archive, which the walk would have to visit to find).

The choice compares both costs. Ordering by rowid (arrival order) alone would be faster still,
but backfills and imports insert old messages after new ones, so "newest first" would show
those first; rowid ranges are only used to narrow what FTS5 decodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TextualSelect

from core.db.tables import messages
from services.search.filters_sql import (
    Keyset,
    Window,
    media_conditions,
    row_conditions,
    walk_conditions,
    window_conditions,
)
from services.search.found import Found, WalkProgress, extrapolate
from services.search.resolve import ResolvedFilters
from services.search.sqlite_fts import (
    FtsStats,
    MatchCount,
    matches_sql,
    member_sql,
    register_fold,
)
from services.search.sqlite_text import IndexCheck, SqliteText

m = messages.c
SORTED_MAX = 20_000
# A has: filter's media rows may be the candidates of a text search: read through the media
# index and tested against the text's doclist, which is decoded whole (~0.3 µs an entry); so
# both are bounded, to about 40 ms.
MEDIA_DRIVEN_MAX = 40_000
COMMON_TEXT = 100_000
MIN_COUNT_CAP = 1_000
FIRST_BATCH_MIN, BATCH_MAX = 64, 16_384
LOOKUP_COST = 25  # reading a row costs about as much as walking 25 index entries
PROBE_COST = 300  # one rowid probe costs about as much as decoding 300 doclist entries
# A batch of the walk is four statements; each costs ~0.7 ms beyond its SQL (compiling it and
# a round trip to the driver's thread), about as much as walking 5,000 index entries.
BATCH_STATEMENTS_COST = 4 * 5_000
NEWEST = (m.date.desc(), m.id.desc())


@dataclass(frozen=True, slots=True)
class _Bounds:
    """A batch of the walk: its size, rowid range, and first and last positions."""

    rows: int
    low: int
    high: int
    first: Keyset
    last: Keyset


class SqliteSearch:
    """One query's execution against one connection."""

    def __init__(self, conn: AsyncConnection, text_plan: SqliteText, filters: ResolvedFilters):
        self._conn = conn
        self._text = text_plan
        self._walk = walk_conditions(filters)
        self._media = media_conditions(filters)
        self._start = filters.dates.start
        self._rows = [*row_conditions(filters), *text_plan.conditions]
        self._stats = FtsStats(conn)
        self._negative = [text_plan.negative] if text_plan.negative is not None else []
        self._driver_count = MatchCount(0, True)

    async def newest(self, window: Window, limit: int, *, count: bool = True) -> Found:
        """Up to ``limit + 1`` matches after ``window.after``, newest first, and the total.

        ``count=False`` skips counting (later pages carry the first page's total).
        """
        await self._conn.run_sync(register_fold)
        if not self._text.positive:
            return await self._scan(window, limit, count)
        cap = await self._count_cap(limit)
        counts = [await self._stats.check_count(c, cap) for c in self._text.positive]
        driver_count = min(counts, key=lambda c: c.total)
        driver = self._text.positive[counts.index(driver_count)]
        self._driver_count = driver_count
        if driver_count.total == 0:
            return Found()
        if driver_count.exact and await self._sorting_is_cheaper(driver_count.total, limit):
            return await self._sorted(matches_sql(driver), driver, window, limit)
        if await self._media_drives(driver, driver_count, window):
            # A rare kind with a common word: the walk would visit most of the archive.
            return await self._sorted(self._media_rows(window), None, window, limit)
        return await self._walk_batches(driver, driver_count.total, window, limit, count)

    async def _media_drives(self, driver: IndexCheck, counted: MatchCount, window: Window) -> bool:
        """Whether the has: filter's media rows should be the candidates, each tested against
        the text index: when both they and the text's matches are few enough that reading all
        of them stays cheap. A rare kind with a common word can leave a handful of hits in the
        whole archive, and the walk would visit most of it to find them; a very common word
        is left to the walk, which then finds its hits early."""
        if not self._media:
            return False
        rows = self._media_rows(window).limit(MEDIA_DRIVEN_MAX + 1).subquery()
        media = (await self._conn.execute(select(func.count()).select_from(rows))).scalar_one()
        if int(media) > MEDIA_DRIVEN_MAX:
            return False
        if not counted.exact:
            counted = await self._stats.check_count(driver, COMMON_TEXT)
        return counted.exact and counted.total < COMMON_TEXT

    def _media_rows(self, window: Window) -> Select[tuple[int]]:
        """The ids the has: filter keeps, read through the media index."""
        return select(m.id).where(*self._media, *self._walk, *window_conditions(window))

    async def _count_cap(self, limit: int) -> int:
        """Counting beyond twice the break-even point of sorting only measures the term."""
        even = math.sqrt((limit + 1) * await self._stats.span() / LOOKUP_COST)
        return max(MIN_COUNT_CAP, min(SORTED_MAX, math.ceil(2 * even)))

    async def _sorting_is_cheaper(self, matches: int, limit: int) -> bool:
        return sorting_is_cheaper(matches, limit, await self._stats.span())

    async def _scan(self, window: Window, limit: int, count: bool) -> Found:
        """No index can drive: SQLite walks the filter indexes newest first, checking rows."""
        excluded = [m.id.not_in(member_sql(check, "n", None)) for check in self._negative]
        conditions = [*self._walk, *window_conditions(window), *self._rows, *excluded]
        query = select(m.id, m.date).where(*conditions).order_by(*NEWEST).limit(limit + 1)
        keys = [Keyset(r.date, r.id) for r in await self._conn.execute(query)]
        progress = WalkProgress(exhausted=len(keys) <= limit)
        for key in keys:
            progress.saw(key.date)
        total, estimate = await self._total(len(keys), progress, None, window, count)
        return Found(keys, total, estimate)

    async def _sorted(
        self,
        candidates: Select[tuple[int]] | TextualSelect,
        driver: IndexCheck | None,
        window: Window,
        limit: int,
    ) -> Found:
        """Few candidates (a select of ids: the ``driver``'s matches, or the media rows): take
        them all, keep those passing every condition, sort by date."""
        matched = candidates.cte("matched").prefix_with("MATERIALIZED")
        total = func.count().over().label("total")
        query = (
            select(m.id, m.date, total)
            .select_from(matched.join(messages, m.id == matched.c.id))
            .where(*self._walk, *window_conditions(window), *self._rows)
            .where(*self._memberships(matched, "matched", skip=driver))
            .order_by(*NEWEST)
            .limit(limit + 1)
        )
        rows = (await self._conn.execute(query)).all()
        return Found([Keyset(r.date, r.id) for r in rows], int(rows[0].total) if rows else 0)

    async def _walk_batches(
        self, driver: IndexCheck, smallest: int, window: Window, limit: int, count: bool
    ) -> Found:
        """Newest-first batches through the filter indexes; FTS5 says which rows match."""
        expected = 1.5 * (limit + 1) * await self._stats.span() / smallest
        size = max(FIRST_BATCH_MIN, min(BATCH_MAX, math.ceil(expected)))
        position, progress = window.after, WalkProgress()
        keys: list[Keyset] = []
        while len(keys) <= limit and not progress.exhausted:
            step = Window(position, window.max_id)
            bounds = await self._bounds(step, size)
            if bounds is None:
                progress.exhausted = True
                break
            wanted = limit + 1 - len(keys)
            hits = await self._batch_hits(driver, smallest, step, bounds, wanted)
            truncated = len(hits) >= wanted  # hits beyond these were not read
            progress.saw(bounds.first.date)
            progress.saw(hits[-1].date if truncated else bounds.last.date)
            progress.exhausted = bounds.rows < size and not truncated
            keys.extend(hits)
            position, size = bounds.last, min(size * 4, BATCH_MAX)
        # The driver's count bounds the total: the other conditions only remove matches.
        total, estimate = await self._total(len(keys), progress, smallest, window, count)
        return Found(keys[: limit + 1], total, estimate)

    async def _bounds(self, window: Window, size: int) -> _Bounds | None:
        """The next batch of the walk, read from the index alone (no row is fetched)."""
        scope = [*self._walk, *window_conditions(window)]
        batch = select(m.id).where(*scope).order_by(*NEWEST).limit(size).subquery()
        stats = select(func.count(), func.min(batch.c.id), func.max(batch.c.id))
        rows, low, high = (await self._conn.execute(stats)).one()
        if not rows:
            return None
        edge = select(m.id, m.date).where(*scope).order_by(*NEWEST).limit(1)
        first = (await self._conn.execute(edge)).one()
        last = (await self._conn.execute(edge.offset(rows - 1))).one()
        return _Bounds(rows, low, high, Keyset(first.date, first.id), Keyset(last.date, last.id))

    async def _batch_hits(
        self, driver: IndexCheck, smallest: int, window: Window, bounds: _Bounds, wanted: int
    ) -> list[Keyset]:
        mode = await self._batch_mode(smallest, bounds)
        scope = [*self._walk, *window_conditions(window), *_not_older_than(bounds.last)]
        if mode == "lookup":
            matched = matches_sql(driver, (bounds.low, bounds.high)).cte("matched")
            source, skip = matched.prefix_with("MATERIALIZED"), driver
        else:
            batch = select(m.id).where(*scope).order_by(*NEWEST).limit(bounds.rows)
            source, skip = batch.cte("matched").prefix_with("MATERIALIZED"), None
        query = (
            select(m.id, m.date)
            .select_from(source.join(messages, m.id == source.c.id))
            .where(*scope, *self._rows)
            .where(*self._memberships(source, "matched", skip=skip, probe=mode == "probe"))
            .order_by(*NEWEST)
            .limit(wanted)
        )
        return [Keyset(r.date, r.id) for r in await self._conn.execute(query)]

    async def _batch_mode(self, smallest: int, bounds: _Bounds) -> str:
        """``lookup``: read the driver's matches in the batch's rowid range and their rows;
        ``decode``: test the batch's rows against each doclist range; ``probe``: per rowid."""
        in_range = smallest * (bounds.high - bounds.low + 1) / await self._stats.span()
        if in_range <= bounds.rows:
            return "lookup"
        return "probe" if bounds.rows * PROBE_COST < in_range else "decode"

    def _memberships(
        self, source: Any, name: str, *, skip: IndexCheck | None, probe: bool = False
    ) -> list[ColumnElement[bool]]:
        """Every positive check (but ``skip``) and no negative one, among ``source``'s ids."""
        checks = [c for c in self._text.positive if c is not skip]
        conditions = [
            source.c.id.in_(member_sql(check, f"p{index}", name, probe))
            for index, check in enumerate(checks)
        ]
        conditions += [source.c.id.not_in(member_sql(c, "n", name, probe)) for c in self._negative]
        return conditions

    async def _total(
        self, found: int, progress: WalkProgress, ceiling: int | None, window: Window, count: bool
    ) -> tuple[int, bool]:
        if progress.exhausted or not count:
            return found, not progress.exhausted
        counted = await self._index_count(window)
        if counted is not None:
            return counted.total, not counted.exact
        oldest = self._start or (await self._conn.execute(select(func.min(m.date)))).scalar()
        return extrapolate(found, progress, oldest, ceiling)

    async def _index_count(self, window: Window) -> MatchCount | None:
        """A count the indexes answer alone: one FTS5 MATCH (exact, or estimated from the
        density of its newest matches), or index filters only."""
        positive = self._text.positive
        single = len(positive) == 1 and len(positive[0].alternatives) == 1
        plain = not self._negative and not self._rows and window.after is None
        if single and plain and not self._walk:
            return self._driver_count
        if not positive and plain:
            query = select(func.count()).select_from(messages).where(*self._walk)
            return MatchCount(int((await self._conn.execute(query)).scalar_one()), True)
        return None


def sorting_is_cheaper(matches: int, limit: int, span: float) -> bool:
    """Sorting reads every match; walking reads index entries (``span`` rows hold the
    ``matches``) until the page of ``limit + 1`` is full, in batches of a few statements."""
    if matches > SORTED_MAX:
        return False
    walked = (limit + 1) * span / matches
    walk = (
        walked + 1.5 * (limit + 1) * LOOKUP_COST + _batches_to_walk(walked) * BATCH_STATEMENTS_COST
    )
    return matches * LOOKUP_COST <= walk


def _batches_to_walk(rows: float) -> int:
    """Batches of the walk over ``rows`` index entries: they grow fourfold up to the maximum."""
    batches, size, walked = 1, FIRST_BATCH_MIN, float(FIRST_BATCH_MIN)
    while walked < rows:
        size = min(size * 4, BATCH_MAX)
        walked += size
        batches += 1
    return batches


def _not_older_than(bound: Keyset) -> list[ColumnElement[bool]]:
    return [m.date >= bound.date, or_(m.date > bound.date, and_(m.id >= bound.id))]

"""Builds a SearchPage from an executor: newest first, or ranked by relevance, with cursors."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages
from core.domain.search import SearchPage
from services.search.backends import Executor
from services.search.cursor import CursorCodec, CursorState
from services.search.filters_sql import Keyset, Window
from services.search.found import Found
from services.search.hits import load_hits
from services.search.ranking import by_score
from services.search.syntax import ParsedQuery
from services.search.text_plan import TextPlan


@dataclass(slots=True)
class PageRequest:
    """One page to build: the query, where the previous page ended, and what to tell the user."""

    parsed: ParsedQuery
    plan: TextPlan
    state: CursorState | None
    size: int
    cursors: CursorCodec
    notes: list[str] = field(default_factory=list)
    used_fallback: bool = False

    def total(self, found: Found) -> tuple[int, bool]:
        """Later pages repeat the first page's total, so it stays one number while paging."""
        if self.state is not None:
            return self.state.total, self.state.total_is_estimate
        return found.total, found.total_is_estimate


async def newest_page(
    conn: AsyncConnection, request: PageRequest, executor: Executor
) -> SearchPage:
    """The next ``size`` matches after the cursor, newest first."""
    after = request.state.after if request.state else None
    found = await executor.newest(Window(after), request.size, count=request.state is None)
    keys = found.keys[: request.size]
    total = request.total(found)
    following = None
    if len(found.keys) > request.size:
        following = CursorState(*total, after=keys[-1])
    return await _assemble(conn, request, keys, total, "date", following)


async def relevance_page(
    conn: AsyncConnection, request: PageRequest, executor: Executor, candidates: int
) -> SearchPage:
    """Ranks the newest ``candidates`` matches; the set is fixed at page one (by max id), so
    later pages of the same ranking neither repeat nor skip when messages arrive."""
    state = request.state
    max_id = state.max_id if state else await _max_id(conn)
    found = await executor.newest(Window(max_id=max_id), candidates - 1, count=state is None)
    pool = found.keys[:candidates]
    ranked = by_score(pool, await executor.scores(pool))
    offset = state.offset if state else 0
    total = request.total(found)
    if total[0] > len(pool):
        request.notes.append(f"ranked by relevance among the newest {len(pool):,} matches")
    following = None
    if offset + request.size < len(ranked):
        following = CursorState(*total, offset=offset + request.size, max_id=max_id)
    keys = ranked[offset : offset + request.size]
    return await _assemble(conn, request, keys, total, "relevance", following)


async def _max_id(conn: AsyncConnection) -> int | None:
    value = (await conn.execute(select(func.max(messages.c.id)))).scalar()
    return None if value is None else int(value)


async def _assemble(
    conn: AsyncConnection,
    request: PageRequest,
    keys: list[Keyset],
    total: tuple[int, bool],
    sort: str,
    following: CursorState | None,
) -> SearchPage:
    fingerprint = request.parsed.fingerprint()
    cursor = request.cursors.encode(following, fingerprint) if following else None
    hits = await load_hits(conn, [key.id for key in keys], request.plan.terms)
    return SearchPage(
        hits=tuple(hits),
        next_cursor=cursor,
        total=total[0],
        total_is_estimate=total[1],
        sort=sort,
        used_fallback=request.used_fallback,
        notes=tuple(request.notes),
    )

"""SearchService: messages by the query language, and people by name, username or bio."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.search_index import LANGUAGE_PATTERN
from core.domain.search import PersonHit, PersonProfile, SearchPage
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError
from services.search import people, person
from services.search.backends import prepare
from services.search.cursor import CursorCodec
from services.search.events import SearchEvents
from services.search.pages import PageRequest, newest_page, relevance_page
from services.search.parser import parse
from services.search.postgres_text import PgDictionary, index_language
from services.search.resolve import resolve
from services.search.text_plan import plan_text

MAX_PAGE_SIZE = 100
OPERATION = "search_messages"
SCAN_NOTE = "full-text search could not serve this query: results come from a slower scan"


class _EngineFailedError(Exception):
    """The full-text engine raised while serving a query (not while resolving filters)."""

    def __init__(self, error: DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


class SearchService:
    """Finds archived messages (the engine behind /search and ``telegramvault search``).

    Settings: SEARCH_FTS_LANGUAGE, SEARCH_FALLBACK_TO_ILIKE, SEARCH_LOG_FAILURES,
    SEARCH_PAGE_SIZE, SEARCH_RELEVANCE_CANDIDATES (and SECRET_KEY, which signs cursors).
    """

    def __init__(
        self, db: Database, config: ConfigManager, logger: EnhancedLoggingSystem | None = None
    ) -> None:
        self._db = db
        language = (config.get("SEARCH_FTS_LANGUAGE") or "simple").strip().lower()
        self.fts_language = language if LANGUAGE_PATTERN.match(language) else "simple"
        self.fallback_enabled = config.get_bool("SEARCH_FALLBACK_TO_ILIKE")
        self.log_failures = config.get_bool("SEARCH_LOG_FAILURES")
        self.page_size = config.get_int("SEARCH_PAGE_SIZE")
        self.relevance_candidates = max(config.get_int("SEARCH_RELEVANCE_CANDIDATES"), 1)
        self._cursors = CursorCodec(config.get("SECRET_KEY") or "")
        self._events = SearchEvents(logger, log_failures=self.log_failures)
        self._dictionary: PgDictionary | None = None

    async def search_messages(
        self, query: str, *, cursor: str | None = None, limit: int | None = None
    ) -> SearchPage:
        """One page of messages matching ``query``; pass ``next_cursor`` back for the next.

        Raises InvalidInputError with a user-facing reason for queries that cannot be served.
        """
        size = self._page_size(limit)
        parsed = parse(query)
        state = self._cursors.decode(cursor, parsed.fingerprint()) if cursor else None
        request = PageRequest(parsed, plan_text(parsed), state, size, self._cursors)
        try:
            page = await self._search(query, request, indexes=True)
        except _EngineFailedError as failure:
            reason = f"the full-text engine failed ({type(failure.error.orig).__name__})"
            await self._allow_fallback(query, reason)
            page = await self._search(query, request, indexes=False)
        await self._events.completed(OPERATION, hits=len(page.hits), total=page.total)
        return page

    async def search_all(
        self, query: str, *, cursor: str | None = None, limit: int | None = None
    ) -> SearchPage:
        """The seed's name for :meth:`search_messages`."""
        return await self.search_messages(query, cursor=cursor, limit=limit)

    async def search_people(self, query: str, limit: int = 20) -> list[PersonHit]:
        """People and bots by name, username or bio, including earlier names and usernames."""
        async with self._db.reader() as uow:
            return await people.search_people(uow.connection, query, limit)

    async def person(self, ref: str) -> PersonProfile:
        """One person by ``@username`` (current, else the last one who had it) or user id,
        with their change history; NotFoundError / InvalidInputError with the reason."""
        async with self._db.reader() as uow:
            return await person.find_person(uow.connection, ref)

    def _page_size(self, limit: int | None) -> int:
        size = self.page_size if limit is None else limit
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidInputError(f"a page holds 1 to {MAX_PAGE_SIZE} results, not {size}")
        return size

    async def _search(self, raw: str, base: PageRequest, *, indexes: bool) -> SearchPage:
        async with self._db.reader() as uow:
            conn = uow.connection
            request = PageRequest(base.parsed, base.plan, base.state, base.size, base.cursors)
            request.notes = list(base.parsed.notes)
            filters = await resolve(conn, base.parsed.filters, request.notes)
            if filters.impossible:
                return SearchPage((), None, 0, False, base.parsed.sort, notes=tuple(request.notes))
            dictionary = await self._pg_dictionary(conn)
            prepared = await prepare(
                conn, self._db.dialect, base.plan, filters, dictionary, indexes=indexes
            )
            if prepared.scan_only:
                await self._allow_fallback(raw, "; ".join(prepared.unserved))
            request.used_fallback = prepared.scan_only or not indexes
            if request.used_fallback:
                request.notes.append(SCAN_NOTE)
            try:
                if base.parsed.sort == "relevance":
                    candidates = self.relevance_candidates
                    return await relevance_page(conn, request, prepared.executor, candidates)
                return await newest_page(conn, request, prepared.executor)
            except DBAPIError as error:
                if error.connection_invalidated or not indexes:
                    raise
                raise _EngineFailedError(error) from error

    async def _allow_fallback(self, raw: str, reason: str) -> None:
        if not self.fallback_enabled:
            await self._events.refused(OPERATION, raw, reason)
            raise InvalidInputError(f"this query cannot be searched: {reason}")
        await self._events.fallback(OPERATION, raw, reason)

    async def _pg_dictionary(self, conn: AsyncConnection) -> PgDictionary | None:
        """PostgreSQL only, learned once: the configuration search_vector was built with."""
        if self._db.dialect == "sqlite":
            return None
        if self._dictionary is None:
            indexed = await index_language(conn)
            if indexed and indexed != self.fts_language:
                # search_vector was built with the migration's language; queries must match it.
                await self._events.language_mismatch(OPERATION, self.fts_language, indexed)
            language = indexed or self.fts_language
            self._dictionary = PgDictionary(language)
        return self._dictionary

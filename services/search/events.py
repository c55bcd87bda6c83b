"""Search log events, through the EnhancedLoggingSystem when one is given, else structlog."""

from __future__ import annotations

from typing import Any

from core.enhanced_logging_system import EnhancedLoggingSystem, get_logger

SERVICE = "SearchService"
QUERY_LOG_CHARS = 200


class SearchEvents:
    """The few things a search reports: completion, fallbacks, refusals."""

    def __init__(self, logger: EnhancedLoggingSystem | None, *, log_failures: bool) -> None:
        self._logger = logger
        self._log = get_logger("services.search")
        self._log_failures = log_failures

    async def fallback(self, operation: str, query: str, reason: str) -> None:
        """Full-text search could not serve ``query``; a pattern scan will."""
        if self._log_failures:
            await self._warning(
                operation, "search_fallback_scan", query=_short(query), reason=reason
            )

    async def refused(self, operation: str, query: str, reason: str) -> None:
        """Full-text search could not serve ``query`` and the fallback is disabled."""
        if self._log_failures:
            await self._warning(operation, "search_not_served", query=_short(query), reason=reason)

    async def language_mismatch(self, operation: str, configured: str, indexed: str) -> None:
        """SEARCH_FTS_LANGUAGE differs from the one the index was built with; the index wins."""
        await self._warning(
            operation, "search_language_mismatch", configured=configured, indexed=indexed
        )

    async def completed(self, operation: str, **details: Any) -> None:
        if self._logger is not None and self._logger.initialized:
            await self._logger.log_debug(SERVICE, operation, "search_completed", details=details)
        else:
            self._log.debug("search_completed", operation=operation, **details)

    async def _warning(self, operation: str, event: str, **details: Any) -> None:
        if self._logger is not None and self._logger.initialized:
            await self._logger.log_warning(SERVICE, operation, event, details=details)
        else:
            self._log.warning(event, service=SERVICE, operation=operation, **details)


def _short(query: str) -> str:
    return query if len(query) <= QUERY_LOG_CHARS else query[:QUERY_LOG_CHARS] + "…"

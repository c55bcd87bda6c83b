"""SEARCH_FALLBACK_TO_ILIKE and SEARCH_LOG_FAILURES: scans when full-text search cannot serve."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import func, literal
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.expression import type_coerce

from core.db import migrate
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError
from services.search import SearchService, postgres_text, sqlite_text
from services.search.terms import MatchKind, PlannedTerm
from tests.integration.test_search_corpus import archive, ids_of, service

LOG_SETTINGS = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json", "LOG_FILE": ""}


async def _logged(settings: dict[str, str], db: Database) -> tuple[SearchService, io.StringIO]:
    """A service whose EnhancedLoggingSystem writes JSON lines to a buffer."""
    from core.config_manager import ConfigManager

    stream = io.StringIO()
    config = ConfigManager(env_file=None, environ={**LOG_SETTINGS, **settings})
    config.load()
    logger = EnhancedLoggingSystem(config, stream=stream)
    await logger.initialize()
    return SearchService(db, config, logger), stream


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


@pytest.fixture
async def logging_cleanup() -> Any:
    yield
    await EnhancedLoggingSystem().shutdown()


async def test_a_query_no_index_can_serve_falls_back_to_a_scan(
    db: Database, logging_cleanup: None
) -> None:
    await archive(db)
    search, stream = await _logged({}, db)
    page = await search.search_messages("北京")
    assert [hit.message_id for hit in page.hits] == [12]
    assert page.used_fallback
    assert any("slower scan" in note for note in page.notes)
    (event,) = [e for e in _events(stream) if e["event"] == "search_fallback_scan"]
    assert "shorter than 3 characters" in event["details"]["reason"]
    assert event["details"]["query"] == "北京"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("北京 in:@vault_news", {12}), ("北京 -in:@vault_news", set()), ("北京 OR 🙂", {12, 17})],
)
async def test_the_scan_honours_the_same_filters(
    db: Database, query: str, expected: set[int]
) -> None:
    await archive(db)
    assert set(await ids_of(service(db), query)) == expected


async def test_without_the_fallback_the_reason_is_given(
    db: Database, logging_cleanup: None
) -> None:
    await archive(db)
    search, stream = await _logged({"SEARCH_FALLBACK_TO_ILIKE": "false"}, db)
    with pytest.raises(InvalidInputError, match="shorter than 3 characters"):
        await search.search_messages("北京")
    assert [e["event"] for e in _events(stream) if e["event"].startswith("search_")] == [
        "search_not_served"
    ]


async def test_failures_are_not_logged_when_told_not_to(
    db: Database, logging_cleanup: None
) -> None:
    await archive(db)
    search, stream = await _logged({"SEARCH_LOG_FAILURES": "false"}, db)
    assert [hit.message_id for hit in (await search.search_messages("北京")).hits] == [12]
    assert not [e for e in _events(stream) if e["event"].startswith("search_fallback")]


async def test_an_indexed_term_drives_and_a_short_one_only_filters(db: Database) -> None:
    await archive(db)
    search = service(db, SEARCH_FALLBACK_TO_ILIKE="false")
    page = await search.search_messages("我们明天 北京")
    assert [hit.message_id for hit in page.hits] == [12]
    assert not page.used_fallback


@pytest.fixture
def broken_full_text(monkeypatch: pytest.MonkeyPatch, dialect: str) -> None:
    """Make the full-text engine reject every query, as a corrupt index or a bug would."""
    if dialect == "sqlite":
        monkeypatch.setattr(sqlite_text, "fts5_string", lambda value, prefix=False: '"broken')
        return
    original = postgres_text._Compiler.tsquery

    def broken(self: Any, term: PlannedTerm) -> Any:
        if term.kind is MatchKind.SUBSTRING or not self.indexed(term):
            return original(self, term)
        return type_coerce(func.to_tsquery(literal("simple"), literal("(((")), TSQUERY)

    monkeypatch.setattr(postgres_text._Compiler, "tsquery", broken)


async def test_an_engine_error_falls_back_with_the_same_results(
    db: Database, broken_full_text: None, logging_cleanup: None
) -> None:
    await archive(db)
    search, stream = await _logged({}, db)
    page = await search.search_messages("harbour -station")
    assert sorted(hit.message_id for hit in page.hits) == [18, 24]
    assert page.used_fallback
    (event,) = [e for e in _events(stream) if e["event"] == "search_fallback_scan"]
    assert "full-text engine failed" in event["details"]["reason"]


async def test_an_engine_error_without_fallback_is_an_invalid_query(
    db: Database, broken_full_text: None
) -> None:
    await archive(db)
    with pytest.raises(InvalidInputError, match="full-text engine failed"):
        await service(db, SEARCH_FALLBACK_TO_ILIKE="false").search_messages("harbour")


@pytest.fixture
async def english_vault(postgres_databases: Any) -> Any:
    """A PostgreSQL vault whose search_vector was built with the english configuration."""
    database = Database.from_url(postgres_databases.new())
    await migrate.upgrade(database.engine, fts_language="english")
    try:
        yield database
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_a_stemming_vault_stems_and_scans_its_stop_words(
    english_vault: Database, logging_cleanup: None
) -> None:
    await archive(english_vault)
    search, stream = await _logged({"SEARCH_FTS_LANGUAGE": "simple"}, english_vault)
    assert set(await ids_of(search, "forward")) == {20}  # "forwarded" stems to "forward"
    page = await search.search_messages("the")  # a stop word: english drops it
    assert {hit.message_id for hit in page.hits} == {18, 19, 20}
    assert page.used_fallback
    events = [e["event"] for e in _events(stream) if e["event"].startswith("search_")]
    assert events[:2] == ["search_language_mismatch", "search_fallback_scan"]
    assert (await search.search_messages("the harbour")).used_fallback is False

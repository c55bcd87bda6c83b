"""Any input is safe: results or a clear InvalidInputError, never a crash or a database error."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db.database import Database
from core.db.tables import messages
from core.domain.search import SearchPage
from core.errors import InvalidInputError
from services.search import SearchService
from tests.integration.test_search_corpus import ROWS, archive, service, strategy

__all__ = ["strategy"]

HOSTILE = [
    '"', '""', '"unbalanced', 'unbalanced"', '"a" "b', '*', '**', '***harbour', 'harb*our',
    "^", "^harbour", "NEAR(", "NEAR(harbour station)", "NEAR", ":", "::", "a:b", ":harbour",
    "harbour:", "AND", "OR", "NOT", "harbour AND", "OR harbour", "harbour OR OR station",
    "harbour NOT station", "(", ")", "(harbour OR station)", "((((", "'", "''",
    "'; DROP TABLE messages; --", '" OR 1=1 --', "Robert'); DROP TABLE messages;--",
    "%", "_", "%_%", "\\", "\\\\", "harbour\\", "\x00", "harbour\x00station", "\ud800",
    "\u200b", "-", "--", "-harbour", "- harbour", '-"harbour"', "from:", "from:@", "in:",
    'in:"', "before:", "on:2024-13-01", "after:2024-02-30", "has:", "is:", "sort:",
    "form:bob", "x" * 10_240, "word " * 2_000, "$1", ":1", "?", "@@", "&&", "||", "!!", "<->",
    "'the':*", "harbour:*", "*:*", "\t\n", "   ", "", "🙂" * 100, "ﷺ", "𝕳𝖊𝖑𝖑𝖔", "İstanbul",
    "ß", "e\u0301", "9" * 30, "from:99999999999999999999", "in:-100", "a" * 300,
    "in:'; DROP TABLE chats; --", "from:@x'--", "has:link'--", "sort:relevance sort:date",
    "harbour sort:relevance -harbour", "-harbour -station", "🙂 sort:relevance",
    "SELECT * FROM messages", "{\"$ne\": null}", "<script>alert(1)</script>", "\u202e",
]  # fmt: skip


async def _outcome(search: SearchService, query: str) -> SearchPage | InvalidInputError:
    """The page, or the refusal; any other exception fails the test."""
    try:
        return await search.search_messages(query, limit=5)
    except InvalidInputError as error:
        return error


async def test_hostile_queries_are_answered_or_refused_clearly(db: Database, strategy: str) -> None:
    await archive(db)
    search = service(db)
    for query in HOSTILE:
        outcome = await _outcome(search, query)
        assert isinstance(outcome, SearchPage) or str(outcome), query[:40]
    async with db.reader() as uow:
        stored = (await uow.connection.execute(select(func.count()).select_from(messages))).scalar()
    assert stored == len(ROWS)


async def test_special_characters_are_searched_as_text(db: Database) -> None:
    await archive(db)
    search = service(db)
    for query in (
        "(harbour station)",
        "^harbour station",
        "harbour AND station",
        "harbour) ^station",
    ):
        page = await search.search_messages(query)
        assert [hit.message_id for hit in page.hits] == [19], query


async def test_fts_operators_typed_by_a_user_are_plain_words(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages("NEAR(harbour station)")
    assert page.hits == ()  # "near" is a word no message has, not an FTS5 operator

"""Full-text and substring indexes per dialect: DDL for migrations and the writes that keep them.

SQLite: ``messages_fts`` (FTS5, unicode61 with diacritics removed, external content on messages)
serves words; ``messages_trgm`` (FTS5 trigram over folded text, contentless) serves CJK and
substrings. The application writes both in the same transaction as the messages, which measured
far faster than triggers. PostgreSQL: a stored generated ``search_vector`` (configured language
over the alphanumeric runs of the folded text, since revision 0002) with a GIN index, and a
pg_trgm GIN index over the folded text; nothing to write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import sqlite_bulk
from core.text import fold

FTS_TABLES = ("messages_fts", "messages_trgm")
LANGUAGE_PATTERN = re.compile(r"^[a-z_]{2,32}$")

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "text, content='messages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE messages_trgm USING fts5("
    "text, content='', columnsize=0, tokenize='trigram')",
)
SQLITE_DROP = ("DROP TABLE IF EXISTS messages_trgm", "DROP TABLE IF EXISTS messages_fts")

POSTGRES_FOLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION tv_fold(value text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
    "$$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$"
)


def postgres_create(language: str) -> tuple[str, ...]:
    """DDL for the PostgreSQL search column and indexes; ``language`` is a text-search config."""
    if not LANGUAGE_PATTERN.match(language):
        raise ValueError(f"invalid text search configuration name: {language!r}")
    return (
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
        POSTGRES_FOLD_FUNCTION,
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{language}'::regconfig, coalesce(tv_fold(text), ''))) STORED",
        "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
        "CREATE INDEX ix_messages_text_trgm ON messages USING gin (tv_fold(text) gin_trgm_ops)",
    )


POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_messages_text_trgm",
    "DROP INDEX IF EXISTS ix_messages_search_vector",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS tv_fold(text)",
)

# Revision 0002: tv_fold also drops Arabic marks and tatweel and folds hamza letters, as
# core.text.fold does (``translate`` deletes the characters that have no replacement), and
# search_vector is built from the alphanumeric runs of the folded text, so the words inside
# URLs, e-mails, host and file names are indexed the way SQLite's unicode61 splits them.
HAMZA_LETTERS = "\u0622\u0623\u0625\u0624\u0626\u06c0\u06c2\u06d3"  # آ أ إ ؤ ئ ۀ ۂ ۓ
HAMZA_BASES = "\u0627\u0627\u0627\u0648\u064a\u06d5\u06c1\u06d2"  # ا ا ا و ي ە ہ ے
ARABIC_MARK_RANGES = (
    (0x0610, 0x061A),
    (0x0640, 0x0640),  # tatweel
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)
ARABIC_MARKS = "".join(chr(c) for low, high in ARABIC_MARK_RANGES for c in range(low, high + 1))
NOT_ALNUM_RUN = "[^[:alnum:]]+"
POSTGRES_FOLD_FUNCTION_V2 = (
    "CREATE OR REPLACE FUNCTION tv_fold(value text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
    "$$ SELECT translate(lower(public.unaccent('public.unaccent'::regdictionary, value)), "
    f"'{HAMZA_LETTERS}{ARABIC_MARKS}', '{HAMZA_BASES}') $$"
)

# Revision 0007: the same folding, about three times faster. ``translate`` walks its whole list
# of Arabic marks for every character of the text, and tv_fold runs twice for every message
# written (the search column and the trigram index). Every character of that list lies in one
# block (U+0610..U+06ED): a text with none of them is left as it is by ``translate``, so it skips
# the call. The result is the same for every input; nothing stored has to be rebuilt.
ARABIC_FOLDED = HAMZA_LETTERS + ARABIC_MARKS
ARABIC_FOLDED_RANGE = f"[{min(ARABIC_FOLDED)}-{max(ARABIC_FOLDED)}]"
_LOWER_UNACCENTED = "lower(public.unaccent('public.unaccent'::regdictionary, value))"
POSTGRES_FOLD_FUNCTION_V3 = (
    "CREATE OR REPLACE FUNCTION tv_fold(value text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
    f"$$ SELECT CASE WHEN {_LOWER_UNACCENTED} ~ '{ARABIC_FOLDED_RANGE}' "
    f"THEN translate({_LOWER_UNACCENTED}, '{ARABIC_FOLDED}', '{HAMZA_BASES}') "
    f"ELSE {_LOWER_UNACCENTED} END $$"
)


def postgres_create_v2(language: str) -> tuple[str, ...]:
    """Revision 0002's search column and indexes (after ``POSTGRES_DROP``)."""
    if not LANGUAGE_PATTERN.match(language):
        raise ValueError(f"invalid text search configuration name: {language!r}")
    words = f"regexp_replace(coalesce(tv_fold(text), ''), '{NOT_ALNUM_RUN}', ' ', 'g')"
    return (
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
        POSTGRES_FOLD_FUNCTION_V2,
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{language}'::regconfig, {words})) STORED",
        "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
        "CREATE INDEX ix_messages_text_trgm ON messages USING gin (tv_fold(text) gin_trgm_ops)",
    )


def include_name(name: str | None, type_: str, _parents: Mapping[str, str | None]) -> bool:
    """Alembic filter: the FTS5 tables (and their shadow tables) are not part of the metadata."""
    if type_ == "table" and name is not None:
        return not name.startswith(FTS_TABLES)
    return True


class SearchIndexWriter:
    """Keeps the SQLite FTS tables in step with message writes; a no-op on PostgreSQL."""

    def __init__(self, dialect: str) -> None:
        self._active = dialect == "sqlite"

    async def add(
        self,
        conn: AsyncConnection,
        rows: Sequence[tuple[int, str]],
        folded: Sequence[str] | None = None,
    ) -> None:
        """Index new texts (row key, text); ``folded``: their folded forms, when known already."""
        await self._write(conn, rows, delete=False, folded=folded)

    async def remove(self, conn: AsyncConnection, rows: Sequence[tuple[int, str]]) -> None:
        """Forget old texts; FTS5 needs the exact indexed values to delete them."""
        await self._write(conn, rows, delete=True)

    async def _write(
        self,
        conn: AsyncConnection,
        rows: Sequence[tuple[int, str]],
        *,
        delete: bool,
        folded: Sequence[str] | None = None,
    ) -> None:
        if not self._active:
            return
        if folded is None:
            kept = [row for row in rows if row[1]]
            trigrams = [(pk, fold(body)) for pk, body in kept]
        else:
            both = [(row, form) for row, form in zip(rows, folded, strict=True) if row[1]]
            kept = [row for row, _ in both]
            trigrams = [(row[0], form) for row, form in both]
        if not kept:
            return
        # messages_fts indexes the text as stored, messages_trgm its folded form.
        for table, params in (("messages_fts", kept), ("messages_trgm", trigrams)):
            columns = f"{table}, rowid, text" if delete else "rowid, text"
            values = "'delete', ?, ?" if delete else "?, ?"
            sql = f"INSERT INTO {table}({columns}) VALUES ({values})"
            await sqlite_bulk.executemany(conn, sql, params)

    async def rebuild(self, conn: AsyncConnection, batch: int = 20_000) -> None:
        """Rebuild both indexes from the messages table (after a bulk load with indexing off)."""
        if not self._active:
            return
        await conn.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"))
        await conn.execute(text("INSERT INTO messages_trgm(messages_trgm) VALUES ('delete-all')"))
        last = 0
        while True:
            result = await conn.execute(
                text("SELECT id, text FROM messages WHERE id > :last ORDER BY id LIMIT :n"),
                {"last": last, "n": batch},
            )
            rows = [(int(r[0]), str(r[1])) for r in result]
            if not rows:
                return
            await self._add_trigram(conn, rows)
            last = rows[-1][0]

    async def _add_trigram(self, conn: AsyncConnection, rows: Iterable[tuple[int, str]]) -> None:
        params = [{"pk": pk, "body": fold(body)} for pk, body in rows if body]
        if params:
            await conn.execute(
                text("INSERT INTO messages_trgm(rowid, text) VALUES (:pk, :body)"), params
            )

"""The search query classes of the budget table, and the naive queries they are compared with.

Each class is a query in the product's query language plus what the baselines need to ask the
same thing: the substrings a ``LIKE`` scan looks for, an FTS5 expression for bm25, and a
tsquery for ``ts_rank``. A baseline is a SQLAlchemy statement returning one page of ids.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY

from benchmarks.search_terms import Counted, Scope, SearchTerms
from core.db.search_index import LANGUAGE_PATTERN
from core.db.tables import messages
from core.text import fold
from services.search.dates import period
from services.search.postgres_text import SEARCH_VECTOR, matches
from services.search.terms import like_pattern

PAGE = 20
m = messages.c
FTS = table("messages_fts", literal_column("rowid"))
LIKE_NEWEST = "LIKE '%w%' scan, newest first"
BM25_ALL = "bm25 over all matches (FTS5, no bound)"
TS_RANK_ALL = "ts_rank over all matches (GIN, no bound)"
ILIKE_NEWEST = "ILIKE '%w%' scan, newest first"


class TsKind(Enum):
    """How a class's text becomes a tsquery for the PostgreSQL baseline."""

    WORDS = "plainto_tsquery"
    PHRASE = "phraseto_tsquery"
    PREFIX = "to_tsquery"


@dataclass(frozen=True, slots=True)
class QueryClass:
    """One row of the search table: our query and what the baselines look for."""

    name: str
    query: str  # the product's query language, newest first
    like: tuple[str, ...]  # every one must occur (LIKE/ILIKE baselines)
    fts: str | None = None  # FTS5 MATCH expression; None: not a word-index query
    ts: tuple[TsKind, str] | None = None
    chat_id: int | None = None
    sender_id: int | None = None
    month: str | None = None
    described: str = ""  # the term and how many messages hold it

    def ordered(self, relevance: bool) -> str:
        return f"{self.query} sort:relevance" if relevance else self.query

    def filters(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.chat_id is not None:
            found.append(m.chat_id == self.chat_id)
        if self.sender_id is not None:
            found.append(m.sender_id == self.sender_id)
        if self.month is not None:
            start, end = period(self.month)
            found += [m.date >= start, m.date < end]
        return found


def _held(term: str, count: int, texts: int) -> str:
    return f"'{term}' in {count:,} messages ({100 * count / max(texts, 1):.2f}%)"


def _word(name: str, counted: Counted, texts: int) -> QueryClass:
    term = counted.term
    return QueryClass(
        name, term, (term,), f'"{term}"', (TsKind.WORDS, term),
        described=_held(term, counted.messages, texts),
    )  # fmt: skip


def _substring(name: str, counted: Counted, texts: int) -> QueryClass:
    term = counted.term
    return QueryClass(name, term, (term,), described=_held(term, counted.messages, texts))


def query_classes(terms: SearchTerms, scope: Scope) -> list[QueryClass]:
    """Every class, with the terms picked from the archive."""
    n = terms.texts
    first, second = (c.term for c in terms.pair)
    phrase, prefix, accented = terms.phrase.term, terms.prefix.term, fold(terms.accented.term)
    return [
        _word("rare word", terms.rare, n),
        _word("common word", terms.common, n),
        _word("stop word", terms.stop, n),
        QueryClass(
            "two words", f"{first} {second}", (first, second), f'"{first}" AND "{second}"',
            (TsKind.WORDS, f"{first} {second}"),
            described=" and ".join(_held(c.term, c.messages, n) for c in terms.pair),
        ),
        QueryClass(
            "phrase", f'"{phrase}"', (phrase,), f'"{phrase}"', (TsKind.PHRASE, phrase),
            described=f"{_held(phrase, terms.phrase.messages, n)} as adjacent words",
        ),
        QueryClass(
            "prefix", f"{prefix}*", (prefix,), f'"{prefix}"*', (TsKind.PREFIX, prefix),
            described=f"'{prefix}*': the words it starts occur in {terms.prefix.messages:,} "
            "messages (summed per word)",
        ),
        replace(
            _word("accent-folded word", Counted(accented, terms.accented.messages), n),
            described=f"{_held(terms.accented.term, terms.accented.messages, n)}, "
            f"searched as '{accented}'",
        ),
        _substring("CJK substring", terms.cjk, n),
        _substring("substring (part of a link)", terms.substring, n),
        *_filtered(terms.common, scope),
    ]  # fmt: skip


def _filtered(counted: Counted, scope: Scope) -> list[QueryClass]:
    """The common word narrowed to a chat, a sender and a month."""
    word = _word("", counted, 1)
    chat, sender, month = scope.chat_id, scope.sender_id, scope.month
    return [
        replace(
            word, name="common word in one chat", query=f"in:{chat} {word.query}", chat_id=chat,
            described=f"'{word.query}' in chat {chat} ({scope.chat_messages:,} messages)",
        ),
        replace(
            word, name="common word from one sender", query=f"from:{sender} {word.query}",
            sender_id=sender,
            described=f"'{word.query}' from sender {sender} ({scope.sender_messages:,} messages)",
        ),
        replace(
            word, name="common word in one month", query=f"on:{month} {word.query}",
            month=month, described=f"'{word.query}' on {month}",
        ),
    ]  # fmt: skip


def like_newest(qc: QueryClass, *, ilike: bool = False) -> Select[Any]:
    """The naive substring scan: every message's text, newest first."""
    column = m.text
    patterns = [
        column.ilike(like_pattern(w), escape="\\")
        if ilike
        else column.like(like_pattern(w), escape="\\")
        for w in qc.like
    ]
    return (
        select(m.id)
        .where(*patterns, *qc.filters())
        .order_by(m.date.desc(), m.id.desc())
        .limit(PAGE)
    )


def bm25_all(qc: QueryClass) -> Select[Any]:
    """SQLite relevance the naive way: bm25 computed for every match, then the best page."""
    assert qc.fts is not None
    return (
        select(m.id)
        .select_from(FTS.join(messages, m.id == literal_column("messages_fts.rowid")))
        .where(text("messages_fts MATCH :q").bindparams(q=qc.fts), *qc.filters())
        .order_by(text("bm25(messages_fts)"))
        .limit(PAGE)
    )


def ts_rank_all(qc: QueryClass, language: str) -> Select[Any]:
    """PostgreSQL relevance the naive way: ts_rank for every match, then the best page."""
    assert qc.ts is not None
    if not LANGUAGE_PATTERN.match(language):
        raise ValueError(f"invalid text search configuration name: {language!r}")
    kind, value = qc.ts
    config: ColumnElement[Any] = literal_column(f"'{language}'::regconfig")
    argument = f"{fold(value)}:*" if kind is TsKind.PREFIX else func.tv_fold(value)
    tsquery: ColumnElement[Any] = getattr(func, kind.value)(config, argument, type_=TSQUERY)
    rank = func.ts_rank(SEARCH_VECTOR, tsquery)
    return select(m.id).where(matches(tsquery), *qc.filters()).order_by(rank.desc()).limit(PAGE)


def baseline_for(
    qc: QueryClass, dialect: str, relevance: bool, language: str
) -> tuple[str, Select[Any]] | None:
    """The naive query the budget table compares this class and order with (None: there is none)."""
    if dialect == "sqlite":
        if not relevance:
            return LIKE_NEWEST, like_newest(qc)
        return (BM25_ALL, bm25_all(qc)) if qc.fts is not None else None
    if qc.ts is None:
        return ILIKE_NEWEST, like_newest(qc, ilike=True)
    return TS_RANK_ALL, ts_rank_all(qc, language)

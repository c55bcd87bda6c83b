"""PostgreSQL: the text plan as tsquery matches on ``search_vector`` and folded-text patterns.

Terms are always bound parameters folded by ``tv_fold`` and split into alphanumeric runs in
SQL, exactly like the indexed text (so ``t.me`` is the words ``t`` ``me`` on both sides);
tsqueries come from ``plainto_tsquery``/``phraseto_tsquery`` (plain text in), and prefixes from
``to_tsquery(quote_literal(...) || ':*')``, so no user input is parsed as tsquery syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    Boolean,
    ColumnElement,
    bindparam,
    cast,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import type_coerce

from core.db.search_index import NOT_ALNUM_RUN
from core.db.tables import messages, vault_meta
from services.search.patterns import postgres_word_regex
from services.search.terms import MatchKind, PlannedTerm, like_pattern
from services.search.text_plan import TextPlan, unserved_reason

SEARCH_VECTOR = literal_column("messages.search_vector", TSVECTOR)
FOLDED_TEXT = func.tv_fold(messages.c.text)


@dataclass(frozen=True, slots=True)
class PgDictionary:
    """What the search needs to know about the database's text search set-up."""

    language: str  # the text search configuration of search_vector
    stop_words: frozenset[str] = frozenset()  # folded terms the configuration drops
    full_text: bool = True  # False: match every term by scanning (the engine failed)


@dataclass(frozen=True, slots=True)
class PgText:
    """The text conditions, the positive tsquery (for ranking), and why anything is scanned."""

    conditions: tuple[ColumnElement[bool], ...] = ()
    tsquery: ColumnElement[object] | None = None
    served: bool = False
    unserved: tuple[str, ...] = field(default=())

    @property
    def scan_only(self) -> bool:
        return not self.served and bool(self.unserved)


def compile_postgres(plan: TextPlan, dictionary: PgDictionary) -> PgText:
    compiler = _Compiler(dictionary)
    tsqueries: list[ColumnElement[object]] = []
    conditions: list[ColumnElement[bool]] = []
    served = False
    for clause in plan.clauses:
        queries = [compiler.tsquery(term) for term in clause]
        if all(q is not None for q in queries):
            tsqueries.append(_combine(queries, "||"))  # type: ignore[arg-type]
            served = True
            continue
        conditions.append(or_(*(compiler.condition(term) for term in clause)))
        served = served or all(compiler.indexed(term) for term in clause)
    unserved = tuple(dict.fromkeys(compiler.unserved))
    tsquery = _combine(tsqueries, "&&") if tsqueries else None
    if tsquery is not None:
        conditions.insert(0, matches(tsquery))
    conditions.extend(not_(compiler.condition(term)) for term in plan.excluded)
    return PgText(tuple(conditions), tsquery, served, unserved)


def index_words(value: str) -> ColumnElement[str]:
    """``value`` folded and split into words the way search_vector's text is."""
    folded = func.tv_fold(bindparam(None, value))
    return func.regexp_replace(folded, NOT_ALNUM_RUN, " ", "g")


def matches(tsquery: ColumnElement[object]) -> ColumnElement[bool]:
    return SEARCH_VECTOR.op("@@", return_type=Boolean)(tsquery)


def _combine(queries: Sequence[ColumnElement[object]], operator: str) -> ColumnElement[object]:
    combined = queries[0]
    for query in queries[1:]:
        combined = type_coerce(combined.op(operator)(query), TSQUERY)
    return combined


class _Compiler:
    def __init__(self, dictionary: PgDictionary) -> None:
        self._dictionary = dictionary
        self.unserved: list[str] = []

    def _config(self) -> ColumnElement[object]:
        return cast(bindparam(None, self._dictionary.language), REGCONFIG)

    def tsquery(self, term: PlannedTerm) -> ColumnElement[object] | None:
        if not self.indexed(term) or term.kind is MatchKind.SUBSTRING:
            return None
        folded = index_words(term.text)
        if term.kind is MatchKind.PHRASE:
            return type_coerce(func.phraseto_tsquery(self._config(), folded), TSQUERY)
        if term.prefix:
            prefix = func.quote_literal(folded).op("||")(":*")
            return type_coerce(func.to_tsquery(self._config(), prefix), TSQUERY)
        return type_coerce(func.plainto_tsquery(self._config(), folded), TSQUERY)

    def indexed(self, term: PlannedTerm) -> bool:
        if not self._dictionary.full_text:
            return False
        if term.kind is MatchKind.SUBSTRING:
            return term.trigram_ready
        return term.folded not in self._dictionary.stop_words

    def condition(self, term: PlannedTerm) -> ColumnElement[bool]:
        if not self.indexed(term) and self._dictionary.full_text:
            self.unserved.append(self._reason(term))
        query = self.tsquery(term)
        if query is not None:
            return matches(query)
        if term.kind is not MatchKind.SUBSTRING:
            return FOLDED_TEXT.regexp_match(postgres_word_regex(term))
        pattern = func.tv_fold(bindparam(None, like_pattern(term.text)))
        return FOLDED_TEXT.like(pattern, escape="\\")

    def _reason(self, term: PlannedTerm) -> str:
        if term.kind is not MatchKind.SUBSTRING:
            return (
                f"'{term.text}' is a stop word in the '{self._dictionary.language}' "
                "text search configuration"
            )
        return unserved_reason(term)


async def stop_words(conn: AsyncConnection, language: str, plan: TextPlan) -> frozenset[str]:
    """Folded terms the text search configuration drops (``simple`` drops none)."""
    words = [t for t in (*plan.terms, *plan.excluded) if t.kind is not MatchKind.SUBSTRING]
    if not words or language == "simple":
        return frozenset()
    config = cast(bindparam(None, language), REGCONFIG)
    counts = [func.numnode(func.plainto_tsquery(config, index_words(t.text))) for t in words]
    row = (await conn.execute(select(*counts))).one()
    return frozenset(t.folded for t, nodes in zip(words, row, strict=True) if nodes == 0)


async def index_language(conn: AsyncConnection) -> str | None:
    """The configuration search_vector was built with (recorded by the migration)."""
    query = select(vault_meta.c.value).where(vault_meta.c.key == "fts_language")
    value = (await conn.execute(query)).scalar()
    return None if value is None else str(value)

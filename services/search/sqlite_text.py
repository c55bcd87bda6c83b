"""SQLite: the text plan as FTS5 checks (word index, trigram index) and scan conditions.

Every term reaches FTS5 as a quoted string, so FTS5 operators typed by a user are plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, func, not_, or_

from core.db.tables import messages
from services.search.patterns import python_word_regex
from services.search.terms import MatchKind, PlannedTerm, fts5_string
from services.search.text_plan import TextPlan, unserved_reason

WORDS = "messages_fts"
TRIGRAMS = "messages_trgm"


@dataclass(frozen=True, slots=True)
class FtsMatch:
    """One FTS5 table and a MATCH expression built only from quoted strings."""

    table: str
    expression: str


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """A row passes when any alternative matches it."""

    alternatives: tuple[FtsMatch, ...]


@dataclass(frozen=True, slots=True)
class SqliteText:
    """What the executor needs: index checks to drive and filter, conditions to scan with."""

    positive: tuple[IndexCheck, ...] = ()
    negative: IndexCheck | None = None
    conditions: tuple[ColumnElement[bool], ...] = ()
    unserved: tuple[str, ...] = ()  # why some positive clauses are scanned, not looked up

    @property
    def scan_only(self) -> bool:
        """Text to find, yet no index to find it with: only a pattern scan can serve it."""
        return not self.positive and bool(self.unserved)


def compile_sqlite(plan: TextPlan, *, use_indexes: bool = True) -> SqliteText:
    positive: list[IndexCheck] = []
    conditions: list[ColumnElement[bool]] = []
    unserved: list[str] = []
    for clause in plan.clauses:
        check = _check(clause) if use_indexes else None
        if check is not None:
            positive.append(check)
            continue
        conditions.append(or_(*(pattern(term) for term in clause)))
        unserved.extend(unserved_reason(t) for t in clause if _match(t) is None)
    negative, excluded_conditions = _exclusions(plan.excluded, use_indexes)
    return SqliteText(
        positive=_merged(positive),
        negative=negative,
        conditions=(*conditions, *excluded_conditions),
        unserved=tuple(dict.fromkeys(unserved)),
    )


def _match(term: PlannedTerm) -> FtsMatch | None:
    if term.kind is MatchKind.SUBSTRING:
        return FtsMatch(TRIGRAMS, fts5_string(term.folded)) if term.trigram_ready else None
    return FtsMatch(WORDS, fts5_string(term.text, prefix=term.prefix))


def _check(clause: Sequence[PlannedTerm]) -> IndexCheck | None:
    matches = [_match(term) for term in clause]
    by_table: dict[str, list[str]] = {}
    for match in matches:
        if match is None:
            return None
        by_table.setdefault(match.table, []).append(match.expression)
    return IndexCheck(
        tuple(FtsMatch(table, " OR ".join(exprs)) for table, exprs in by_table.items())
    )


def _merged(checks: list[IndexCheck]) -> tuple[IndexCheck, ...]:
    """Single-table checks on the same table become one MATCH (FTS5 intersects them itself)."""
    merged: dict[str, list[str]] = {}
    rest: list[IndexCheck] = []
    for check in checks:
        if len(check.alternatives) == 1:
            only = check.alternatives[0]
            merged.setdefault(only.table, []).append(f"({only.expression})")
        else:
            rest.append(check)
    singles = [IndexCheck((FtsMatch(t, " AND ".join(e)),)) for t, e in merged.items()]
    return (*singles, *rest)


def _exclusions(
    excluded: Sequence[PlannedTerm], use_indexes: bool
) -> tuple[IndexCheck | None, list[ColumnElement[bool]]]:
    found: dict[str, list[str]] = {}
    conditions: list[ColumnElement[bool]] = []
    for term in excluded:
        match = _match(term) if use_indexes else None
        if match is None:
            conditions.append(not_(pattern(term)))
        else:
            found.setdefault(match.table, []).append(match.expression)
    if not found:
        return None, conditions
    return IndexCheck(tuple(FtsMatch(t, " OR ".join(e)) for t, e in found.items())), conditions


def pattern(term: PlannedTerm) -> ColumnElement[bool]:
    """The term as a scan condition over the folded text (``tv_fold`` is registered per use)."""
    folded_text = func.tv_fold(messages.c.text)
    if term.kind is MatchKind.SUBSTRING:
        return func.instr(folded_text, bindparam(None, term.folded)) > 0
    return folded_text.regexp_match(python_word_regex(term))

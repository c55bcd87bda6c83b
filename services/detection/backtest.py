"""Backtest: a rule over the whole archive, cheaply prefiltered by the search indexes when the
rule allows it (keywords of three or more characters), then checked by the exact matcher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.tables import messages
from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from core.errors import InvalidInputError
from core.text import fold
from services.detection.engine import CompiledRuleSet, compile_rules
from services.detection.validation import rule_keywords

BATCH = 5000
MIN_TRIGRAM = 3


@dataclass(slots=True)
class BacktestReport:
    hits: int = 0
    scanned: int = 0
    prefiltered: bool = False
    first_hits: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _prefilter_terms(rule: DetectionRule) -> list[str] | None:
    """One folded word per keyword (a phrase's longest word) when each can use the trigram
    index, else None (full scan). Any message a keyword matches contains that word, whatever
    spacing a phrase had, so the candidates are a superset of the matches."""
    if rule.kind is not RuleKind.KEYWORDS:
        return None
    terms = [
        max(fold(keyword).split(), key=len, default="") for keyword in rule_keywords(rule.pattern)
    ]
    return terms if terms and all(len(t) >= MIN_TRIGRAM for t in terms) else None


async def _candidate_ids(conn: AsyncConnection, terms: Sequence[str]) -> list[int]:
    """Messages whose folded text contains any term: a superset of the keyword matches."""
    if conn.dialect.name == "sqlite":
        query = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        result = await conn.execute(
            text("SELECT rowid FROM messages_trgm WHERE messages_trgm MATCH :q ORDER BY rowid"),
            {"q": query},
        )
    else:
        likes = [text(f"tv_fold(messages.text) LIKE :p{i} ESCAPE '\\'") for i in range(len(terms))]
        params = {f"p{i}": "%" + _escape_like(t) + "%" for i, t in enumerate(terms)}
        stmt = select(messages.c.id).where(or_(*likes)).order_by(messages.c.id)
        result = await conn.execute(stmt, params)
    return [int(row[0]) for row in result]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _scope(rule: DetectionRule) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if rule.chat_ids:
        clauses.append(messages.c.chat_id.in_(sorted(rule.chat_ids)))
    if rule.sender_ids:
        clauses.append(messages.c.sender_id.in_(sorted(rule.sender_ids)))
    return clauses


def _rows_query(rule: DetectionRule) -> Select[Any]:
    return select(
        messages.c.id,
        messages.c.chat_id,
        messages.c.message_id,
        messages.c.sender_id,
        messages.c.text,
        messages.c.date,
    ).where(*_scope(rule))


async def run_backtest(db: Database, rule: DetectionRule, *, first: int = 10) -> BacktestReport:
    compiled = compile_rules([rule])
    if rule.id in compiled.rejected:
        raise InvalidInputError(compiled.rejected[rule.id])
    report = BacktestReport()
    async with db.reader() as uow:
        conn = uow.connection
        terms = _prefilter_terms(rule)
        if terms is not None:
            report.prefiltered = True
            ids = await _candidate_ids(conn, terms)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                rows = await conn.execute(_rows_query(rule).where(messages.c.id.in_(chunk)))
                _check(compiled, [dict(r) for r in rows.mappings()], report, first)
        else:
            await _full_scan(conn, compiled, rule, report, first)
    return report


async def _full_scan(
    conn: AsyncConnection,
    compiled: CompiledRuleSet,
    rule: DetectionRule,
    report: BacktestReport,
    first: int,
) -> None:
    last = 0
    while True:
        query = _rows_query(rule).where(messages.c.id > last).order_by(messages.c.id).limit(BATCH)
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        if not rows:
            return
        _check(compiled, rows, report, first)
        last = rows[-1]["id"]


def _check(
    compiled: CompiledRuleSet, rows: list[dict[str, Any]], report: BacktestReport, first: int
) -> None:
    by_pk = {row["id"]: row for row in rows}
    targets = [ScanTarget(r["id"], r["chat_id"], r["sender_id"], r["text"] or "") for r in rows]
    report.scanned += len(targets)
    for match in compiled.scan_many(targets):
        report.hits += 1
        if len(report.first_hits) < first:
            row = by_pk[match.message_pk]
            report.first_hits.append(
                {
                    "chat_id": row["chat_id"],
                    "message_id": row["message_id"],
                    "date": row["date"],
                    "matched_text": match.matched_text,
                }
            )

"""The text part of a query with a matching strategy per term, shared by both dialects."""

from __future__ import annotations

from dataclasses import dataclass

from services.search.syntax import ParsedQuery
from services.search.terms import MatchKind, PlannedTerm, plan_term


@dataclass(frozen=True, slots=True)
class TextPlan:
    """Clauses (AND of ORs) and exclusions, every term planned."""

    clauses: tuple[tuple[PlannedTerm, ...], ...] = ()
    excluded: tuple[PlannedTerm, ...] = ()

    @property
    def terms(self) -> tuple[PlannedTerm, ...]:
        return tuple(term for clause in self.clauses for term in clause)

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.excluded


def plan_text(query: ParsedQuery) -> TextPlan:
    return TextPlan(
        clauses=tuple(tuple(plan_term(t) for t in clause.terms) for clause in query.clauses),
        excluded=tuple(plan_term(t) for t in query.excluded),
    )


def unserved_reason(term: PlannedTerm) -> str:
    """Why no index can find ``term`` (said to the user and logged)."""
    if term.kind is MatchKind.SUBSTRING and not term.trigram_ready:
        return (
            f"'{term.text}' is shorter than 3 characters in a script matched by substring, "
            "which the index cannot look up"
        )
    return f"the full-text index cannot serve '{term.text}'"

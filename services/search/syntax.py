"""The parsed form of a search query: terms grouped into clauses, plus filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

SORTS = ("date", "relevance")
HAS_VALUES = ("media", "photo", "video", "document", "link")
IS_VALUES = ("edited", "deleted", "forwarded")


@dataclass(frozen=True, slots=True)
class Term:
    """Text to find: a word (maybe a ``prefix*``) or an ``"exact phrase"``."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """Terms joined by OR: a message matches the clause when it matches any of them."""

    terms: tuple[Term, ...]


class RefKind(Enum):
    """How a ``from:``/``in:`` value names its target."""

    ID = "id"
    USERNAME = "username"
    TITLE = "title"


@dataclass(frozen=True, slots=True)
class Ref:
    """A sender (``from:``) or chat (``in:``) as the user named it."""

    kind: RefKind
    value: str  # the id as text, a username without '@', or a part of a title
    raw: str  # as typed, for messages


@dataclass(frozen=True, slots=True)
class DateRange:
    """``start <= date < end`` in UTC; either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Filters:
    """Everything besides the text; several ``from:``/``in:`` values match any of them."""

    senders: tuple[Ref, ...] = ()
    excluded_senders: tuple[Ref, ...] = ()
    chats: tuple[Ref, ...] = ()
    excluded_chats: tuple[Ref, ...] = ()
    dates: DateRange = field(default_factory=DateRange)
    has: frozenset[str] = frozenset()
    has_not: frozenset[str] = frozenset()
    is_: frozenset[str] = frozenset()
    is_not: frozenset[str] = frozenset()

    @property
    def any(self) -> bool:
        return bool(
            self.senders
            or self.excluded_senders
            or self.chats
            or self.excluded_chats
            or self.dates.start
            or self.dates.end
            or self.has
            or self.has_not
            or self.is_
            or self.is_not
        )


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query the backends can compile: every clause must match, no exclusion may."""

    clauses: tuple[Clause, ...] = ()
    excluded: tuple[Term, ...] = ()
    filters: Filters = field(default_factory=Filters)
    sort: str = "date"
    notes: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every positive term, in query order (the ones a snippet highlights)."""
        return tuple(term for clause in self.clauses for term in clause.terms)

    def fingerprint(self) -> str:
        """A stable text form: cursors are bound to the query they were issued for."""
        f = self.filters
        sets = tuple(sorted(s) for s in (f.has, f.has_not, f.is_, f.is_not))
        refs = (f.senders, f.excluded_senders, f.chats, f.excluded_chats)
        return repr((self.clauses, self.excluded, refs, f.dates, sets, self.sort))

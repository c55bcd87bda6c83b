"""Detection rules and what they find, as the detection engine and the outbox speak them."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from core.domain.messages import ArchivedMessage


class RuleKind(StrEnum):
    KEYWORDS = "keywords"  # pattern: keywords separated by commas or new lines
    REGEX = "regex"  # pattern: one regular expression (RE2 syntax)
    BUILTIN = "builtin"  # pattern: the name of a built-in detector, e.g. "iban"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class DetectionRule:
    """One rule; empty ``chat_ids``/``sender_ids`` mean every chat / every sender."""

    id: int
    name: str
    kind: RuleKind
    pattern: str
    severity: Severity = Severity.MEDIUM
    enabled: bool = True
    case_sensitive: bool = False
    chat_ids: frozenset[int] = field(default_factory=frozenset)
    sender_ids: frozenset[int] = field(default_factory=frozenset)
    cooldown_seconds: int = 0
    muted_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """The part of a stored message the engine needs."""

    pk: int
    chat_id: int
    sender_id: int | None
    text: str


class RuleMatch(NamedTuple):
    """A rule that matched a message; ``start``/``end`` index the original text.

    A NamedTuple rather than a frozen dataclass: the engine builds one per hit on the ingest hot
    path, and a tuple is several times cheaper to create while staying immutable.
    """

    rule_id: int
    message_pk: int
    matched_text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RuleSnapshot:
    """The enabled rules at one moment, and the key of what decides their matches.

    ``key`` is equal for two snapshots exactly when their rules match the same messages (names,
    severities and mutes aside), so matches found with one snapshot stand for the other.
    """

    rules: tuple[DetectionRule, ...] = ()
    key: Hashable = ()


@dataclass(frozen=True, slots=True)
class Prematched:
    """Matches found for a page's messages before the page is written, by another process.

    An import's parser scans each page it drafts with the rules of a snapshot; the scan on
    write then takes these matches instead of scanning again, as long as the rules still have
    the snapshot's ``key`` and the message written is one of ``messages`` (the very object: a
    message the write path replaced, to drop a NUL say, is scanned again). ``matches`` maps a
    message's position in ``messages`` to what matched in it (``message_pk`` not yet known: 0);
    a position without an entry had no match.
    """

    key: Hashable
    messages: Sequence[ArchivedMessage]
    matches: Mapping[int, Sequence[RuleMatch]]

"""What a refresh came to: per person (EnrichmentResult) and per run (EnrichmentReport)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from core.domain.profiles import ProfileChange

MAX_LISTED_FAILURES: Final = 50  # a report of every failure of a 100,000-user sweep helps nobody


@dataclass(frozen=True, slots=True)
class EnrichmentResult:
    """One person. ``reason`` says why the profile was not refreshed (``deferred``: not even
    asked, a flood wait was in force); ``photo_problem`` why the photo is missing."""

    user_id: int
    refreshed: bool
    changes: tuple[ProfileChange, ...] = ()
    reason: str | None = None
    deferred: bool = False
    photo_sha256: str | None = None
    photo_stored: bool = False  # downloaded by this refresh (not found among the kept ones)
    photo_problem: str | None = None
    alerts: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(slots=True)
class EnrichmentReport:
    """Counts over a run; ``failures`` groups reasons, ``failed_users`` lists the first few."""

    total: int = 0
    refreshed: int = 0
    changed: int = 0
    alerts: int = 0
    photos_stored: int = 0
    deferred: int = 0
    deferred_reason: str | None = None
    failures: Counter[str] = field(default_factory=Counter)
    failed_users: list[tuple[int, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def done(self) -> int:
        return self.refreshed + self.failed + self.deferred

    def add(self, result: EnrichmentResult) -> None:
        self.changed += result.changed
        self.alerts += result.alerts
        self.photos_stored += result.photo_stored
        if result.refreshed:
            self.refreshed += 1
        elif result.deferred:
            self.deferred += 1
            self.deferred_reason = self.deferred_reason or result.reason
        else:
            reason = result.reason or "unknown"
            self.failures[reason] += 1
            if len(self.failed_users) < MAX_LISTED_FAILURES:
                self.failed_users.append((result.user_id, reason))

    def summary(self) -> str:
        """``Refreshed 20 profiles: 3 changed, 1 failed (USER_ID_INVALID)``."""
        if self.total == 0:
            return "No profiles to refresh"
        tried = self.total - self.deferred
        text = f"Refreshed {tried} profile{'' if tried == 1 else 's'}: {self.changed} changed"
        if self.failed:
            reasons = ", ".join(
                reason if count == 1 else f"{reason} ×{count}"
                for reason, count in self.failures.most_common()
            )
            text += f", {self.failed} failed ({reasons})"
        if self.deferred:
            text += f"; {self.deferred} left for later ({self.deferred_reason})"
        return text

    def as_data(self) -> dict[str, Any]:
        """The task result's structured part (JSON-ready)."""
        return {
            "total": self.total,
            "refreshed": self.refreshed,
            "changed": self.changed,
            "failed": self.failed,
            "deferred": self.deferred,
            "alerts": self.alerts,
            "photos_stored": self.photos_stored,
            "failures": dict(self.failures),
            "failed_users": [[user_id, reason] for user_id, reason in self.failed_users],
        }

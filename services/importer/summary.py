"""What an import reports: progress while it runs and the summary at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from core.domain.messages import IngestOutcome
from services.importer.mapper import MappingStats


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """A snapshot: ``phase`` is "validating" (first pass, no writes) or "importing"."""

    phase: str
    bytes_read: int
    bytes_total: int | None
    messages: int
    messages_total: int | None
    elapsed: float

    @property
    def percent(self) -> float | None:
        if not self.bytes_total:
            return None
        return min(100.0, 100.0 * self.bytes_read / self.bytes_total)

    @property
    def rate(self) -> float:
        """Messages per second so far."""
        return self.messages / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(slots=True)
class ImportSummary:
    """Counts of one run; a second import of the same export reports everything unchanged."""

    source: str
    chats: int = 0
    messages: Counter[str] = field(default_factory=Counter)  # by kind: text, media, service
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    older_versions: int = 0
    edited: int = 0  # messages that carry an edit date
    media_queued: int = 0
    media_copied: int = 0
    media_deduplicated: int = 0
    media_already_stored: int = 0
    media_skipped_by_policy: int = 0
    media_missing: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_keys: Counter[str] = field(default_factory=Counter)
    repairs: Counter[str] = field(default_factory=Counter)
    local_time_dates: int = 0
    time_zone: str = ""
    bytes_read: int = 0
    duration: float = 0.0

    @property
    def total_messages(self) -> int:
        return sum(self.messages.values())

    def add_outcome(self, outcome: IngestOutcome, media_queued: int) -> None:
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.edited)
        self.unchanged += outcome.unchanged
        self.older_versions += outcome.older_versions
        self.media_queued += media_queued

    def add_mapping(self, stats: MappingStats) -> None:
        self.messages.update(stats.kinds)
        self.edited += stats.edited
        self.local_time_dates += stats.local_dates
        self.skipped.update(stats.skipped)
        self.unknown_keys.update(stats.unknown_keys)

    def render(self) -> str:
        """A plain-text report for the terminal."""
        rate = self.total_messages / self.duration if self.duration > 0 else 0.0
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(self.messages.items())) or "none"
        lines = [
            f"Imported {self.source}",
            f"  chats: {self.chats:,}",
            f"  messages: {self.total_messages:,} ({kinds})",
            f"  stored: {self.inserted:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.older_versions:,} older versions kept",
            f"  edited messages: {self.edited:,}",
            f"  media: {self.media_copied:,} copied, {self.media_deduplicated:,} deduplicated, "
            f"{self.media_already_stored:,} already stored, "
            f"{self.media_skipped_by_policy:,} skipped by the media policy",
            *_counted("media without a file", self.media_missing),
            *_counted("skipped", self.skipped),
            *_counted("unknown keys (ignored)", self.unknown_keys),
            *_counted("repaired Desktop JSON bugs", self.repairs),
        ]
        if self.local_time_dates:
            lines.append(
                f"  {self.local_time_dates:,} dates had no time zone and were read as "
                f"{self.time_zone} time (--export-timezone changes it)"
            )
        lines.append(f"  took {self.duration:.1f} s ({rate:,.0f} messages/s)")
        return "\n".join(lines)


def _counted(title: str, counts: Counter[str]) -> list[str]:
    if not counts:
        return []
    return [f"  {title}:", *(f"    {n:,} × {what}" for what, n in counts.most_common())]

"""The writes the storage rows share, and paired timing of the real path against baselines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks.corpus import Corpus
from benchmarks.figures import Baseline, rate
from benchmarks.measure import SectionTimer
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.search_index import SearchIndexWriter
from core.domain.archive import ArchivePage
from core.domain.detection import DetectionRule
from core.domain.messages import ArchivedMessage, IngestOutcome
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.detection.service import DetectionService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService

SEEN_AT = datetime(2025, 1, 1, tzinfo=UTC)
Page = list[ArchivedMessage]


@dataclass(slots=True)
class PageTotals:
    """What a pass of ``upsert_batch`` calls reported, summed."""

    inserted: int = 0
    edited: int = 0
    unchanged: int = 0

    def add(self, outcome: IngestOutcome) -> None:
        self.inserted += len(outcome.inserted)
        self.edited += len(outcome.edited)
        self.unchanged += outcome.unchanged


@dataclass(slots=True)
class Contender:
    """A way of writing pages (ours or a baseline), timed page by page.

    Contenders take turns on the same page, so a burst of load from elsewhere on the machine
    hits them alike and their ratio survives it.
    """

    name: str
    write: Callable[[Page], Awaitable[IngestOutcome | None]]
    db: Database | None = None  # its own database, disposed when the race is over
    timer: SectionTimer = field(default_factory=SectionTimer)
    messages: int = 0
    totals: PageTotals = field(default_factory=PageTotals)

    async def take(self, page: Page) -> None:
        with self.timer:
            outcome = await self.write(page)
        self.messages += len(page)
        if outcome is not None:
            self.totals.add(outcome)

    def as_baseline(self) -> Baseline:
        return Baseline(self.name, rate(self.messages, self.timer.total), self.messages)


async def race(
    pages: Iterable[Page], runners: list[Contender], rivals: list[Contender], rival_messages: int
) -> None:
    """Every page through every runner, and the first ``rival_messages`` through every rival.

    The order rotates from page to page so no contender always goes first.
    """
    written = 0
    for number, page in enumerate(pages):
        written += len(page)
        turn = runners + rivals if written <= rival_messages else list(runners)
        shift = number % len(turn)
        for contender in turn[shift:] + turn[:shift]:
            await contender.take(page)


async def seed_entities(db: Database, corpus: Corpus) -> None:
    """Chats and senders first: messages reference their chat."""
    async with db.unit_of_work() as uow:
        await uow.chats.upsert(corpus.chats, SEEN_AT)
        await uow.users.upsert(corpus.users, SEEN_AT)
        await uow.commit()


def upserter(db: Database, *, index: bool) -> Callable[[Page], Awaitable[IngestOutcome]]:
    """The real write path: one unit of work per page."""

    async def write(page: Page) -> IngestOutcome:
        async with db.unit_of_work() as uow:
            outcome = await uow.messages.upsert_batch(page, index=index)
            await uow.commit()
        return outcome

    return write


async def add_rules(db: Database, rules: Iterable[DetectionRule]) -> int:
    """Store ``rules`` as an admin would have them (enabled); returns how many."""
    count = 0
    async with db.unit_of_work() as uow:
        for rule in rules:
            values = {
                "name": rule.name, "kind": rule.kind.value, "pattern": rule.pattern,
                "options": {"case_sensitive": rule.case_sensitive},
                "chat_ids": sorted(rule.chat_ids), "sender_ids": sorted(rule.sender_ids),
                "severity": rule.severity.value, "cooldown_seconds": rule.cooldown_seconds,
            }  # fmt: skip
            await uow.rules.add(values, SEEN_AT)
            count += 1
        await uow.commit()
    return count


class HistoryIngest:
    """The import pipeline's write: IngestService scanning every page in history mode (hits
    stored, messages marked scanned, no alert), as ``telegramvault import`` wires it."""

    def __init__(self, db: Database) -> None:
        config = ConfigManager(env_file=None, environ={})
        config.load()
        detection = DetectionService(config, EnhancedLoggingSystem(config), db=db)
        self._ingest = IngestService(db, MediaPolicy(frozenset()), scanner=detection, alerts=False)
        self.hits = 0

    async def write(self, page: Page) -> IngestOutcome:
        result = await self._ingest.ingest_page(ArchivePage(messages=page))
        self.hits += result.detections
        return result.outcome


async def rebuild_index(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await SearchIndexWriter(uow.dialect).rebuild(uow.connection)
        await uow.commit()

"""The writes the storage rows share, and paired timing of the real path against baselines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks.corpus import Corpus
from benchmarks.figures import Baseline, rate
from benchmarks.measure import SectionTimer
from core.db.database import Database
from core.db.search_index import SearchIndexWriter
from core.domain.messages import ArchivedMessage, IngestOutcome

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


async def rebuild_index(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await SearchIndexWriter(uow.dialect).rebuild(uow.connection)
        await uow.commit()

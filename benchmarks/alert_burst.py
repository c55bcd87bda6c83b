"""A burst of live events through the real live path, timed from submit to alert enqueued.

The events are the messages that follow the corpus, each submitted as the Telethon adapter
hands it over (one ArchivePage with its chat and sender) to a real LiveIngestor, whose
IngestService scans every batch with a DetectionService holding ``RULES`` enabled rules. About
one event in ``MATCH_EVERY`` carries a made-up token that exactly one rule matches (the corpus
never produces those tokens), so the matching events are known in advance. The scan enqueues
a matching event's alert in the transaction that stores the event, so its alert is committed
when that batch commits: ``on_written`` stamps it then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from benchmarks.corpus import Corpus
from benchmarks.measure import percentile
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import alerts, detections, messages
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind
from core.domain.messages import ArchivedMessage
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.archiver.live import LiveIngestor
from services.archiver.watchlist import WatchListService
from services.detection.service import DetectionService, RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult

RULES = 100  # half keyword lists, half regular expressions
MATCH_EVERY = 100  # about 1% of the events carry a token one rule matches
RECIPIENT = 424_242_002  # the admin the alerts are queued for (nothing sends them here)
RULE_PREFIX = "burst rule"
Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Burst:
    """The events as pages, in arrival order, and the keys of those that must raise an alert."""

    pages: list[ArchivePage]
    matching: frozenset[Key]


@dataclass(slots=True)
class BurstResult:
    """Per matching event, seconds from submit to the commit of its alert; and the whole burst."""

    events: int
    seconds: float = 0.0
    latencies: dict[Key, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def latency_ms(self, share: float, keys: Iterable[Key]) -> float:
        return percentile([self.latencies[key] for key in keys], share) * 1000


def rule_drafts(count: int = RULES) -> list[RuleDraft]:
    """``count`` rules; rule ``n`` is matched by ``token(n, ...)`` and by nothing in the corpus."""
    drafts = []
    for n in range(count):
        if n % 2 == 0:
            pattern = f"zafiro{n:03d}, contraseña{n:03d}, ключ{n:03d}"
            drafts.append(RuleDraft(f"{RULE_PREFIX} {n:03d}", RuleKind.KEYWORDS, pattern))
        else:
            pattern = rf"\bcaso-{n:03d}-[0-9]{{4}}\b"
            drafts.append(RuleDraft(f"{RULE_PREFIX} {n:03d}", RuleKind.REGEX, pattern))
    return drafts


def token(rule: int, variant: int) -> str:
    """A word that rule number ``rule`` of ``rule_drafts`` matches."""
    if rule % 2 == 0:
        return (f"zafiro{rule:03d}", f"contraseña{rule:03d}", f"ключ{rule:03d}")[variant % 3]
    return f"caso-{rule:03d}-{1000 + variant % 9000}"


def make_burst(corpus: Corpus, events: Sequence[ArchivedMessage]) -> Burst:
    """The events as the adapter would submit them, about one in MATCH_EVERY given a token."""
    chats = {chat.id: chat for chat in corpus.chats}
    users = {user.id: user for user in corpus.users}
    pages: list[ArchivePage] = []
    matching: set[Key] = set()
    wanted = False
    for index, message in enumerate(events):
        wanted = wanted or index % MATCH_EVERY == 0
        if wanted and message.kind != "service":  # service messages carry no text of their own
            hit = len(matching)
            word = token(hit % RULES, hit // RULES)
            text = f"{message.text} {word}" if message.text else word
            message = dataclasses.replace(message, text=text)
            matching.add(message.key)
            wanted = False
        sender = users.get(message.sender_id) if message.sender_id is not None else None
        pages.append(
            ArchivePage(
                messages=[message],
                chats=[chats[message.chat_id]],
                users=[sender] if sender is not None else [],
            )
        )
    return Burst(pages, frozenset(matching))


def detection_service(db: Database) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    return DetectionService(config, EnhancedLoggingSystem(), db=db, recipients=[RECIPIENT])


async def prepare(db: Database, detection: DetectionService, chat_ids: Iterable[int]) -> list[int]:
    """Add the rules and watch the chats (live only, no backfill); returns the rule ids."""
    rule_ids = [(await detection.add_rule(draft)).id for draft in rule_drafts()]
    at = datetime.now(UTC)
    async with db.unit_of_work() as uow:
        for chat_id in sorted(set(chat_ids)):
            await uow.watch.watch(chat_id, at, added_by=None)
        await uow.commit()
    return rule_ids


def ingest_service(db: Database, detection: DetectionService) -> IngestService:
    return IngestService(db, MediaPolicy(frozenset()), scanner=detection)


class _CommitClock:
    """``on_written`` of the LiveIngestor: stamps the matching keys of each committed batch."""

    def __init__(self, matching: frozenset[Key], total: int) -> None:
        self.matching = matching
        self.total = total
        self.committed: dict[Key, float] = {}
        self.written = 0
        self.last = 0.0
        self.done = asyncio.Event()

    async def __call__(self, result: PageResult) -> None:
        now = time.perf_counter()
        refs = [*result.outcome.inserted, *result.outcome.edited]
        for ref in refs:
            key = (ref.chat_id, ref.message_id)
            if key in self.matching:
                self.committed[key] = now
        self.written += len(refs) + result.outcome.unchanged
        self.last = now
        if self.written >= self.total:
            self.done.set()


async def run_burst(
    db: Database,
    detection: DetectionService,
    events: Burst,
    *,
    batch_size: int,
    flush_ms: int,
) -> BurstResult:
    """Submit every page at once to a running LiveIngestor; wait until all are committed."""
    clock = _CommitClock(events.matching, len(events.pages))
    watch = WatchListService(db, None)
    ingestor = LiveIngestor(
        ingest_service(db, detection),
        watch,
        batch_size=batch_size,
        flush_ms=flush_ms,
        max_pending=len(events.pages) + 1,
        on_written=clock,
    )
    await watch.is_watched(0)  # the watch list is read once, before the clock starts
    runner = asyncio.create_task(ingestor.run())
    submitted: dict[Key, float] = {}
    started = time.perf_counter()
    try:
        for page in events.pages:
            key = page.messages[0].key
            if key in events.matching:
                submitted[key] = time.perf_counter()
            await ingestor.submit(page)
        await clock.done.wait()
    finally:
        await ingestor.stop(runner)
    result = BurstResult(len(events.pages), clock.last - started)
    result.latencies = {key: clock.committed[key] - at for key, at in submitted.items()}
    return result


async def warm_up(db: Database, detection: DetectionService, page: ArchivePage) -> None:
    """One event through the scan, so the rule set is compiled before anything is timed."""
    await ingest_service(db, detection).ingest_page(page)


async def commit_per_event(db: Database, detection: DetectionService, events: Burst) -> BurstResult:
    """The naive handler: one IngestService transaction (with the scan) per event."""
    ingest = ingest_service(db, detection)
    started = time.perf_counter()
    for page in events.pages:
        await ingest.ingest_page(page)
    return BurstResult(len(events.pages), time.perf_counter() - started)


async def alerted_keys(db: Database, rule_ids: Sequence[int]) -> set[Key]:
    """The events whose detection by one of ``rule_ids`` has an alert row."""
    query = (
        select(messages.c.chat_id, messages.c.message_id)
        .select_from(
            alerts.join(detections, alerts.c.detection_id == detections.c.id).join(
                messages, detections.c.message_pk == messages.c.id
            )
        )
        .where(detections.c.rule_id.in_(rule_ids), alerts.c.recipient_chat_id == RECIPIENT)
    )
    async with db.reader() as uow:
        rows = await uow.connection.execute(query)
        return {(int(chat_id), int(message_id)) for chat_id, message_id in rows}

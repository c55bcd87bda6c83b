"""DetectionService on both dialects: rules, scan on ingest, alerts with cooldowns, backtests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Table, func, select

from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import alerts, detections
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError, NotFoundError
from services.detection.service import DetectionService, RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult
from tests import factories as f

CHAT = f.chat()
ADMINS = (111, 222)
TEXTS = [
    "Llámame al teléfono, estoy en Bogotá",
    "the wire transfer is ready",
    "nothing to see here",
    "BOGOTÁ again, and a wire transfer",
    "bogotano is a different word",
    "contact me: ana@example.org",
]


class Clock:
    def __init__(self) -> None:
        self.now = f.at(0)

    def __call__(self) -> datetime:
        return self.now


async def _service(db: Database, clock: Clock | None = None) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    return DetectionService(config, logger, db=db, recipients=ADMINS, clock=clock or Clock())


async def _ingest(
    db: Database, service: DetectionService | None, texts: list[str], start: int = 1
) -> PageResult:
    ingest = IngestService(db, MediaPolicy(frozenset()), scanner=service)
    page = ArchivePage(
        messages=[f.message(start + i, text=t) for i, t in enumerate(texts)], chats=[CHAT]
    )
    return await ingest.ingest_page(page)


async def _count(db: Database, table: Table) -> int:
    async with db.reader() as uow:
        return int(
            (await uow.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def test_rules_are_validated_with_the_exact_reason(db: Database) -> None:
    service = await _service(db)
    with pytest.raises(InvalidInputError, match="lookahead"):
        await service.add_rule(RuleDraft("bad", RuleKind.REGEX, "foo(?=bar)"))
    with pytest.raises(InvalidInputError, match="iban"):
        await service.enable_builtin("ibna")
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    with pytest.raises(InvalidInputError, match="already exists"):
        await service.add_rule(RuleDraft("City", RuleKind.KEYWORDS, "x"))
    assert await service.compile_pattern("(a+)+$") == "(a+)+$"
    rules, total = await service.list_rules()
    assert ([r.name for r in rules], total) == (["city"], 1)
    assert (await service.set_enabled("city", False)).enabled is False
    assert (await service.delete_rule("city")).name == "city"
    with pytest.raises(NotFoundError):
        await service.get_rule("city")


async def test_new_messages_are_scanned_once_and_alert_every_recipient(db: Database) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota, wire transfer"))
    result = await _ingest(db, service, TEXTS)
    assert result.detections == 3  # messages 1, 2 and 4; not "bogotano"
    assert await _count(db, alerts) == 3 * len(ADMINS)
    async with db.reader() as uow:
        payloads = [r[0] for r in await uow.connection.execute(select(alerts.c.payload))]
    assert {p["matched_text"] for p in payloads} == {"Bogotá", "wire transfer", "BOGOTÁ"}
    assert all(p["rule"] == "city" and p["chat_id"] == CHAT.id for p in payloads)
    again = await _ingest(db, service, TEXTS)  # the same messages: nothing new
    assert again.detections == 0
    assert await service.rescan_unscanned() == 0
    assert await _count(db, detections) == 3
    assert await _count(db, alerts) == 6


async def test_cooldown_and_mute_hold_alerts_back_but_keep_hits(db: Database) -> None:
    clock = Clock()
    service = await _service(db, clock)
    draft = RuleDraft("city", RuleKind.KEYWORDS, "bogota", cooldown_seconds=3600)
    await service.add_rule(draft)
    await _ingest(db, service, ["in bogota", "bogota twice"])
    assert (await _count(db, detections), await _count(db, alerts)) == (2, 2)
    clock.now += timedelta(minutes=30)
    await _ingest(db, service, ["bogota in the cooldown"], start=10)
    assert (await _count(db, detections), await _count(db, alerts)) == (3, 2)
    clock.now += timedelta(hours=1)
    await service.mute("city", clock.now + timedelta(hours=1))
    await _ingest(db, service, ["bogota while muted"], start=20)
    assert (await _count(db, detections), await _count(db, alerts)) == (4, 2)
    clock.now += timedelta(hours=2)
    await _ingest(db, service, ["bogota after the mute"], start=30)
    assert (await _count(db, detections), await _count(db, alerts)) == (5, 4)


async def test_rules_changed_elsewhere_are_picked_up(db: Database) -> None:
    archiver_side, bot_side = await _service(db), await _service(db)
    await _ingest(db, archiver_side, ["bogota early"])
    await bot_side.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    await _ingest(db, archiver_side, ["bogota later"], start=2)
    assert await _count(db, detections) == 1


async def test_messages_missed_by_a_crash_are_scanned_later(db: Database) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("mail", RuleKind.BUILTIN, "email"))
    await _ingest(db, None, TEXTS)  # written without the scanner, as a crash would leave them
    assert await service.rescan_unscanned(batch=2) == 1
    assert await service.rescan_unscanned() == 0


@pytest.mark.parametrize(
    ("kind", "pattern", "reference"),
    [
        (RuleKind.KEYWORDS, "bogota, transfer", r"(?<!\w)(bogot[aá]|transfer)(?!\w)"),
        (RuleKind.REGEX, r"wire\s+\w+", r"wire\s+\w+"),
    ],
)
async def test_backtest_counts_equal_a_brute_force_scan(
    db: Database, kind: RuleKind, pattern: str, reference: str
) -> None:
    corpus = [TEXTS[i % len(TEXTS)] + f" #{i}" for i in range(300)]
    await _ingest(db, None, corpus)
    service = await _service(db)
    report = await service.backtest(RuleDraft("trial", kind, pattern), first=5)
    expected = sum(1 for t in corpus if re.search(reference, t, re.IGNORECASE))
    assert report.hits == expected
    assert report.scanned >= expected
    assert report.prefiltered is (kind is RuleKind.KEYWORDS)
    assert len(report.first_hits) == 5
    assert await _count(db, detections) == 0
    assert await _count(db, alerts) == 0

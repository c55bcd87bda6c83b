"""DetectionService on both dialects: rules, scan on ingest, alerts with cooldowns, backtests."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import alerts, detections, messages
from core.domain.archive import ArchivePage
from core.domain.detection import Prematched, RuleKind, RuleMatch
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


async def _unscanned(db: Database) -> int:
    async with db.reader() as uow:
        query = select(func.count()).where(messages.c.scanned_at.is_(None))
        return int((await uow.connection.execute(query)).scalar_one())


async def test_history_mode_stores_hits_and_marks_scanned_but_alerts_nobody(
    db: Database,
) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota, wire transfer"))
    history = IngestService(db, MediaPolicy(frozenset()), scanner=service, alerts=False)
    page = ArchivePage(
        messages=[f.message(i, text=t) for i, t in enumerate(TEXTS, 1)], chats=[CHAT]
    )
    result = await history.ingest_page(page)
    assert result.detections == 3
    assert (await _count(db, detections), await _count(db, alerts)) == (3, 0)
    assert await _unscanned(db) == 0
    assert await service.rescan_unscanned() == 0  # the scheduled rescan finds nothing to alert
    assert await _count(db, alerts) == 0
    live = await _ingest(db, service, ["bogota, live"], start=100)  # the live path still alerts
    assert (live.detections, await _count(db, alerts)) == (1, len(ADMINS))


async def test_rows_are_marked_scanned_as_they_are_written_and_edited(db: Database) -> None:
    clock = Clock()
    service = await _service(db, clock)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    await _ingest(db, None, ["written without a scanner"], start=50)
    ingest = IngestService(db, MediaPolicy(frozenset()), scanner=service, clock=clock)
    await ingest.ingest_page(ArchivePage(messages=[f.message(1, text="plain")], chats=[CHAT]))
    clock.now += timedelta(hours=1)
    edited = f.message(1, text="now in bogota", edit_date=f.at(5))
    result = await ingest.ingest_page(ArchivePage(messages=[edited], chats=[CHAT]))
    assert (len(result.outcome.edited), result.detections) == (1, 1)
    async with db.reader() as uow:
        query = select(messages.c.message_id, messages.c.scanned_at).order_by(messages.c.id)
        stamps = {row[0]: row[1] for row in await uow.connection.execute(query)}
    assert stamps == {50: None, 1: clock.now}  # the edit's UPDATE moved the mark
    async with db.reader() as uow:
        hits = await uow.connection.execute(select(detections.c.context))
    assert [row[0] for row in hits] == ["now in bogota"]  # the scan saw the new text


async def test_the_alert_payload_dates_the_message_in_utc(db: Database) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    local = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    ingest = IngestService(db, MediaPolicy(frozenset()), scanner=service)
    page = ArchivePage(messages=[f.message(1, text="in bogota", date=local)], chats=[CHAT])
    await ingest.ingest_page(page)
    async with db.reader() as uow:
        dates = {row[0]["date"] for row in await uow.connection.execute(select(alerts.c.payload))}
    assert dates == {"2024-05-01T12:30:00+00:00"}


async def _hits(db: Database) -> list[tuple[str, str]]:
    async with db.reader() as uow:
        query = select(messages.c.text, detections.c.matched_text).join(
            messages, messages.c.id == detections.c.message_pk
        )
        rows = await uow.connection.execute(query.order_by(detections.c.id))
        return [(str(text), str(matched)) for text, matched in rows]


async def _ingest_prematched(
    db: Database, service: DetectionService, prematched_for: Callable[[list[Any]], Prematched]
) -> None:
    page = ArchivePage(
        messages=[f.message(1 + i, text=t) for i, t in enumerate(TEXTS)], chats=[CHAT]
    )
    ingest = IngestService(db, MediaPolicy(frozenset()), scanner=service)
    await ingest.ingest_page(page, prematched=prematched_for(page.messages))


async def test_matches_found_ahead_are_stored_instead_of_scanning_again(db: Database) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    snapshot = await service.rule_snapshot()
    assert [rule.name for rule in snapshot.rules] == ["city"]
    # What the parser would have sent, doctored: only the doctored match can come from it.
    ahead = {2: [RuleMatch(snapshot.rules[0].id, 0, "nothing", 0, 7)]}
    await _ingest_prematched(db, service, lambda page: Prematched(snapshot.key, page, ahead))
    assert await _hits(db) == [("nothing to see here", "nothing")]


async def test_matches_found_with_other_rules_are_dropped_and_the_page_scanned(
    db: Database,
) -> None:
    service = await _service(db)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    stale = await service.rule_snapshot()
    await service.add_rule(RuleDraft("wire", RuleKind.KEYWORDS, "wire transfer"))
    ahead = {2: [RuleMatch(stale.rules[0].id, 0, "nothing", 0, 7)]}
    await _ingest_prematched(db, service, lambda page: Prematched(stale.key, page, ahead))
    assert sorted(matched for _, matched in await _hits(db)) == [
        "BOGOTÁ", "Bogotá", "wire transfer", "wire transfer",
    ]  # fmt: skip


async def test_the_snapshot_key_follows_what_decides_matches(db: Database) -> None:
    clock = Clock()
    service = await _service(db, clock)
    await service.add_rule(RuleDraft("city", RuleKind.KEYWORDS, "bogota"))
    snapshot = await service.rule_snapshot()
    clock.now += timedelta(seconds=1)
    await service.set_enabled("city", False)
    assert (await service.rule_snapshot()).key != snapshot.key
    clock.now += timedelta(seconds=1)
    await service.set_enabled("city", True)  # the same rules match again: matches still hold
    assert (await service.rule_snapshot()).key == snapshot.key

"""IngestService on both dialects: one page, one transaction, idempotent, cursor with its page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db.database import Database
from core.db.tables import media
from core.db.uow import UnitOfWork
from core.domain.archive import ArchivePage, CursorUpdate, MediaRef
from core.domain.detection import Prematched, RuleSnapshot
from core.domain.messages import WrittenMessage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f

CHAT = f.chat()
POLICY = MediaPolicy(frozenset({"photo", "document"}), max_size_mb=1)


def _page(*ids: int, media: Sequence[MediaRef] = ()) -> ArchivePage:
    return ArchivePage(
        messages=[f.message(i) for i in ids],
        chats=[CHAT],
        users=[f.user(1001)],
        media=list(media),
        observed_at=f.at(100),
    )


class ExplodingScanner:
    async def scan(
        self,
        uow: UnitOfWork,
        messages: Sequence[WrittenMessage],
        *,
        alerts: bool = True,
        prematched: Prematched | None = None,
    ) -> int:
        raise RuntimeError("detection broke")

    async def rule_snapshot(self) -> RuleSnapshot:
        return RuleSnapshot()


class CountingScanner:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, bool]] = []

    async def scan(
        self,
        uow: UnitOfWork,
        messages: Sequence[WrittenMessage],
        *,
        alerts: bool = True,
        prematched: Prematched | None = None,
    ) -> int:
        self.seen.extend((w.message.message_id, w.message.text, alerts) for w in messages)
        return len(messages)

    async def rule_snapshot(self) -> RuleSnapshot:
        return RuleSnapshot()


async def test_a_page_and_its_cursor_are_stored_together(db: Database) -> None:
    service = IngestService(db, POLICY)
    cursor = CursorUpdate(CHAT.id, next_offset_id=1, fetched=3, done=False, top_message_id=3)
    result = await service.ingest_page(_page(1, 2, 3), cursor=cursor)
    assert len(result.outcome.inserted) == 3
    async with db.reader() as uow:
        saved = await uow.backfill.get(CHAT.id)
        assert await uow.messages.count(CHAT.id) == 3
        assert await uow.users.get(1001) is not None
    assert saved is not None
    assert (saved["next_offset_id"], saved["fetched"], saved["top_message_id"]) == (1, 3, 3)


async def test_a_failing_step_leaves_neither_page_nor_cursor(db: Database) -> None:
    service = IngestService(db, POLICY, scanner=ExplodingScanner())
    cursor = CursorUpdate(CHAT.id, next_offset_id=1, fetched=3, done=False)
    with pytest.raises(RuntimeError, match="detection broke"):
        await service.ingest_page(_page(1, 2, 3), cursor=cursor)
    async with db.reader() as uow:
        assert await uow.messages.count() == 0
        assert await uow.backfill.get(CHAT.id) is None


async def test_media_follow_the_policy_and_are_queued_once(db: Database) -> None:
    refs = [
        MediaRef(CHAT.id, 1, "photo", tg_file_id=11, declared_size=1000),
        MediaRef(CHAT.id, 2, "video", tg_file_id=12, declared_size=1000),
        MediaRef(CHAT.id, 3, "document", tg_file_id=13, declared_size=5 * 1024 * 1024),
    ]
    service = IngestService(db, POLICY)
    first = await service.ingest_page(_page(1, 2, 3, media=refs))
    again = await service.ingest_page(_page(1, 2, 3, media=refs))
    assert (first.media_queued, again.media_queued) == (3, 0)
    async with db.reader() as uow:
        counts = await uow.media.counts()
        columns = (media.c.kind, media.c.tg_file_id, media.c.declared_size, media.c.state,
                   media.c.attempts, media.c.last_error, media.c.created_at)  # fmt: skip
        rows = (await uow.connection.execute(select(*columns).order_by(media.c.id))).all()
    assert counts == {"pending": 1, "skipped": 2}
    assert [tuple(row)[:5] for row in rows] == [
        ("photo", 11, 1000, "pending", 0), ("video", 12, 1000, "skipped", 0),
        ("document", 13, 5 * 1024 * 1024, "skipped", 0),
    ]  # fmt: skip
    assert rows[0].last_error is None and rows[1].last_error and rows[2].last_error
    assert {row.created_at.utcoffset() for row in rows} == {timedelta(0)}


async def test_only_new_and_edited_messages_are_scanned(db: Database) -> None:
    scanner = CountingScanner()
    service = IngestService(db, POLICY, scanner=scanner)
    await service.ingest_page(_page(1, 2))
    page = _page(1, 2)
    page.messages[1] = f.message(2, text="edited", edit_date=f.at(200))
    result = await service.ingest_page(page)
    assert scanner.seen == [
        (1, "message number 1", True),
        (2, "message number 2", True),
        (2, "edited", True),
    ]
    assert result.detections == 1


async def test_messages_of_an_unknown_chat_get_a_placeholder_chat(db: Database) -> None:
    service = IngestService(db, POLICY)
    page = ArchivePage(messages=[f.message(1, chat_id=-777)], observed_at=f.at(0))
    await service.ingest_page(page)
    async with db.reader() as uow:
        chat = await uow.chats.get(-777)
    assert chat is not None
    assert chat["kind"] == "unknown"


async def test_a_chats_own_media_policy_overrides_the_default(db: Database) -> None:
    service = IngestService(db, POLICY)
    await service.ingest_page(_page(1))
    async with db.unit_of_work() as uow:
        await uow.watch.watch(CHAT.id, f.at(0), added_by=1, media_policy={"types": ["video"]})
        await uow.commit()
    refs = [
        MediaRef(CHAT.id, 2, "photo", tg_file_id=21, declared_size=10),
        MediaRef(CHAT.id, 3, "video", tg_file_id=22, declared_size=10),
    ]
    await service.ingest_page(_page(2, 3, media=refs))
    async with db.reader() as uow:
        counts = await uow.media.counts()
    assert counts == {"skipped": 1, "pending": 1}


async def test_copies_of_chats_and_users_are_written_once_and_every_change_is_kept(
    db: Database,
) -> None:
    service = IngestService(db, POLICY)
    renamed, again = replace(CHAT, title="Renamed"), replace(CHAT, title="Renamed again")
    page = ArchivePage(
        messages=[f.message(i) for i in range(1, 301)],
        chats=[CHAT] * 100 + [renamed] * 100 + [again] * 100,  # a live batch: one per event
        users=[f.user(1001)] * 150 + [f.user(1001, username="ana_new")] * 150,
        observed_at=f.at(100),
    )
    result = await service.ingest_page(page)
    assert [(c.old_value, c.new_value) for c in result.chat_changes] == [
        (CHAT.title, "Renamed"),
        ("Renamed", "Renamed again"),
    ]
    assert [(c.field, c.new_value) for c in result.user_changes] == [("username", "ana_new")]
    async with db.reader() as uow:
        history = await uow.chats.history_of(CHAT.id)
        chat = await uow.chats.get(CHAT.id)
        user = await uow.users.get(1001)
    assert [(h.old_value, h.new_value) for h in history] == [
        (CHAT.title, "Renamed"),
        ("Renamed", "Renamed again"),
    ]
    assert chat is not None and chat["title"] == "Renamed again"
    assert user is not None and user["username"] == "ana_new"

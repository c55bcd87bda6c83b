"""The database-only job bodies for real on both dialects: maintenance and the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update

from core.db.database import Database
from core.db.tables import alerts, media, media_blobs, messages
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.jobs.context import JobContext
from services.jobs.digest import send_digest
from services.jobs.maintenance import maintain
from services.tasks.queue import TaskQueue
from tests import factories as f
from tests.integration.scheduler_support import ADMINS, TZ, job_context


async def _ingest_pages(db: Database, pages: int, per_page: int) -> None:
    ingest = IngestService(db, MediaPolicy(frozenset()))
    for page in range(pages):  # one transaction each: one search index segment each
        first = page * per_page + 1
        batch = [f.message(first + i, text=f"harbour report {first + i}") for i in range(per_page)]
        await ingest.ingest_page(ArchivePage(messages=batch, chats=[f.chat()]))


async def _execute(db: Database, *statements: Any) -> None:
    async with db.unit_of_work() as uow:
        for statement in statements:
            await uow.connection.execute(statement)
        await uow.commit()


async def _scalar(db: Database, query: Any) -> Any:
    async with db.reader() as uow:
        return (await uow.connection.execute(query)).scalar_one()


def _write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


async def _media_and_logs(db: Database, context: JobContext) -> None:
    blobs = [{"sha256": "a" * 64, "size": 1000, "path": "aa/a"},
             {"sha256": "b" * 64, "size": 2345, "path": "bb/b"}]  # fmt: skip
    await _execute(db, insert(media_blobs).values(blobs))
    assert context.log_file is not None
    _write(context.log_file, 100)
    _write(context.log_file.with_name("vault.log.1"), 50)
    _write(context.log_file.with_name("vault.log.old"), 999)  # not a rotation: not counted


@pytest.mark.parametrize("dialect", ["sqlite"])  # each dialect has its own maintenance
async def test_maintenance_on_sqlite_merges_vacuums_and_reports_disk_use(
    db: Database, tmp_path: Path
) -> None:
    context = await job_context(db, tmp_path)
    await _ingest_pages(db, pages=13, per_page=5)
    await _execute(
        db,
        text("CREATE TABLE filler (x BLOB)"),
        text("INSERT INTO filler SELECT randomblob(4096) FROM messages, messages LIMIT 600"),
    )
    await _execute(db, text("DROP TABLE filler"))  # fmt: skip
    await _media_and_logs(db, context)

    outcome = await maintain(context)
    data = outcome.data
    assert data["fts_merge_steps"]["messages_fts"] >= 1
    assert data["vacuumed"] is True and data["free_ratio"] >= 0.25
    assert data["checkpoint"]["busy"] == 0
    assert (data["media_bytes"], data["media_files"], data["log_bytes"]) == (3345, 2, 150)
    assert data["database_bytes"] > 0 and data["disk_free_bytes"] > 0
    assert "vacuumed" in outcome.summary and "2 file(s)" in outcome.summary
    assert await _scalar(db, text("PRAGMA freelist_count")) == 0
    found = text("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'harbour'")
    assert await _scalar(db, found) == 65  # the merged index still finds everything

    again = (await maintain(context)).data
    assert again["fts_merge_steps"] == {"messages_fts": 0, "messages_trgm": 0}
    assert again["vacuumed"] is False


@pytest.mark.parametrize("dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_maintenance_on_postgresql_vacuums_and_reports_disk_use(
    db: Database, tmp_path: Path
) -> None:
    context = await job_context(db, tmp_path)
    await _ingest_pages(db, pages=2, per_page=5)
    await _media_and_logs(db, context)
    outcome = await maintain(context)
    assert "messages" in outcome.data["vacuumed_tables"]
    assert (outcome.data["media_bytes"], outcome.data["log_bytes"]) == (3345, 150)
    analyzed = text("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables "
                    "WHERE relname = 'messages'")  # fmt: skip
    assert await _scalar(db, analyzed) is True


async def _seed_a_day(db: Database, now: datetime) -> None:
    await _ingest_pages(db, pages=1, per_page=3)
    queue = TaskQueue(db, clock=lambda: now)
    task, _ = await queue.enqueue("backfill", {"chat_id": 1})
    await queue.claim(("backfill",), "w1")
    await queue.fail(task.id, "w1", "chat is private")
    pk = await _scalar(db, select(func.min(messages.c.id)))
    rows = [
        {"dedup_key": f"d{i}", "kind": "detection", "recipient_chat_id": ADMINS[0],
         "payload": {}, "state": state, "created_at": now - timedelta(hours=1)}
        for i, state in enumerate(("sent", "sent", "pending", "failed"))
    ] + [{"dedup_key": "old", "kind": "detection", "recipient_chat_id": ADMINS[0],
          "payload": {}, "state": "failed", "created_at": now - timedelta(days=2)}]  # fmt: skip
    await _execute(
        db,
        insert(alerts).values(rows),
        insert(media).values(message_pk=pk, kind="photo", state="failed", updated_at=now),
        update(messages).where(messages.c.id == pk).values(text="has media"),
    )


async def test_the_daily_digest_tells_each_admin_once_a_day(db: Database, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    await _seed_a_day(db, now)
    context = await job_context(db, tmp_path)

    outcome = await send_digest(context)
    day = now.astimezone(TZ).date().isoformat()
    assert outcome.summary == f"queued for {len(ADMINS)} admin(s)"
    assert outcome.data["messages"] == 3 and outcome.data["alerts_failed"] == 1
    async with db.reader() as uow:
        query = select(alerts).where(alerts.c.kind == "digest").order_by(alerts.c.id)
        digests = [dict(r._mapping) for r in await uow.connection.execute(query)]
    assert [(d["recipient_chat_id"], d["dedup_key"]) for d in digests] == [
        (admin, f"digest:{day}:{admin}") for admin in ADMINS
    ]
    text_sent = digests[0]["payload"]["text"]
    assert text_sent.splitlines() == [
        f"Daily digest for {day} (last 24 hours)",
        "Archived: 3 message(s) in 1 chat(s)",
        "Alerts: 2 sent, 1 pending, 1 failed",
        "Media: 0 stored, 1 failed",
        "Tasks: 0 done, 1 failed",
        "Failures need a look: /status shows the latest errors.",
    ]
    again = await send_digest(context)
    assert again.data["queued"] == 0 and again.summary == f"already queued for {day}"

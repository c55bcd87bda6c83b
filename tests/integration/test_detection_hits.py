"""Detection hits are stored once per (rule, message) by one statement per dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.db.database import Database
from core.db.tables import detections
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f


async def _rule_and_messages(db: Database) -> tuple[int, list[int]]:
    page = ArchivePage(messages=[f.message(i) for i in (1, 2, 3)], chats=[f.chat()])
    result = await IngestService(db, MediaPolicy(frozenset())).ingest_page(page)
    async with db.unit_of_work() as uow:
        values = {"name": "r", "kind": "keywords", "pattern": "x", "severity": "medium"}
        rule = await uow.rules.add(values, f.at(0))
        await uow.commit()
    return rule.id, [ref.pk for ref in result.outcome.inserted]


def _hit(rule_id: int, pk: int, text: str) -> dict[str, Any]:
    return {"rule_id": rule_id, "message_pk": pk, "matched_text": text,
            "context": f"…{text}…", "created_at": f.at(7)}  # fmt: skip


async def test_only_new_hits_are_returned_and_stored_once(db: Database) -> None:
    rule_id, (one, two, three) = await _rule_and_messages(db)
    async with db.unit_of_work() as uow:
        first = await uow.detections.add_hits([_hit(rule_id, one, "a"), _hit(rule_id, two, "b")])
        again = await uow.detections.add_hits(
            [_hit(rule_id, two, "b again"), _hit(rule_id, three, "c")]
        )
        await uow.commit()
    assert [(h["rule_id"], h["message_pk"]) for h in first] == [(rule_id, one), (rule_id, two)]
    assert [(h["rule_id"], h["message_pk"]) for h in again] == [(rule_id, three)]
    assert first[0]["id"] < first[1]["id"] < again[0]["id"]
    async with db.reader() as uow:
        query = select(detections).order_by(detections.c.id)
        stored = [dict(r) for r in (await uow.connection.execute(query)).mappings()]
    assert [(r["id"], r["matched_text"], r["context"]) for r in stored] == [
        (first[0]["id"], "a", "…a…"), (first[1]["id"], "b", "…b…"), (again[0]["id"], "c", "…c…"),
    ]  # fmt: skip
    assert {r["created_at"] for r in stored} == {f.at(7)}


async def test_no_hits_store_nothing(db: Database) -> None:
    async with db.unit_of_work() as uow:
        assert await uow.detections.add_hits([]) == []


async def test_context_and_time_may_be_left_out(db: Database) -> None:
    rule_id, (one, _, _) = await _rule_and_messages(db)
    before = datetime.now(UTC)
    async with db.unit_of_work() as uow:
        [hit] = await uow.detections.add_hits(
            [{"rule_id": rule_id, "message_pk": one, "matched_text": "a"}]
        )
        await uow.commit()
    async with db.reader() as uow:
        query = select(detections.c.context, detections.c.created_at)
        context, created_at = (await uow.connection.execute(query)).one()
    assert hit["message_pk"] == one
    assert context is None
    assert before <= created_at <= datetime.now(UTC)


async def test_storing_hits_without_ids_counts_only_the_new_ones(db: Database) -> None:
    rule_id, (one, two, three) = await _rule_and_messages(db)
    async with db.unit_of_work() as uow:
        assert await uow.detections.store_hits([], f.at(7)) == 0
        first = [(rule_id, one, "a", "…a…"), (rule_id, two, "b", None)]
        assert await uow.detections.store_hits(first, f.at(7)) == 2
        again = [(rule_id, two, "b again", None), (rule_id, three, "c", "…c…")]
        assert await uow.detections.store_hits(again, f.at(8)) == 1
        await uow.commit()
    async with db.reader() as uow:
        query = select(detections.c.message_pk, detections.c.matched_text, detections.c.context,
                       detections.c.created_at)  # fmt: skip
        stored = sorted((await uow.connection.execute(query)).all())
    assert [tuple(row) for row in stored] == [
        (one, "a", "…a…", f.at(7)), (two, "b", None, f.at(7)), (three, "c", "…c…", f.at(8)),
    ]  # fmt: skip

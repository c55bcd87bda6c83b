"""Message writes on both dialects: idempotent batches, edits as versions, deletions as marks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from core.db.database import Database
from tests import factories as f

CHAT = f.chat()


async def _store(db: Database, *batch: object) -> object:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT], f.at(0))
        outcome = await uow.messages.upsert_batch(list(batch))  # type: ignore[arg-type]
        await uow.commit()
    return outcome


async def _search_ids(db: Database, word: str) -> set[int]:
    """Message ids the dialect's full-text index finds for one folded word."""
    if db.dialect == "sqlite":
        sql = (
            "SELECT m.message_id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "WHERE messages_fts MATCH :q"
        )
        params = {"q": f'"{word}"'}
    else:
        sql = (
            "SELECT message_id FROM messages "
            "WHERE search_vector @@ plainto_tsquery('simple', tv_fold(:q))"
        )
        params = {"q": word}
    async with db.reader() as uow:
        return {row[0] for row in await uow.connection.execute(text(sql), params)}


async def test_a_batch_is_idempotent(db: Database) -> None:
    batch = [f.message(i) for i in range(1, 51)]
    first = await _store(db, *batch)
    again = await _store(db, *batch)
    assert len(first.inserted) == 50  # type: ignore[attr-defined]
    assert again.inserted == [] and again.unchanged == 50  # type: ignore[attr-defined]
    async with db.reader() as uow:
        assert await uow.messages.count(CHAT.id) == 50


async def test_an_edit_keeps_the_earlier_version_and_reindexes(db: Database) -> None:
    await _store(db, f.message(7, text="meet at the harbour"))
    edited = f.message(7, text="meet at the station", edit_date=f.at(60))
    outcome = await _store(db, edited)
    assert [r.message_id for r in outcome.edited] == [7]  # type: ignore[attr-defined]
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 7)
        assert row is not None and row["text"] == "meet at the station"
        versions = await uow.messages.versions(row["id"])
    assert [v["text"] for v in versions] == ["meet at the harbour"]
    assert await _search_ids(db, "station") == {7}
    assert await _search_ids(db, "harbour") == set()


async def test_an_older_version_arriving_late_is_kept_once_without_overwriting(
    db: Database,
) -> None:
    current = f.message(3, text="final wording", edit_date=f.at(90))
    original = f.message(3, text="first wording")
    await _store(db, current)
    first = await _store(db, original)
    second = await _store(db, original)
    assert first.older_versions == 1 and second.older_versions == 0  # type: ignore[attr-defined]
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 3)
        assert row is not None and row["text"] == "final wording"
        assert [v["text"] for v in await uow.messages.versions(row["id"])] == ["first wording"]


async def test_the_latest_edit_in_one_batch_wins_and_the_original_is_kept(db: Database) -> None:
    await _store(db, f.message(5, text="v1"), f.message(5, text="v2", edit_date=f.at(10)))
    await _store(db, f.message(5, text="v1"))  # seen again later: still one version
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 5)
        assert row is not None
        versions = await uow.messages.versions(row["id"])
    assert row["text"] == "v2"
    assert [v["text"] for v in versions] == ["v1"]


async def test_deleted_messages_keep_their_content(db: Database) -> None:
    await _store(db, f.message(1), f.message(2))
    async with db.unit_of_work() as uow:
        assert await uow.messages.mark_deleted([2, 999], f.at(500), chat_id=CHAT.id) == 1
        assert await uow.messages.mark_deleted([2], f.at(600), chat_id=CHAT.id) == 0
        await uow.commit()
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 2)
    assert row is not None
    assert row["deleted_at"] == f.at(500) and row["text"] == "message number 2"


async def test_deletions_without_a_chat_only_touch_private_chats_and_groups(db: Database) -> None:
    group = f.chat(-555, kind="group")
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT, group], f.at(0))
        await uow.messages.upsert_batch([f.message(9), f.message(9, chat_id=group.id)])
        assert await uow.messages.mark_deleted([9], f.at(1)) == 1
        await uow.commit()
        channel_row = await uow.messages.get(CHAT.id, 9)
        group_row = await uow.messages.get(group.id, 9)
    assert channel_row is not None and channel_row["deleted_at"] is None
    assert group_row is not None and group_row["deleted_at"] == f.at(1)


async def test_a_chat_less_deletion_stays_in_the_chats_of_its_account(db: Database) -> None:
    # Two accounts each have a private chat whose message 9 is their own; a third private
    # chat (imported, owned by nobody) is any account's.
    mine, theirs, nobodys = (f.chat(n, kind="user") for n in (501, 502, 503))
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([mine, theirs, nobodys], f.at(0))
        first = await uow.watch.register_account("main", 1)
        second = await uow.watch.register_account("work", 2)
        await uow.watch.watch(mine.id, f.at(0), added_by=None, account_id=first)
        await uow.watch.watch(theirs.id, f.at(0), added_by=None, account_id=second)
        await uow.messages.upsert_batch(
            [f.message(9, chat_id=c.id) for c in (mine, theirs, nobodys)]
        )
        assert await uow.messages.mark_deleted([9], f.at(1), account_id=first) == 2
        await uow.commit()
        deleted = {c.id: (await uow.messages.get(c.id, 9) or {}).get("deleted_at")
                   for c in (mine, theirs, nobodys)}  # fmt: skip
    assert deleted == {mine.id: f.at(1), theirs.id: None, nobodys.id: f.at(1)}


@pytest.mark.parametrize(
    ("stored", "query"),
    [("Llámame al teléfono", "telefono"), ("информация важна", "информация"),
     ("Información útil", "INFORMACION")],
)  # fmt: skip
async def test_search_index_folds_case_and_diacritics(
    db: Database, stored: str, query: str
) -> None:
    await _store(db, f.message(11, text=stored))
    assert await _search_ids(db, query) == {11}


async def test_rollback_without_commit_writes_nothing(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT], f.at(0))
        await uow.messages.upsert_batch([f.message(1)])
    async with db.reader() as uow:
        assert await uow.messages.count() == 0


async def test_unicode_and_entities_round_trip(db: Database) -> None:
    entities = ({"type": "bold", "offset": 0, "length": 2},)
    original = f.message(4, text="你好 مرحبا 🙂", entities=entities, sender_id=None)
    await _store(db, original)
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 4)
    assert row is not None
    assert row["text"] == original.text and row["entities"] == list(entities)
    assert row["date"] == original.date and row["sender_id"] is None
    changed = replace(original, entities=({"type": "italic", "offset": 0, "length": 2},))
    assert len((await _store(db, changed)).edited) == 1  # type: ignore[attr-defined]


async def test_nul_characters_are_stored_as_replacement_characters(db: Database) -> None:
    await _store(db, f.message(12, text="before\x00after"))
    again = await _store(db, f.message(12, text="before\x00after"))
    async with db.reader() as uow:
        row = await uow.messages.get(CHAT.id, 12)
    assert row is not None
    assert row["text"] == "before\ufffdafter"
    assert again.unchanged == 1  # type: ignore[attr-defined]

"""Chats and users keep every change of name, username, bio and photo with its time."""

from __future__ import annotations

from core.db.database import Database
from tests import factories as f


async def test_user_changes_are_recorded_with_time(db: Database) -> None:
    async with db.unit_of_work() as uow:
        assert await uow.users.upsert([f.user(1, username="old_name")], f.at(0)) == []
        changes = await uow.users.upsert(
            [f.user(1, username="new_name", bio="researcher")], f.at(5)
        )
        await uow.commit()
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("username", "old_name", "new_name"),
        ("bio", None, "researcher"),
    }
    async with db.reader() as uow:
        history = await uow.users.history_of(1)
        row = await uow.users.get(1)
    assert [(h.field, h.changed_at) for h in history] == [("username", f.at(5)), ("bio", f.at(5))]
    assert row is not None and row["username"] == "new_name" and row["updated_at"] == f.at(5)


async def test_unknown_fields_never_erase_known_ones(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.users.upsert([f.user(2, bio="keeps this", is_premium=True)], f.at(0))
        changes = await uow.users.upsert([f.user(2, bio=None, is_premium=None)], f.at(1))
        await uow.commit()
        row = await uow.users.get(2)
    assert changes == []
    assert row is not None and row["bio"] == "keeps this" and row["is_premium"] is True


async def test_same_sighting_twice_adds_no_history(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([f.chat(-1, title="Room")], f.at(0))
        await uow.chats.upsert([f.chat(-1, title="Room")], f.at(1))
        renamed = await uow.chats.upsert([f.chat(-1, title="Renamed room")], f.at(2))
        await uow.commit()
        history = await uow.chats.history_of(-1)
    assert [(c.old_value, c.new_value) for c in renamed] == [("Room", "Renamed room")]
    assert len(history) == 1


async def test_mixed_batches_update_only_what_changed(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.users.upsert([f.user(i) for i in range(10, 20)], f.at(0))
        batch = [f.user(i, first_name="Changed") if i % 2 else f.user(i) for i in range(10, 25)]
        changes = await uow.users.upsert(batch, f.at(1))
        await uow.commit()
        rows = [await uow.users.get(i) for i in range(10, 25)]
    assert sorted(c.entity_id for c in changes) == [11, 13, 15, 17, 19]
    assert all(r is not None for r in rows)

"""The batch write's fast paths store what the SQLAlchemy path stores, and find what is stored."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db.database import Database
from core.db.repos import message_keys, messages
from core.db.repos.messages import message_row
from core.db.tables import messages as messages_table
from core.db.upsert import insert_ignore
from core.domain.messages import ArchivedMessage
from tests import factories as f

CHAT = f.chat()
OTHER = f.chat(-1001000000002)
POSTGRES_ONLY = [pytest.param("postgresql", marks=pytest.mark.postgres)]
# Columns the vault sets itself, or that differ between two rows of the same content.
OWN_COLUMNS = {"id", "message_id", "archived_at"}


def _full() -> ArchivedMessage:
    """A message with every field set, accents and nested JSON included."""
    return f.message(
        1, text="Llámame: +34 600 000 000 ✓", sender_id=-1001000000009,
        entities=({"type": "phone", "offset": 9, "length": 15, "extra": {"é": [1, None]}},),
        kind="media", action="pin_message", action_data={"message": 3, "names": ["Ана"]},
        reply_to_msg_id=2, topic_id=1, fwd_from_id=77, fwd_from_name="Zoë", fwd_date=f.at(-5),
        grouped_id=12345678901234, via_bot_id=99, post_author="Ed", views=1_234_567,
        media_kind="photo", edit_date=f.at(30),
    )  # fmt: skip


async def _chats(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT, OTHER], f.at(0))
        await uow.commit()


async def _stored_form(db: Database, message_id: int) -> dict[str, Any]:
    """Each column as the database holds it: SQLite's quote() keeps the storage class, and on
    PostgreSQL the text form tells JSON null from SQL NULL, which read-back values do not."""
    names = [c.name for c in messages_table.c if c.name not in OWN_COLUMNS]
    if db.dialect == "sqlite":
        columns = ", ".join(f"quote({name})" for name in names)
    else:
        columns = ", ".join(f"{name} IS NULL, CAST({name} AS TEXT)" for name in names)
    query = text(f"SELECT {columns} FROM messages WHERE message_id = :id")
    async with db.reader() as uow:
        row = (await uow.connection.execute(query, {"id": message_id})).one()
    return dict(zip(names, zip(*[iter(row)] * (len(row) // len(names)), strict=True), strict=True))


@pytest.mark.parametrize("sparse", [False, True], ids=["every-field", "sparse"])
async def test_the_fast_insert_stores_what_the_core_insert_stores(
    db: Database, sparse: bool
) -> None:
    await _chats(db)
    model = f.message(1) if sparse else _full()
    fast, core = model, replace(model, message_id=2)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch([fast])
        stmt = insert_ignore(uow.dialect, messages_table, ("chat_id", "message_id"))
        await uow.connection.execute(stmt, [message_row(core)])
        await uow.commit()
    expected = await _stored_form(db, 2)
    if db.dialect == "sqlite" and sparse:
        # As ever since SQLite's fast path exists, absent JSON is SQL NULL there where
        # SQLAlchemy's JSON type writes 'null'; both read back as None.
        expected.update(entities=("NULL",), action_data=("NULL",))
    assert await _stored_form(db, 1) == expected


async def test_the_scan_mark_is_stored_as_the_core_insert_stores_it(db: Database) -> None:
    await _chats(db)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch([f.message(1)], scanned_at=f.at(42))
        await uow.messages.upsert_batch([f.message(3)])
        stmt = insert_ignore(uow.dialect, messages_table, ("chat_id", "message_id"))
        await uow.connection.execute(stmt, [{**message_row(f.message(2)), "scanned_at": f.at(42)}])
        await uow.commit()
    marked, core, unmarked = [(await _stored_form(db, i))["scanned_at"] for i in (1, 2, 3)]
    assert marked == core
    assert "NULL" not in marked and True not in marked
    assert unmarked in {("NULL",), (True, None)}  # no scan in the transaction: left unscanned


async def test_every_key_is_found_in_one_lookup_across_chats(db: Database) -> None:
    await _chats(db)
    stored = [f.message(n) for n in range(1, 2501)] + [f.message(5, chat_id=OTHER.id)]
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch(stored)
        asked = [m.key for m in stored] + [(CHAT.id, 9999), (OTHER.id, 4), (-1, 1)]
        found = await message_keys.stored_content(uow.connection, uow.dialect, asked)
    assert set(found) == {m.key for m in stored}  # more keys than one IN list used to take
    assert found[(OTHER.id, 5)].text == "message number 5"


async def test_only_keys_up_to_a_chats_highest_id_may_be_stored(db: Database) -> None:
    await _chats(db)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch([f.message(n) for n in (3, 10)])
        keys = [(CHAT.id, 1), (CHAT.id, 10), (CHAT.id, 11), (OTHER.id, 1)]
        candidates = await message_keys.possibly_stored(uow.connection, uow.dialect, keys)
    assert candidates == [(CHAT.id, 1), (CHAT.id, 10)]


async def test_new_messages_above_the_stored_ones_are_inserted_beside_known_ones(
    db: Database,
) -> None:
    await _chats(db)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch([f.message(n) for n in range(1, 6)])
        await uow.commit()
    async with db.unit_of_work() as uow:
        later = [f.message(n) for n in range(4, 9)] + [
            f.message(4, text="edited", edit_date=f.at(90))
        ]
        outcome = await uow.messages.upsert_batch(later)
        await uow.commit()
    assert [r.message_id for r in outcome.inserted] == [6, 7, 8]
    assert [r.message_id for r in outcome.edited] == [4] and outcome.unchanged == 1


@pytest.mark.parametrize("dialect", POSTGRES_ONLY)
async def test_a_row_another_writer_stored_meanwhile_is_still_compared(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _chats(db)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch([f.message(1), f.message(2)])
        await uow.commit()

    async def nothing_stored(*_args: object) -> list[tuple[int, int]]:
        return []  # as if both were written after the lookup: the insert's conflict rule sees them

    monkeypatch.setattr(messages, "possibly_stored", nothing_stored)
    edit = f.message(2, text="changed", edit_date=f.at(60))
    async with db.unit_of_work() as uow:
        outcome = await uow.messages.upsert_batch([f.message(1), edit, f.message(3)])
        await uow.commit()
    assert [r.message_id for r in outcome.inserted] == [3]
    assert [r.message_id for r in outcome.edited] == [2] and outcome.unchanged == 1


@pytest.mark.parametrize("dialect", POSTGRES_ONLY)
async def test_a_value_too_long_for_its_column_is_refused_not_cut(db: Database) -> None:
    await _chats(db)
    with pytest.raises(DBAPIError, match="too long"):
        async with db.unit_of_work() as uow:
            await uow.messages.upsert_batch([replace(f.message(1), media_kind="x" * 17)])

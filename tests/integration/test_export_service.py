"""ExportService on both dialects: chat lookup, ranges, batches, parts, formats, re-import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from core.db import migrate
from core.db.database import Database
from core.db.tables import chats, messages
from core.domain.archive import ArchivePage, Deletion, MediaRef
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from core.errors import InvalidInputError, NotFoundError
from services.export import ExportRequest, ExportResult, ExportService
from services.export.csv_format import COLUMNS
from services.importer import ContentStore, ImportService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f

COMMUNITY = -1001234567890
OTHER = -1001111111111
NEWS = -1009876543210
EMPTY_CHAT = -4001
MADRID = ZoneInfo("Europe/Madrid")
POLICY = MediaPolicy(frozenset({"photo", "voice"}))
FORMULA = '=HYPERLINK("http://evil","x")'
TRICKY = 'Hola, "mundo"\nsegunda línea, con comas'
CHATS = [
    ChatInfo(COMMUNITY, "supergroup", "Comunidad Ñandú 🌎", "nandu_comunidad"),
    ChatInfo(OTHER, "supergroup", "Comunidad Abierta", None),
    ChatInfo(NEWS, "channel", "News", "news"),
    ChatInfo(EMPTY_CHAT, "group", "Family", None),
]
USERS = [
    UserInfo(1001, "Ana", "García", "ana"),
    UserInfo(1002, None, None, "bob"),
    UserInfo(2001, "Helper", None, "helperbot", is_bot=True),
]
ORIGINAL = "first draft"


def msg(message_id: int, minutes: int, **fields: Any) -> ArchivedMessage:
    fields.setdefault("text", f"message {message_id}")
    fields.setdefault("sender_id", 1001)
    return ArchivedMessage(COMMUNITY, message_id, f.at(minutes), **fields)


COMMUNITY_MESSAGES = [
    msg(-999999939, 0, text="from the old group"),
    msg(1, 1, text=TRICKY),
    msg(2, 2, sender_id=1002, reply_to_msg_id=1, text="bold reply",
        entities=({"type": "bold", "offset": 0, "length": 4},)),
    msg(3, 3, fwd_from_id=NEWS, via_bot_id=2001, text="forwarded"),
    msg(4, 4, kind="media", media_kind="photo", text=""),
    msg(5, 5, kind="media", media_kind="voice", text="listen 🌎"),
    msg(6, 6, kind="service", action="pin_message", action_data={"message_id": 1}, text=""),
    msg(7, 7, text="final text", edit_date=f.at(70)),
    msg(8, 8, text="soon deleted"),
    msg(9, 9, text=FORMULA),
]  # fmt: skip
MEDIA = [
    MediaRef(COMMUNITY, 4, "photo", declared_size=1234),
    MediaRef(COMMUNITY, 5, "voice", file_name="note.ogg", mime_type="audio/ogg", declared_size=99),
]
ORDER = [m.message_id for m in COMMUNITY_MESSAGES]


@pytest.fixture
async def vault(db: Database) -> Database:
    ingest = IngestService(db, POLICY, clock=lambda: f.at(500))
    first = ArchivePage(messages=[msg(7, 7, text=ORIGINAL)], chats=CHATS, users=USERS)
    await ingest.ingest_page(first)
    page = ArchivePage(
        messages=COMMUNITY_MESSAGES,
        chats=CHATS,
        users=USERS,
        media=MEDIA,
        deletions=[Deletion((8,), f.at(80), chat_id=COMMUNITY)],
    )
    await ingest.ingest_page(page)
    other = ArchivedMessage(OTHER, 1, f.at(1), text="elsewhere", sender_id=1002)
    await ingest.ingest_page(ArchivePage(messages=[other]))
    return db


@pytest.fixture
async def fresh_vault(empty_db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(empty_db_url)
    await migrate.upgrade(database.engine)
    try:
        yield database
    finally:
        await database.dispose()


async def export(db: Database, chat: str = "@nandu_comunidad", **options: Any) -> ExportResult:
    fmt = options.pop("fmt", "json")
    since, until = options.pop("since", None), options.pop("until", None)
    service = ExportService(db, **options)
    return await service.export(ExportRequest(chat, fmt, since, until))


def json_messages(result: ExportResult) -> list[dict[str, Any]]:
    return [m for file in result.files for m in json.loads(file.content)["messages"]]


# --- finding the chat ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "chat",
    [
        "@NANDU_comunidad",
        "nandu_comunidad",
        "https://t.me/nandu_comunidad",
        "t.me/c/1234567890/5",
        "-1001234567890",
        "1234567890",  # the bare id Desktop and t.me/c links show
        "ñandú",
        '"Comunidad Ñandú 🌎"',
    ],
)
async def test_the_chat_is_found_however_it_is_named(vault: Database, chat: str) -> None:
    result = await export(vault, chat)
    assert (result.chat_id, result.chat_title) == (COMMUNITY, "Comunidad Ñandú 🌎")
    assert result.messages == len(COMMUNITY_MESSAGES)


async def test_a_title_matching_several_chats_lists_them(vault: Database) -> None:
    with pytest.raises(InvalidInputError, match="matches 2 chats") as caught:
        await export(vault, "comunidad")
    assert str(OTHER) in str(caught.value) and str(COMMUNITY) in str(caught.value)


@pytest.mark.parametrize("chat", ["@nobody_here", "-100999", "Nonexistent title"])
async def test_an_unknown_chat_is_not_found(vault: Database, chat: str) -> None:
    with pytest.raises(NotFoundError, match="no chat in the vault"):
        await export(vault, chat)


async def test_an_unknown_format_is_refused(vault: Database) -> None:
    with pytest.raises(InvalidInputError, match="'xml' is not an export format"):
        await export(vault, fmt="xml")


async def test_a_range_ending_before_it_starts_is_refused(vault: Database) -> None:
    with pytest.raises(InvalidInputError, match="ends before it starts"):
        await export(vault, since=f.at(5), until=f.at(5))


# --- content ------------------------------------------------------------------------------


async def test_json_has_every_message_with_names_media_and_history(vault: Database) -> None:
    result = await export(vault)
    [file] = result.files
    document = json.loads(file.content)
    assert (document["name"], document["type"], document["id"]) == (
        "Comunidad Ñandú 🌎",
        "public_supergroup",
        1234567890,
    )
    found = {m["id"]: m for m in document["messages"]}
    assert [m["id"] for m in document["messages"]] == ORDER
    first = found[1]
    assert (first["from"], first["from_id"], first["text"]) == ("Ana García", "user1001", TRICKY)
    assert found[2]["from"] == "@bob"
    assert found[2]["reply_to_message_id"] == 1
    assert found[2]["text_entities"][0] == {"type": "bold", "text": "bold"}
    assert found[3]["forwarded_from"] == "News"
    assert found[3]["forwarded_from_id"] == "channel9876543210"
    assert found[3]["via_bot"] == "@helperbot"
    assert found[4]["photo_file_size"] == 1234
    assert (found[5]["media_type"], found[5]["file_name"]) == ("voice_message", "note.ogg")
    service = found[6]
    assert (service["type"], service["action"], service["message_id"]) == (
        "service",
        "pin_message",
        1,
    )
    assert service["actor"] == "Ana García"
    assert found[7]["text"] == "final text"
    assert found[7]["vault"]["versions"] == [{"text": ORIGINAL}]
    assert found[8]["vault"]["deleted_unixtime"] == str(int(f.at(80).timestamp()))
    assert "vault" not in found[1]
    assert file.mime_type == "application/json"
    assert file.name == "vault-export-nandu_comunidad-start-latest-part1.json"


async def test_csv_rows_carry_names_dates_and_defused_text(vault: Database) -> None:
    result = await export(vault, fmt="csv")
    [file] = result.files
    assert file.mime_type == "text/csv" and file.name.endswith("-part1.csv")
    reader = csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    rows = {int(r["message_id"]): r for r in reader}
    assert list(rows) == ORDER
    assert rows[1]["text"] == TRICKY
    assert rows[1]["date"] == "2025-01-01T00:01:00+00:00"
    assert rows[1]["sender_name"] == "Ana García"
    assert rows[9]["text"] == "'" + FORMULA
    assert rows[3]["forwarded_from"] == "News"
    assert (rows[4]["kind"], rows[4]["media_kind"]) == ("media", "photo")
    assert rows[7]["edited"] == "2025-01-01T01:10:00+00:00"
    assert rows[8]["deleted"] == "2025-01-01T01:20:00+00:00"
    assert rows[2]["reply_to"] == "1"
    assert rows[1]["chat_id"] == str(COMMUNITY)


async def test_html_shows_times_in_the_zone_and_marks_history(vault: Database) -> None:
    result = await export(vault, fmt="html", tz=MADRID)
    [file] = result.files
    page = file.content.decode()
    assert file.mime_type == "text/html"
    assert "2025-01-01 01:01:00 CET" in page  # message 1 at 00:01 UTC
    assert "Earlier version" in page and ORIGINAL in page
    assert 'id="m8" class="deleted"' in page
    assert "Hola, &quot;mundo&quot;" in page
    assert page.count("<article") == len(COMMUNITY_MESSAGES)


# --- ranges, batches and parts ------------------------------------------------------------


async def test_since_is_inclusive_and_until_exclusive(vault: Database) -> None:
    result = await export(vault, since=f.at(2), until=f.at(5))
    assert [m["id"] for m in json_messages(result)] == [2, 3, 4]
    assert result.messages == 3


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
async def test_an_empty_range_gives_one_valid_empty_file(vault: Database, fmt: str) -> None:
    result = await export(vault, fmt=fmt, since=f.at(1000))
    assert result.messages == 0
    [file] = result.files
    if fmt == "json":
        assert json.loads(file.content)["messages"] == []
    elif fmt == "csv":
        assert file.content.decode("utf-8-sig").splitlines() == [",".join(COLUMNS)]
    else:
        assert b"<main></main>" in file.content and b"</html>" in file.content


async def test_an_empty_chat_exports_an_empty_file(vault: Database) -> None:
    result = await export(vault, "Family")
    assert (result.chat_id, result.messages) == (EMPTY_CHAT, 0)
    assert json.loads(result.files[0].content)["type"] == "private_group"


async def test_a_private_chat_names_a_nameless_person_by_the_chats_title(vault: Database) -> None:
    carla = ChatInfo(3001, "user", "Carla", None)
    note = ArchivedMessage(3001, 1, f.at(1), text="hi", sender_id=3001)
    page = ArchivePage(messages=[note], chats=[carla], users=[UserInfo(3001, is_deleted=True)])
    await IngestService(vault, POLICY).ingest_page(page)
    document = json.loads((await export(vault, "3001")).files[0].content)
    assert (document["type"], document["id"], document["name"]) == ("personal_chat", 3001, "Carla")
    assert document["messages"][0]["from"] == "Carla"


async def test_messages_are_read_in_limited_batches_with_progress(vault: Database) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    progress: list[int] = []

    async def on_progress(count: int) -> None:
        progress.append(count)

    event.listen(vault.engine.sync_engine, "before_cursor_execute", record)
    try:
        service = ExportService(vault, batch_size=3)
        result = await service.export(ExportRequest("@nandu_comunidad"), on_progress=on_progress)
    finally:
        event.remove(vault.engine.sync_engine, "before_cursor_execute", record)
    assert progress == [3, 6, 9, 10]
    assert [m["id"] for m in json_messages(result)] == ORDER
    reads = [s for s in statements if "FROM messages" in s]
    assert len(reads) == 4
    assert all("LIMIT" in s for s in reads)


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
async def test_small_parts_are_each_complete_and_within_the_limit(
    vault: Database, fmt: str
) -> None:
    limit = {"json": 1200, "csv": 450, "html": 2000}[fmt]
    result = await export(vault, fmt=fmt, max_part_bytes=limit, batch_size=4)
    assert len(result.files) >= 3
    assert all(len(file.content) <= limit for file in result.files)
    names = [file.name for file in result.files]
    assert names == [
        f"vault-export-nandu_comunidad-start-latest-part{n}.{fmt}" for n in range(1, len(names) + 1)
    ]
    ids: list[int] = []
    for file in result.files:
        text = file.content.decode("utf-8-sig")
        if fmt == "json":
            ids += [m["id"] for m in json.loads(text)["messages"]]
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
            ids += [int(r["message_id"]) for r in rows]
        else:
            assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
            ids += [int(part.split('"', 1)[0]) for part in text.split('<article id="m')[1:]]
    assert ids == ORDER


async def test_a_message_over_the_limit_gets_a_part_of_its_own(vault: Database) -> None:
    ingest = IngestService(vault, POLICY)
    await ingest.ingest_page(ArchivePage(messages=[msg(50, 50, text="y" * 5000)]))
    result = await export(vault, max_part_bytes=2000, since=f.at(8))
    parts = [[m["id"] for m in json.loads(file.content)["messages"]] for file in result.files]
    assert [50] in parts
    assert [i for part in parts for i in part] == [8, 9, 50]
    big = next(file for file in result.files if b"yyyy" in file.content)
    assert len(big.content) > 2000
    assert all(len(file.content) <= 2000 for file in result.files if file is not big)


async def test_file_names_use_the_days_of_the_range_in_the_zone(vault: Database) -> None:
    since = f.at(0) - timedelta(minutes=30)  # 2024-12-31 23:30 UTC is 2025-01-01 in Madrid
    until = datetime(2025, 1, 4, tzinfo=MADRID)  # excluded: the last day is 2025-01-03
    result = await export(vault, "Family", fmt="csv", tz=MADRID, since=since, until=until)
    assert result.files[0].name == "vault-export-family-2025-01-01-2025-01-03-part1.csv"


# --- round trip ---------------------------------------------------------------------------

COMPARED = (
    "message_id", "date", "text", "entities", "sender_id", "kind", "action", "reply_to_msg_id",
    "fwd_from_id", "media_kind", "edit_date",
)  # fmt: skip


async def stored(db: Database, chat_id: int) -> list[dict[str, Any]]:
    columns = [messages.c[name] for name in (*COMPARED, "action_data")]
    query = select(*columns).where(messages.c.chat_id == chat_id).order_by(messages.c.message_id)
    async with db.reader() as uow:
        return [dict(row) for row in (await uow.connection.execute(query)).mappings()]


async def test_json_parts_import_back_into_a_fresh_vault(
    vault: Database, fresh_vault: Database, tmp_path: Path
) -> None:
    result = await export(vault, max_part_bytes=1500)
    assert len(result.files) > 1
    importer = ImportService(fresh_vault, IngestService(fresh_vault, POLICY),
                             ContentStore(tmp_path / "media"), export_timezone=MADRID)  # fmt: skip
    for number, file in enumerate(result.files):
        folder = tmp_path / f"part{number}"
        folder.mkdir()
        (folder / "result.json").write_bytes(file.content)
        await importer.import_path(folder)
    before, after = await stored(vault, COMMUNITY), await stored(fresh_vault, COMMUNITY)
    assert [{k: row[k] for k in COMPARED} for row in after] == [
        {k: row[k] for k in COMPARED} for row in before
    ]
    services_before = [r["action_data"] for r in before if r["kind"] == "service"]
    assert services_before == [r["action_data"] for r in after if r["kind"] == "service"]
    async with fresh_vault.reader() as uow:
        chat = (await uow.connection.execute(select(chats).where(chats.c.id == COMMUNITY))).one()
    assert (chat.kind, chat.title) == ("supergroup", "Comunidad Ñandú 🌎")

"""Malformed exports stop with a message naming where they broke, and the vault stays as it was."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db.database import Database
from core.db.tables import chats, media, media_blobs, messages, users
from core.errors import InvalidInputError
from tests.integration.test_import_service import FIXTURES, make_importer


def full_account() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "full_account" / "result.json").read_bytes())
    return data


def write_json(folder: Path, data: Any) -> Path:
    """A copy of the full-account fixture's folder with ``data`` as its result.json."""
    shutil.copytree(FIXTURES / "full_account", folder)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    (folder / "result.json").write_text(text, encoding="utf-8")
    return folder


def last_chat_message(data: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = data["left_chats"]["list"][-1]["messages"][-1]
    return message


def without_id(folder: Path) -> Path:
    data = full_account()
    del last_chat_message(data)["id"]
    return write_json(folder, data)


def bad_date(folder: Path) -> Path:
    data = full_account()
    message = last_chat_message(data)
    del message["date_unixtime"]
    message["date"] = "31/12/2024 23:59"
    return write_json(folder, data)


def bad_unixtime(folder: Path) -> Path:
    data = full_account()
    last_chat_message(data)["date_unixtime"] = "yesterday"
    return write_json(folder, data)


def chat_without_id(folder: Path) -> Path:
    data = full_account()
    del data["left_chats"]["list"][-1]["id"]
    return write_json(folder, data)


def truncated(folder: Path) -> Path:
    path = write_json(folder, full_account()) / "result.json"
    path.write_bytes(path.read_bytes()[:-40])
    return folder


def wrong_shape(folder: Path) -> Path:
    return write_json(folder, [full_account()])


def messages_not_a_list(folder: Path) -> Path:
    data = full_account()
    data["left_chats"]["list"][-1]["messages"] = {"id": 1}
    return write_json(folder, data)


def broken_zip(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "export.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return path


def zip_without_json(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ChatExport/messages.html", "<html></html>")
    return path


def html_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "messages.html").write_text("<html></html>")
    return folder


CASES: list[tuple[str, Callable[[Path], Path], list[str]]] = [
    ("message-without-id", without_id,
     ["chat #8 'Канал новостей' (id 1888000000)", "message #2", "has no id"]),
    ("date-does-not-parse", bad_date,
     ["chat #8 'Канал новостей'", "message #2 (id 11)", "'31/12/2024 23:59' does not parse"]),
    ("unixtime-not-a-number", bad_unixtime,
     ["message #2 (id 11)", "'yesterday' is not a number of seconds"]),
    ("chat-without-id", chat_without_id, ["chat #8 'Канал новостей' has no 'id'"]),
    ("truncated", truncated, ["ends before the JSON is complete"]),
    ("top-level-array", wrong_shape, ["the top level is an array"]),
    ("messages-not-a-list", messages_not_a_list, ["'messages' is not an array"]),
    ("broken-zip", broken_zip, ["not a readable zip file"]),
    ("zip-without-result-json", zip_without_json, ["no result.json", "HTML export"]),
    ("html-export-folder", html_folder, ["HTML export"]),
]  # fmt: skip


async def vault_counts(db: Database) -> list[int]:
    async with db.reader() as uow:
        conn = uow.connection
        return [
            int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (messages, chats, users, media, media_blobs)
        ]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_malformed_input_names_the_place_and_writes_nothing(
    db: Database, tmp_path: Path, make: Callable[[Path], Path], expected: list[str]
) -> None:
    path = make(tmp_path / "export")
    # One message per page: pages of the chats before the broken one would be written at once
    # if the file were not validated to its end first.
    service, ingest = make_importer(db, tmp_path / "media", page_size=1)
    with pytest.raises(InvalidInputError) as caught:
        await service.import_path(path)
    message = str(caught.value)
    for part in expected:
        assert part in message
    assert str(path) in message or "result.json" in message
    assert ingest.page_sizes == []
    assert await vault_counts(db) == [0, 0, 0, 0, 0]
    assert not (tmp_path / "media").exists()


async def test_a_failed_import_leaves_an_earlier_import_untouched(
    db: Database, tmp_path: Path
) -> None:
    service, _ = make_importer(db, tmp_path / "media", page_size=1)
    await service.import_path(FIXTURES / "full_account")
    before = await vault_counts(db)
    broken = bad_date(tmp_path / "export")
    data = json.loads((broken / "result.json").read_bytes())
    data["chats"]["list"][0]["messages"][0]["text"] = "changed text that must not be stored"
    (broken / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInputError):
        await service.import_path(broken)
    assert await vault_counts(db) == before
    async with db.reader() as uow:
        first = await uow.messages.get(111, 1)
    assert first is not None and first["text"] == "¿Vienes al club?"


async def test_a_missing_path_is_reported(db: Database, tmp_path: Path) -> None:
    service, _ = make_importer(db, tmp_path / "media")
    with pytest.raises(InvalidInputError, match="no such file or folder"):
        await service.import_path(tmp_path / "nowhere")

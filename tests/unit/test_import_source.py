"""Where an export lives: folder, lone file or zip; media paths never leave the export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from core.errors import InvalidInputError
from services.importer.source import FolderExport, ZipExport, open_export
from services.media.store import ContentStore


def export_folder(root: Path) -> Path:
    folder = root / "ChatExport_2024-09-21"
    (folder / "photos").mkdir(parents=True)
    (folder / "result.json").write_text('{"name": "A", "type": "private_group", "id": 1}')
    (folder / "photos" / "p.jpg").write_bytes(b"jpeg")
    (root / "secret.txt").write_text("outside the export")
    return folder


def test_a_folder_resolves_media_inside_it_only(tmp_path: Path) -> None:
    source = open_export(export_folder(tmp_path))
    assert isinstance(source, FolderExport)
    assert source.locate("photos/p.jpg") == str(source.root / "photos" / "p.jpg")
    assert source.locate("photos\\p.jpg") is not None  # written on Windows
    for outside in ("../secret.txt", "/etc/passwd", "photos/../../secret.txt", "C:/x", "."):
        assert source.locate(outside) is None, outside
    assert source.locate("photos/missing.jpg") is None


def test_a_symlink_out_of_the_export_is_not_followed(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    (folder / "photos" / "link.jpg").symlink_to(tmp_path / "secret.txt")
    assert open_export(folder).locate("photos/link.jpg") is None


def test_a_zip_finds_result_json_in_its_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ChatExport/result.json", "{}")
        out.writestr("ChatExport/photos/p.jpg", b"jpeg")
        out.writestr("ChatExport/chats/chat_1/result.json", "{}")  # deeper: not the export
    source = open_export(archive)
    assert isinstance(source, ZipExport)
    assert source.member == "ChatExport/result.json"
    assert source.locate("photos/p.jpg") == "ChatExport/photos/p.jpg"
    assert source.locate("../ChatExport/photos/p.jpg") is None
    with source.local_file("ChatExport/photos/p.jpg") as copy:
        assert copy.read_bytes() == b"jpeg"
    assert not copy.exists()


def test_a_zip_with_two_exports_side_by_side_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("A/result.json", "{}")
        out.writestr("B/result.json", "{}")
    with pytest.raises(InvalidInputError, match="several exports in one archive"):
        open_export(archive)


def test_a_folder_without_result_json_says_what_it_found(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"no result\.json in it"):
        open_export(tmp_path)


async def test_the_store_keeps_one_file_per_content(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "media")
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"same bytes")
    second.write_bytes(b"same bytes")
    one, two = await store.put_file(first), await store.put_file(second)
    assert one == two
    assert one.size == 10
    assert (
        one.relative_path
        == store.relative(one.sha256)
        == f"{one.sha256[:2]}/{one.sha256[2:4]}/{one.sha256}"
    )
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert stored == [tmp_path / "media" / one.relative_path]

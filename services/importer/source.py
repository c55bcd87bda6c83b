"""Where an export lives: a ``result.json``, the folder holding it, or a ``.zip`` of that folder.

Media paths in the JSON are relative to the folder of ``result.json``. A path that would leave
that folder (absolute, ``..``) is treated as absent. Zip members are read as streams; a media
member is copied out to a temporary file one at a time, never the whole archive.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from core.errors import InvalidInputError

RESULT = "result.json"
HTML_HINT = "this is an HTML export: export again choosing 'Machine-readable JSON'"


class ExportSource(Protocol):
    """The JSON stream and the media files of one export."""

    name: str
    json_size: int | None

    def open_json(self) -> contextlib.AbstractContextManager[IO[bytes]]: ...

    def locate(self, relative: str) -> str | None:
        """A key for the file at ``relative`` when the export holds it, else None."""
        ...

    def local_file(self, key: str) -> contextlib.AbstractContextManager[Path]: ...

    def fingerprint(self) -> tuple[int, int]: ...


def _normalized(relative: str) -> str | None:
    path = posixpath.normpath(relative.replace("\\", "/"))
    if path.startswith(("/", "../")) or path in ("..", ".") or ":" in path.split("/")[0]:
        return None
    return path


def _fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


class FolderExport:
    """An export unpacked on disk (or a lone ``result.json``)."""

    def __init__(self, json_path: Path) -> None:
        self.json_path = json_path
        self.root = json_path.parent.resolve()
        self.name = str(json_path)
        self.json_size: int | None = json_path.stat().st_size

    def open_json(self) -> contextlib.AbstractContextManager[IO[bytes]]:
        return self.json_path.open("rb")

    def locate(self, relative: str) -> str | None:
        normalized = _normalized(relative)
        if normalized is None:
            return None
        candidate = (self.root / normalized).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return str(candidate)

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        yield Path(key)

    def fingerprint(self) -> tuple[int, int]:
        return _fingerprint(self.json_path)


class ZipExport:
    """A zipped export; ``result.json`` may sit at the top or inside one folder."""

    def __init__(self, zip_path: Path) -> None:
        self.zip_path = zip_path
        try:
            with zipfile.ZipFile(zip_path) as archive:
                infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        except (zipfile.BadZipFile, OSError) as error:
            raise InvalidInputError(f"{zip_path}: not a readable zip file ({error})") from error
        self.member = _result_member(zip_path, list(infos))
        self.base = posixpath.dirname(self.member)
        self.members = frozenset(infos)
        self.name = f"{zip_path}:{self.member}"
        self.json_size: int | None = infos[self.member].file_size

    @contextlib.contextmanager
    def open_json(self) -> Iterator[IO[bytes]]:
        with (
            zipfile.ZipFile(self.zip_path) as archive,
            _readable(self.zip_path),
            archive.open(self.member) as stream,
        ):
            yield stream

    def locate(self, relative: str) -> str | None:
        normalized = _normalized(relative)
        if normalized is None:
            return None
        key = posixpath.join(self.base, normalized) if self.base else normalized
        return key if key in self.members else None

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        handle, temp = tempfile.mkstemp(prefix="tv-import-", suffix=".part")
        try:
            with (
                os.fdopen(handle, "wb") as out,
                zipfile.ZipFile(self.zip_path) as archive,
                _readable(self.zip_path),
                archive.open(key) as member,
            ):
                shutil.copyfileobj(member, out, 1 << 20)
            yield Path(temp)
        finally:
            Path(temp).unlink(missing_ok=True)

    def fingerprint(self) -> tuple[int, int]:
        return _fingerprint(self.zip_path)


@contextlib.contextmanager
def _readable(zip_path: Path) -> Iterator[None]:
    try:
        yield
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as error:
        # zipfile raises RuntimeError for encrypted members, NotImplementedError for methods
        raise InvalidInputError(f"{zip_path}: cannot read the archive ({error})") from error


def _result_member(zip_path: Path, names: list[str]) -> str:
    found = [n for n in names if posixpath.basename(n) == RESULT]
    if not found:
        hint = HTML_HINT if any(n.endswith("messages.html") for n in names) else "none found"
        raise InvalidInputError(f"{zip_path}: no {RESULT} in the archive ({hint})")
    shallowest = min(n.count("/") for n in found)
    top = sorted(n for n in found if n.count("/") == shallowest)
    if len(top) > 1:
        listed = ", ".join(top[:5])
        raise InvalidInputError(f"{zip_path}: several exports in one archive ({listed})")
    return top[0]


def open_export(path: Path) -> ExportSource:
    """The export at ``path``: a JSON file, a folder holding ``result.json``, or a zip."""
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or folder")
    if path.is_dir():
        json_path = path / RESULT
        if json_path.is_file():
            return FolderExport(json_path)
        hint = HTML_HINT if (path / "messages.html").exists() else f"no {RESULT} in it"
        raise InvalidInputError(f"{path}: {hint}")
    if path.suffix.lower() == ".zip" or _starts_like_zip(path):
        return ZipExport(path)
    return FolderExport(path)


def _starts_like_zip(path: Path) -> bool:
    with path.open("rb") as head:
        return head.read(2) == b"PK"

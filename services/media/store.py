"""Content-addressed file store under MEDIA_DIR: a file's path is its SHA-256, so copies dedupe."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    relative_path: str  # relative to the store root, as the database keeps it


def _flush_to_disk(handle: BinaryIO) -> None:
    """A stored path must never name a partial file, even after a power cut."""
    handle.flush()
    os.fsync(handle.fileno())


class ContentStore:
    """Files live at ``<root>/<sha[:2]>/<sha[2:4]>/<sha>``; writes go through a temp file + rename.

    Blocking file work runs in a thread so the event loop keeps serving the bot and live updates.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def relative(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    async def put_file(self, source: Path) -> StoredBlob:
        """Copy a local file in (e.g. from a Desktop export)."""
        return await asyncio.to_thread(self._put_file, source)

    async def put_chunks(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        """Store a download as it streams in; the bytes are hashed on the way."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_flush_to_disk, out)
            return await asyncio.to_thread(self._commit, Path(temp_name), digest.hexdigest(), size)
        except BaseException:
            await asyncio.to_thread(Path(temp_name).unlink, missing_ok=True)
            raise

    def _put_file(self, source: Path) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with source.open("rb") as src, os.fdopen(fd, "wb") as out:
                while block := src.read(CHUNK):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
                _flush_to_disk(out)
            return self._commit(Path(temp_name), digest.hexdigest(), size)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _commit(self, temp: Path, sha256: str, size: int) -> StoredBlob:
        target = self.path_for(sha256)
        if target.exists():  # the same content is already stored: keep one copy
            temp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        return StoredBlob(sha256, size, self.relative(sha256))

    async def read_head(self, sha256: str, length: int = 64) -> bytes:
        def _read() -> bytes:
            with self.path_for(sha256).open("rb") as handle:
                return handle.read(length)

        return await asyncio.to_thread(_read)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def disk_usage(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

"""Sizes for /status: the database on disk and the free space left for media, without scans.

SQLite: the database file plus its write-ahead log (recent writes live there until a
checkpoint). PostgreSQL: ``pg_database_size``. Media bytes come from ``media_blobs`` (see
counts), never from walking MEDIA_DIR.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

IN_MEMORY = ("", ":memory:")


def sqlite_path(url: URL) -> Path | None:
    """The database file a SQLite URL names; None for an in-memory database."""
    database = url.database or ""
    if database.startswith("file:"):  # URI filenames: file:path?mode=…
        database = database.removeprefix("file:").split("?", 1)[0]
        if url.query.get("mode") == "memory":
            return None
    if database in IN_MEMORY:
        return None
    return Path(database)


def sqlite_bytes(path: Path) -> int | None:
    """The file's size plus its -wal file's; None when the file is not there."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    wal = path.with_name(path.name + "-wal")
    with contextlib.suppress(OSError):  # none after a clean close: all is in the main file
        size += wal.stat().st_size
    return size


async def database_bytes(conn: AsyncConnection, url: URL) -> int | None:
    """How much disk the vault's database takes; None when it cannot be told."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        size = (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar()
        return int(size) if size is not None else None
    if dialect == "sqlite":
        path = sqlite_path(url)
        return None if path is None else sqlite_bytes(path)
    return None


def disk_free_bytes(directory: Path) -> int | None:
    """Free bytes on the file system that holds ``directory`` (one statvfs call)."""
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None

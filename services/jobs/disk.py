"""Disk usage for maintenance: media (from media_blobs, never a walk), logs, free space."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.db.database import Database
from core.db.tables import media_blobs
from services.status.sizes import database_bytes, disk_free_bytes


async def disk_usage(db: Database, media_dir: Path, log_file: Path | None) -> dict[str, Any]:
    async with db.reader() as uow:
        query = select(func.coalesce(func.sum(media_blobs.c.size), 0), func.count())
        media_bytes, media_files = (await uow.connection.execute(query)).one()
        db_bytes = await database_bytes(uow.connection, db.engine.url)
    return {
        "database_bytes": db_bytes,
        "media_bytes": int(media_bytes),
        "media_files": int(media_files),
        "disk_free_bytes": disk_free_bytes(existing_ancestor(media_dir)),
        "log_bytes": log_bytes(log_file),
    }


def existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest existing parent (MEDIA_DIR appears with the first download)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def log_bytes(log_file: Path | None) -> int | None:
    """The log file and its rotated copies (``vault.log.1`` …); None when logs go to stderr only."""
    if log_file is None:
        return None
    total = 0
    for candidate in log_file.parent.glob(f"{log_file.name}*"):
        suffix = candidate.name[len(log_file.name) :]
        if suffix == "" or (suffix.startswith(".") and suffix[1:].isdigit()):
            with contextlib.suppress(OSError):  # rotated away while we looked
                total += candidate.stat().st_size
    return total


def human_bytes(value: int | None) -> str:
    if value is None:
        return "unknown"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TB"

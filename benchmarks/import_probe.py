"""Child process of the export-import row: one task, measured alone, in a fresh interpreter.

A fresh process gives each task its own peak RSS, untouched by the benchmark's corpus, pools
and caches. The task arrives as JSON on stdin (the database URL may hold a password, so it is
never on the command line); the result leaves as one JSON line on stdout:

- ``{"task": "json_load", "path": ...}``: ``json.load`` of the file, the naive baseline;
- ``{"task": "import", "path": ..., "url": ..., "media": ...}``: ImportService into ``url``.

Only the standard library is imported up front, so the baseline's RSS is that of ``json``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_bytes() -> int:
    """This process's own peak RSS.

    VmHWM belongs to the process's current memory map, which exec makes fresh; getrusage's
    peak does not: on Linux it keeps the parent's peak across fork and exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def json_load(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    with path.open(encoding="utf-8") as source:
        document = json.load(source)
    seconds = time.perf_counter() - started
    chats = document.get("chats", {}).get("list", []) + document.get("left_chats", {}).get(
        "list", []
    )
    if "messages" in document:  # the single-chat form
        chats = [document]
    count = sum(len(chat.get("messages", [])) for chat in chats)
    return {"seconds": seconds, "messages": count, "peak_rss_bytes": peak_rss_bytes()}


async def import_export(path: Path, url: str, media: Path) -> dict[str, Any]:
    # Imported here: the json_load task must not pay for SQLAlchemy and the importer.
    from core.db.database import Database
    from core.log_setup import configure_logging
    from services.importer.service import ImportService
    from services.ingest.media_policy import MediaPolicy
    from services.ingest.service import IngestService
    from services.media.store import ContentStore

    configure_logging("WARNING", "text", None, 1, 0, [])  # stdout carries the result only
    floor = peak_rss_bytes()
    db = Database.from_url(url)
    try:
        service = ImportService(
            db, IngestService(db, MediaPolicy(frozenset())), ContentStore(media)
        )
        started = time.perf_counter()
        summary = await service.import_path(path)
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    return {
        "seconds": seconds,
        "messages": summary.total_messages,
        "inserted": summary.inserted,
        "peak_rss_bytes": peak_rss_bytes(),
        "libraries_rss_bytes": floor,
    }


def main() -> int:
    task = json.loads(sys.stdin.read())
    path = Path(task["path"])
    if task["task"] == "json_load":
        result = json_load(path)
    else:
        result = asyncio.run(import_export(path, task["url"], Path(task["media"])))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Child process of the export-import row: one task, measured alone, in a fresh interpreter.

A fresh process gives each task its own peak RSS, untouched by the benchmark's corpus, pools
and caches. The task arrives as JSON on stdin (the database URL may hold a password, so it is
never on the command line); the result leaves as one JSON line on stdout:

- ``{"task": "json_load", "path": ...}``: ``json.load`` of the file, the naive baseline;
- ``{"task": "import", "path": ..., "url": ..., "media": ..., "rules": N, "seed": S}``:
  ImportService into ``url``, every stored message scanned by a DetectionService holding ``N``
  synthetic rules in history mode (hits stored, no alerts), as the budget's pipeline and the
  import command have it.

Only the standard library is imported up front, so the baseline's RSS is that of ``json``. The
importer parses in a child process of its own: its peak RSS is reported beside this process's.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

SAMPLE_SECONDS = 0.25


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


class ChildrenPeak:
    """The highest VmHWM seen among this process's children (the importer's parser).

    getrusage's figure for children would include the RSS this process had when it forked
    them (Linux keeps it across exec); each child's own VmHWM starts at its exec. It only
    grows, so a sample every SAMPLE_SECONDS misses at most the child's last moments. The
    children are looked for in /proc only while none is known: a scan of every process there
    each time cost the measured import a tenth of its event loop's time.
    """

    def __init__(self) -> None:
        self.peak_bytes = 0

    async def watch(self) -> None:
        known: list[Path] = []
        while True:
            known = [status for status in known if status.exists()] or _children()
            for child in known:
                self.peak_bytes = max(self.peak_bytes, _hwm_bytes(child))
            await asyncio.sleep(SAMPLE_SECONDS)


def _children() -> list[Path]:
    me = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # state, then the parent's pid
            found.append(stat.parent / "status")
    return found


def _hwm_bytes(status: Path) -> int:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return 0


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


async def import_export(path: Path, url: str, media: Path, rules: int, seed: int) -> dict[str, Any]:
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
        scanner = await detection_with_rules(db, rules, seed) if rules else None
        # As ``telegramvault import`` builds it: history, its hits stored without alerts.
        ingest = IngestService(db, MediaPolicy(frozenset()), scanner=scanner, alerts=False)
        service = ImportService(db, ingest, ContentStore(media))
        children = ChildrenPeak()
        watcher = asyncio.ensure_future(children.watch())
        started = time.perf_counter()
        cpu = time.process_time()
        try:
            summary = await service.import_path(path)
        finally:
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu
            watcher.cancel()
    finally:
        await db.dispose()
    return {
        "seconds": seconds,
        "messages": summary.total_messages,
        "inserted": summary.inserted,
        "peak_rss_bytes": peak_rss_bytes(),
        "parser_peak_rss_bytes": children.peak_bytes,
        "libraries_rss_bytes": floor,
        "cpu_seconds": cpu_seconds,
        "parser_cpu_seconds": children_cpu_seconds(),
        "rules": rules,
    }


async def detection_with_rules(db: Any, rules: int, seed: int) -> Any:
    """A DetectionService with ``rules`` synthetic rules stored, and no alert recipients."""
    from core.config_manager import ConfigManager
    from core.enhanced_logging_system import EnhancedLoggingSystem
    from services.detection.bench import synthetic_rules
    from services.detection.service import DetectionService, RuleDraft

    config = ConfigManager(env_file=None, environ={})
    config.load()
    service = DetectionService(config, EnhancedLoggingSystem(), db=db)
    for rule in synthetic_rules(rules, seed):
        draft = RuleDraft(rule.name, rule.kind, rule.pattern, rule.severity,
                          rule.case_sensitive, rule.chat_ids, rule.sender_ids)  # fmt: skip
        await service.add_rule(draft)
    return service


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    task = json.loads(sys.stdin.read())
    path = Path(task["path"])
    if task["task"] == "json_load":
        result = json_load(path)
    else:
        media = Path(task["media"])
        rules, seed = int(task.get("rules", 0)), int(task.get("seed", 0))
        result = asyncio.run(import_export(path, task["url"], media, rules, seed))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

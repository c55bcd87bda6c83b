"""``telegramvault import PATH``: a Telegram Desktop export into the vault, with a progress line.

Registered by ``add_import_parser``; only the database and media keys must be valid, like the
schema commands (an import needs no bot token or Telegram session).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config_manager import ConfigManager
from core.db import migrate
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import ConfigurationError, InvalidInputError, VaultError
from services.detection.service import DetectionService
from services.importer import ContentStore, ImportProgress, ImportService, ImportSummary
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from telegramvault.bootstrap import open_database
from telegramvault.commands import DATABASE_KEYS

IMPORT_KEYS = (*DATABASE_KEYS, "MEDIA_DIR", "MEDIA_DOWNLOAD_TYPES", "MEDIA_MAX_FILE_SIZE_MB")
EX_OK = 0
EX_INVALID = InvalidInputError.exit_code
REFRESH_SECONDS = 0.25


def add_import_parser(subparsers: Any) -> None:
    """Register ``import`` on the CLI's sub-parsers (``argparse._SubParsersAction``)."""
    parser = subparsers.add_parser(
        "import", help="import a Telegram Desktop export (result.json, its folder, or a .zip)"
    )
    parser.add_argument("path", type=Path, help="result.json, the export folder, or a zip of it")
    parser.add_argument(
        "--chat-id", dest="chat_ids", type=int, action="append", metavar="ID",
        help="import only this chat (bare id as in the export, or -100… form); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--export-timezone", type=_zone, default=None, metavar="ZONE",
        help="IANA zone of the computer that made an export older than mid-2022 "
        "(its dates have no offset); default: this machine's zone",
    )  # fmt: skip
    parser.add_argument(
        "--env-file", default=".env", help="configuration file read besides the environment"
    )
    parser.set_defaults(handler=cmd_import)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from None


def cmd_import(args: argparse.Namespace, config: ConfigManager) -> int:
    """Validate, then import the export; prints the summary, or the problem and exits 1."""
    _require_import_keys(config)
    line = ProgressLine(sys.stderr)
    try:
        summary = asyncio.run(_run(args, config, line))
    except InvalidInputError as error:
        line.finish()
        print(f"error: {error}", file=sys.stderr)
        return EX_INVALID
    except VaultError:
        line.finish()  # the command line reports it, on a clean line
        raise
    line.finish()
    print(summary.render())
    return EX_OK


def _require_import_keys(config: ConfigManager) -> None:
    config.load()
    problems = [p for p in config.problems() if p.split(":", 1)[0] in IMPORT_KEYS]
    if problems:
        report = "\n".join(["Configuration cannot import:", *(f"  - {p}" for p in problems)])
        raise ConfigurationError(report, problems)


async def _run(
    args: argparse.Namespace, config: ConfigManager, line: ProgressLine
) -> ImportSummary:
    settings = config.settings
    db = open_database(settings)
    try:
        await migrate.upgrade(db.engine, fts_language=settings.search.fts_language)
        policy = MediaPolicy(
            frozenset(settings.media.download_types), settings.media.max_file_size_mb
        )
        service = ImportService(
            db, history_ingest(config, db, policy), ContentStore(settings.media.dir),
            export_timezone=args.export_timezone,
        )  # fmt: skip
        return await service.import_path(args.path, line.update, chat_ids=args.chat_ids)
    finally:
        await db.dispose()


def history_ingest(config: ConfigManager, db: Database, policy: MediaPolicy) -> IngestService:
    """The ingest step of an import: the vault's rules scan every message as it is stored (hits
    kept, messages marked scanned) in history mode, which alerts nobody about old messages;
    left unscanned, the scheduled rescan would later alert on the whole export."""
    # The scan writes no log records; the CLI's own logging set-up stays in force.
    detection = DetectionService(config, EnhancedLoggingSystem(config), db=db)
    return IngestService(db, policy, scanner=detection, alerts=False)


class ProgressLine:
    """One self-rewriting status line on a terminal; silent when the stream is not a TTY."""

    def __init__(self, stream: TextIO, *, clock: Any = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._active = stream.isatty()
        self._shown_at: float | None = None
        self._width = 0

    def update(self, progress: ImportProgress) -> None:
        if not self._active:
            return
        now = self._clock()
        if self._shown_at is not None and now - self._shown_at < REFRESH_SECONDS:
            return
        self._shown_at = now
        text = render_progress(progress)
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        if self._active and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def render_progress(progress: ImportProgress) -> str:
    percent = f"{progress.percent:5.1f}%" if progress.percent is not None else "     "
    total = f" of {progress.messages_total:,}" if progress.messages_total else ""
    return (
        f"{progress.phase:<10} {percent}  {progress.messages:,}{total} messages  "
        f"{progress.rate:,.0f} msg/s"
    )

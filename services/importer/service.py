"""ImportService: a Telegram Desktop export into the vault, in two streaming passes.

Pass one reads the whole file and checks it, writing nothing, so malformed input stops the run
with the vault exactly as it was. Pass two maps the messages into pages of ``page_size`` that go
through IngestService (one transaction each, idempotent on chat id + message id), then copies
the page's files into the content store. Both passes are parsed in a process of their own
(``pipeline``/``worker``), which drafts the next page while this one stores the current: the
import runs at the speed of the slower of the two, with the event loop free throughout.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import structlog

from core.db.database import Database
from core.db.index_merges import deferred_merges
from core.db.sqlite_bulk import PreparedMessages
from core.db.statistics import refresh_statistics
from core.domain.archive import ArchivePage
from core.domain.detection import Prematched, RuleSnapshot
from core.errors import InvalidInputError
from core.gc_pause import eased_collection
from services.importer.chats import ChatFacts
from services.importer.known import NewEntities
from services.importer.media_copy import MediaCopier, MediaStoreLike
from services.importer.pages import PageDraft
from services.importer.pipeline import ParserProcess, ParserStoppedError
from services.importer.source import ExportSource, open_export
from services.importer.summary import ImportProgress, ImportSummary
from services.importer.validate import Validated
from services.importer.worker import ParseJob
from services.ingest.service import IngestService

log = structlog.get_logger(__name__)
ProgressCallback = Callable[[ImportProgress], None]
NOT_SELECTED = "chat not selected with --chat-id"
# Messages per page, and so per transaction. Each commit writes every index page the
# transaction touched and a new segment in each full-text index (merged again later), so
# bigger transactions cost less per message: 5,000 used about 15 % less time per message than
# 1,000 on SQLite at 500k messages (more as the vault grows), while a page stays a few MB in
# memory, the write lock is held for well under a second and progress still moves often.
IMPORT_PAGE_SIZE = 5000
STATISTICS_AFTER_INSERTS = 10_000  # smaller imports leave the planner's picture as it was


def utc_now() -> datetime:
    return datetime.now(UTC)


class ImportService:
    """Imports ``result.json`` files, their folders or zips; see the module docstring."""

    def __init__(
        self,
        db: Database,
        ingest: IngestService,
        media_store: MediaStoreLike,
        *,
        page_size: int = IMPORT_PAGE_SIZE,
        export_timezone: tzinfo | None = None,
        statistics_after: int = STATISTICS_AFTER_INSERTS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._statistics_after = statistics_after
        self._ingest = ingest
        self._store = media_store
        self._page_size = page_size
        self._zone = export_timezone
        self._clock = clock

    async def import_path(
        self,
        path: Path,
        progress: ProgressCallback | None = None,
        *,
        chat_ids: Collection[int] | None = None,
    ) -> ImportSummary:
        """Import the export at ``path``; ``chat_ids`` (bare or marked) limits it to those chats."""
        started = time.monotonic()
        source = open_export(path)
        log.info("import_started", source=source.name, size=source.json_size)
        # The parser scans each page with the rules of now (the writes check they still hold).
        snapshot = await self._ingest.rule_snapshot()
        rules = snapshot.rules if snapshot is not None else ()
        sqlite_rows = self._db.dialect == "sqlite"  # the parser converts the rows ahead
        job = ParseJob(path, self._zone, self._page_size, rules, sqlite_rows)
        with eased_collection():
            summary = await self._run(job, snapshot, source, progress, chat_ids, started)
        if summary.inserted >= self._statistics_after:
            # A large import leaves the planner guessing until autovacuum or the maintenance
            # job catches up; the first searches after it should not pay for that.
            await refresh_statistics(self._db)
        summary.duration = time.monotonic() - started
        log.info("import_finished", source=source.name, chats=summary.chats,
                 messages=summary.total_messages, inserted=summary.inserted,
                 seconds=round(summary.duration, 2))  # fmt: skip
        return summary

    async def _run(
        self, job: ParseJob, snapshot: RuleSnapshot | None, source: ExportSource,
        progress: ProgressCallback | None, chat_ids: Collection[int] | None, started: float,
    ) -> ImportSummary:  # fmt: skip
        fingerprint = source.fingerprint()  # before the parser opens the file
        async with ParserProcess(job, source.name) as parser:
            validated = await self._validate(parser, source, fingerprint, progress, started)
            ordinals = _selection(validated.chats, chat_ids)

            def selected(chat: ChatFacts) -> bool:
                return ordinals is None or chat.ordinal in ordinals

            summary = self._first_summary(source, validated, selected)
            total = sum(c.count for c in validated.chats if selected(c))
            reporter = _Reporter(progress, started, total)
            async with deferred_merges(self._db):  # the search indexes catch up at the end
                await self._import(parser, ordinals, source, summary, reporter, snapshot)
        return summary

    def _first_summary(
        self, source: ExportSource, validated: Validated, selected: Callable[[ChatFacts], bool]
    ) -> ImportSummary:
        """What the validation pass already knows; the import pass adds the rest."""
        zone = str(self._zone) if self._zone is not None else "this machine's local"
        summary = ImportSummary(source=source.name, time_zone=zone)
        summary.unknown_keys.update(validated.unknown_keys)
        summary.repairs.update(validated.repairs)
        summary.bytes_read = validated.bytes_read
        left_out = sum(1 for c in validated.chats if not selected(c))
        if left_out:
            summary.skipped[NOT_SELECTED] = left_out
        return summary

    async def _validate(
        self, parser: ParserProcess, source: ExportSource, fingerprint: tuple[int, int],
        progress: ProgressCallback | None, started: float,
    ) -> Validated:  # fmt: skip
        size = source.json_size

        def report(bytes_read: int, messages: int) -> None:
            if progress is not None:
                progress(ImportProgress("validating", bytes_read, size, messages, None,
                                        time.monotonic() - started))  # fmt: skip

        validated = await parser.validated(report)
        if source.fingerprint() != fingerprint:
            raise InvalidInputError(f"{source.name} changed while it was being validated")
        return validated

    async def _import(
        self,
        parser: ParserProcess,
        selected: frozenset[int] | None,
        source: ExportSource,
        summary: ImportSummary,
        reporter: _Reporter,
        snapshot: RuleSnapshot | None,
    ) -> None:
        entities = NewEntities(self._db)
        copier = MediaCopier(self._db, self._store, source, self._clock)
        written = 0
        try:
            async with contextlib.aclosing(parser.pages(selected)) as drafts:
                async for draft in drafts:
                    await self._store_page(draft, entities, copier, summary, snapshot)
                    written += 1
                    reporter.page(draft, source.json_size)
        except InvalidInputError as error:
            raise InvalidInputError(
                f"{error} (the file changed after it was validated; {written} pages were "
                "stored: importing it again is safe and adds only what is missing)"
            ) from error
        except ParserStoppedError as error:
            raise ParserStoppedError(
                f"{error}; {written} pages were stored: importing again is safe and adds "
                "only what is missing"
            ) from error
        summary.add_mapping(parser.stats)

    async def _store_page(
        self, draft: PageDraft, entities: NewEntities, copier: MediaCopier,
        summary: ImportSummary, snapshot: RuleSnapshot | None,
    ) -> None:  # fmt: skip
        users, chats = await entities.keep_new(list(draft.users.values()),
                                               list(draft.chats.values()))  # fmt: skip
        page = ArchivePage(messages=draft.messages, chats=chats, users=users, media=draft.media)
        prematched = None
        if snapshot is not None and snapshot.rules:
            prematched = Prematched(snapshot.key, draft.messages, draft.matches)
        prepared = None
        if draft.sqlite_values is not None and draft.folded is not None:
            prepared = PreparedMessages(draft.messages, draft.sqlite_values, draft.folded)
        result = await self._ingest.ingest_page(page, prematched=prematched, prepared=prepared)
        summary.chats += draft.opened
        summary.add_outcome(result.outcome, result.media_queued)
        await copier.copy_page(draft, result.outcome.stored, summary)


class _Reporter:
    """Progress of the import pass, one snapshot per stored page."""

    def __init__(self, progress: ProgressCallback | None, started: float, total: int) -> None:
        self._progress = progress
        self._started = started
        self._total = total
        self._done = 0

    def page(self, draft: PageDraft, size: int | None) -> None:
        self._done += len(draft.messages)
        if self._progress is not None:
            elapsed = time.monotonic() - self._started
            self._progress(ImportProgress("importing", draft.bytes_read, size, self._done,
                                          self._total, elapsed))  # fmt: skip


def _selection(chats: list[ChatFacts], chat_ids: Collection[int] | None) -> frozenset[int] | None:
    """Ordinals of the chats ``chat_ids`` names (None: every chat)."""
    if chat_ids is None:
        return None
    wanted = set(chat_ids)
    matched = frozenset(c.ordinal for c in chats if c.bare_id in wanted or c.marked[0] in wanted)
    found = {c.bare_id for c in chats if c.ordinal in matched} | {
        c.marked[0] for c in chats if c.ordinal in matched
    }
    absent = sorted(wanted - found)
    if absent:
        listed = ", ".join(str(i) for i in absent)
        raise InvalidInputError(f"no chat with id {listed} in the export")
    return matched

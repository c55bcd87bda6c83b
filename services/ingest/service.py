"""IngestService: one archive page, one transaction (entities, messages, media, detection)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from core.db.database import Database
from core.db.repos.entities import FieldChange
from core.db.sqlite_bulk import PreparedMessages
from core.db.uow import UnitOfWork
from core.domain.archive import ArchivePage, CursorUpdate, MediaRef
from core.domain.detection import Prematched, RuleSnapshot
from core.domain.messages import IngestOutcome
from core.ports.detection import MessageScanner
from services.ingest.entities import upsert_rounds
from services.ingest.media_policy import MediaPolicy

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class PageResult:
    """What one page changed, for progress reports, alerts on watched people and media work."""

    outcome: IngestOutcome
    user_changes: list[FieldChange] = field(default_factory=list)
    chat_changes: list[FieldChange] = field(default_factory=list)
    media_queued: int = 0
    detections: int = 0
    deleted: int = 0


class IngestService:
    """Writes archive pages idempotently; a failure leaves nothing of the page behind."""

    def __init__(
        self,
        db: Database,
        media_policy: MediaPolicy,
        *,
        scanner: MessageScanner | None = None,
        alerts: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``scanner`` scans every new or edited message in the transaction that writes it.

        ``alerts=False`` is history mode (imports of old messages): the scan still stores its
        hits and the messages count as scanned, but nobody is alerted about them.
        """
        self._db = db
        self._policy = media_policy
        self._scanner = scanner
        self._alerts = alerts
        self._clock = clock

    async def rule_snapshot(self) -> RuleSnapshot | None:
        """The scanner's rules now, for a scan ahead of the writes (None: nothing scans)."""
        return None if self._scanner is None else await self._scanner.rule_snapshot()

    async def ingest_page(
        self,
        page: ArchivePage,
        *,
        cursor: CursorUpdate | None = None,
        index: bool = True,
        prematched: Prematched | None = None,
        prepared: PreparedMessages | None = None,
    ) -> PageResult:
        """Store ``page`` and, when given, the backfill cursor describing it, atomically.

        ``prematched``: detection's matches for the page's messages, found before the write;
        ``prepared``: their SQLite row values and folded texts, converted before the write.
        """
        at = page.observed_at or self._clock()
        async with self._db.unit_of_work() as uow:
            result = await self._write(
                uow, page, at, index=index, prematched=prematched, prepared=prepared
            )
            if cursor is not None:
                await uow.backfill.save(cursor, at)
            await uow.commit()
        log.debug(
            "page_ingested",
            inserted=len(result.outcome.inserted),
            edited=len(result.outcome.edited),
            media=result.media_queued,
        )
        return result

    async def _write(
        self,
        uow: UnitOfWork,
        page: ArchivePage,
        at: datetime,
        *,
        index: bool,
        prematched: Prematched | None,
        prepared: PreparedMessages | None,
    ) -> PageResult:
        chat_changes: list[FieldChange] = []
        for chats in upsert_rounds(page.chats):
            chat_changes += await uow.chats.upsert(chats, at)
        known = {chat.id for chat in page.chats}
        await uow.chats.ensure([m.chat_id for m in page.messages if m.chat_id not in known], at)
        user_changes: list[FieldChange] = []
        for users in upsert_rounds(page.users):
            user_changes += await uow.users.upsert(users, at)
        # Rows the scanner sees below are marked scanned as they are written (no UPDATE after).
        scanned_at = self._clock() if self._scanner is not None else None
        outcome = await uow.messages.upsert_batch(
            page.messages, index=index, scanned_at=scanned_at, prepared=prepared
        )
        media_queued = await self._queue_media(uow, page.media, outcome, at)
        detections = 0
        if self._scanner is not None and outcome.written_messages:
            detections = await self._scanner.scan(
                uow, outcome.written_messages, alerts=self._alerts, prematched=prematched
            )
        deleted = 0
        for deletion in page.deletions:  # after the messages: a page may add then delete one
            deleted += await uow.messages.mark_deleted(
                deletion.message_ids,
                deletion.deleted_at,
                deletion.chat_id,
                account_id=deletion.account_id,
            )
        return PageResult(outcome, user_changes, chat_changes, media_queued, detections, deleted)

    async def _queue_media(
        self, uow: UnitOfWork, refs: Sequence[MediaRef], outcome: IngestOutcome, at: datetime
    ) -> int:
        if not refs:
            return 0
        overrides = await uow.watch.media_policies({ref.chat_id for ref in refs})
        rows = []
        for ref in refs:
            pk = outcome.stored.get((ref.chat_id, ref.message_id))
            if pk is None:
                log.warning("media_without_message", chat_id=ref.chat_id, message_id=ref.message_id)
                continue
            policy = self._policy.for_chat(overrides.get(ref.chat_id))
            state, reason = policy.initial_state(ref)
            rows.append((ref, pk, state, reason))
        return await uow.media.enqueue(rows, at)

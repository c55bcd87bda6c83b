"""BackfillService: a chat's history from the newest message down, a page and its cursor at a time.

The cursor (table ``backfill_cursors``) is committed in the same transaction as the page it
describes, so a crash between pages loses nothing and repeats nothing: the next run asks for
exactly the page after the last one stored. Cursor states:

- ``done`` False, ``next_offset_id`` NULL: not started (or restarted); the next page is the newest.
- ``done`` False, ``next_offset_id`` X: resume with the messages older than X.
- ``done`` True, ``next_offset_id`` NULL: the whole history down to the first message is stored.
- ``done`` True, ``next_offset_id`` X: the pass stopped early (limit/since); older ones remain.

``top_message_id`` is the newest id a pass started from; ``catch_up`` fills what came after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog

from core.db.database import Database
from core.domain.archive import ArchivePage, CursorUpdate
from core.errors import InvalidInputError
from core.ports.telegram import HistoryPage, TelegramGateway
from services.ingest.service import IngestService, PageResult, utc_now

log = structlog.get_logger(__name__)

MAX_PAGE_SIZE = 100  # messages.getHistory never returns more


@dataclass(slots=True)
class BackfillReport:
    """What one run did; passed to the progress callback after every page."""

    chat_id: int
    pages: int = 0  # history requests this run made
    messages: int = 0  # messages received and written (idempotently)
    inserted: int = 0
    edited: int = 0
    caught_up: int = 0  # of them, newer than the previous top (the gap filled)
    resumed: bool = False  # this run continued an interrupted pass
    done: bool = False  # the pass is finished (history start reached, or limit/since hit)
    complete: bool = False  # the history is stored down to its first message
    top_message_id: int | None = None
    next_offset_id: int | None = None

    def add(self, result: PageResult, received: int) -> None:
        self.pages += 1
        self.messages += received
        self.inserted += len(result.outcome.inserted)
        self.edited += len(result.outcome.edited)


ProgressCallback = Callable[[BackfillReport], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Cursor:
    top: int | None = None
    next_offset: int | None = None
    fetched: int = 0
    done: bool = False
    since: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any] | None) -> _Cursor:
        if row is None:
            return cls()
        return cls(
            row["top_message_id"], row["next_offset_id"], row["fetched"], row["done"], row["since"]
        )

    def allows_more(self, limit: int | None, since: datetime | None) -> bool:
        """Whether a finished pass that stopped early should go deeper for these bounds."""
        if self.next_offset is None:
            return False  # the first message is already stored
        if limit is not None and self.fetched >= limit:
            return False
        return since is None or self.since is None or since < self.since


@dataclass(frozen=True, slots=True)
class _Bounds:
    limit: int | None
    since: datetime | None
    page_size: int

    def request_size(self, fetched: int) -> int:
        if self.limit is None:
            return self.page_size
        return max(min(self.page_size, self.limit - fetched), 0)


class BackfillService:
    """Fills the vault with the history of chats through the TelegramGateway port."""

    def __init__(
        self,
        gateway: TelegramGateway,
        ingest: IngestService,
        db: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._gateway = gateway
        self._ingest = ingest
        self._db = db
        self._clock = clock

    async def backfill(
        self,
        chat_id: int,
        *,
        limit: int | None = None,
        since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        rescan: bool = False,
        progress: ProgressCallback | None = None,
    ) -> BackfillReport:
        """Page the history down from the newest message, resuming an interrupted pass.

        ``limit`` caps the messages the chat's passes store in total; ``since`` stops at the
        first older message. A finished chat only gets what is newer (``catch_up``);
        ``rescan`` starts a new pass from the top to pick up edits of older messages.
        """
        _check_page_size(page_size)
        if limit is not None and limit < 1:
            raise InvalidInputError(f"limit must be at least 1, got {limit}")
        cursor = await self._prepare(chat_id, limit, since, rescan)
        if cursor.done:
            return await self.catch_up(chat_id, page_size=page_size, progress=progress)
        bounds = _Bounds(limit, since, page_size)
        return await self._page_down(chat_id, cursor, bounds, progress)

    async def _prepare(
        self, chat_id: int, limit: int | None, since: datetime | None, rescan: bool
    ) -> _Cursor:
        """Store the chat (fresh from Telegram) and open, resume or re-open its cursor."""
        resolved = await self._gateway.resolve_chat(str(chat_id))
        if resolved.chat.id != chat_id:
            raise InvalidInputError(f"{chat_id} resolved to another chat ({resolved.chat.id})")
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            await uow.chats.upsert([resolved.chat], at)
            cursor = _Cursor.from_row(await uow.backfill.get(chat_id))
            if rescan:
                # Keep the old top in memory only: the first page of the new pass moves it up.
                cursor = _Cursor(top=None, since=since)
                await uow.backfill.save(CursorUpdate(chat_id, None, 0, done=False), at)
            if not cursor.done or cursor.allows_more(limit, since):
                await uow.backfill.start(chat_id, at, limit=limit, since=since)
                cursor = replace(cursor, done=False)
            await uow.commit()
        return cursor

    async def _page_down(
        self, chat_id: int, cursor: _Cursor, bounds: _Bounds, progress: ProgressCallback | None
    ) -> BackfillReport:
        report = _describe(BackfillReport(chat_id), cursor)
        report.resumed = cursor.next_offset is not None or cursor.fetched > 0
        while not cursor.done:
            size = bounds.request_size(cursor.fetched)
            if size == 0:  # an earlier pass already stored ``limit`` messages
                cursor = replace(cursor, done=True)
                await self._save(chat_id, cursor)
                break
            history = await self._gateway.fetch_history(
                chat_id, offset_id=cursor.next_offset or 0, limit=size
            )
            page, cursor = _advance(cursor, history, bounds)
            result = await self._ingest.ingest_page(page, cursor=_update(chat_id, cursor))
            _describe(report, cursor).add(result, len(page.messages))
            _log_page(chat_id, cursor, len(page.messages))
            if progress is not None:
                await progress(report)
        return report

    async def catch_up(
        self,
        chat_id: int,
        *,
        page_size: int = MAX_PAGE_SIZE,
        progress: ProgressCallback | None = None,
    ) -> BackfillReport:
        """Fetch what is newer than the stored top (the gap while the service was down).

        Pages go from the newest message down to the top; the top moves up with the last page.
        A chat with no pass started has nothing to fill. An interrupted catch-up starts again
        from the newest message next time (idempotent writes, so nothing is duplicated).
        """
        _check_page_size(page_size)
        async with self._db.reader() as uow:
            cursor = _Cursor.from_row(await uow.backfill.get(chat_id))
        report = _describe(BackfillReport(chat_id), cursor)
        if cursor.top is None and not cursor.done:
            return report
        floor, offset, newest = cursor.top or 0, 0, cursor.top
        while True:
            # Below a known offset at most ``offset - floor - 1`` ids are missing: ask for no more.
            size = page_size if offset == 0 else min(page_size, offset - floor - 1)
            history = await self._gateway.fetch_history(chat_id, offset_id=offset, limit=size)
            page = _newer_than(history.page, floor)  # older ones obey the pass's limit/since
            newest = max([newest or 0, *(m.message_id for m in page.messages)]) or None
            reached = history.lowest_id is None or history.lowest_id <= floor + 1
            update = _update(chat_id, replace(cursor, top=newest)) if reached else None
            report.add(await self._ingest.ingest_page(page, cursor=update), len(page.messages))
            report.caught_up, report.top_message_id = report.messages, newest
            if progress is not None:
                await progress(report)
            if reached or history.lowest_id is None:
                break
            offset = history.lowest_id
        log.info("backfill_caught_up", chat_id=chat_id, messages=report.caught_up, top=newest)
        return report

    async def _save(self, chat_id: int, cursor: _Cursor) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.backfill.save(_update(chat_id, cursor), self._clock())
            await uow.commit()


def _advance(cursor: _Cursor, history: HistoryPage, bounds: _Bounds) -> tuple[ArchivePage, _Cursor]:
    """The part of a fetched page to store, and the cursor that describes the vault after it."""
    page = history.page
    kept = [m for m in page.messages if bounds.since is None or m.date >= bounds.since]
    cut_by_since = len(kept) < len(page.messages)
    top = cursor.top
    if top is None:  # the first page of a pass: its newest message is the pass's top
        top = max((m.message_id for m in page.messages), default=None)
    fetched = cursor.fetched + len(kept)
    reached_start = history.lowest_id is None or history.lowest_id <= 1
    if reached_start and not cut_by_since:
        next_offset = None
    elif cut_by_since:
        fallback = cursor.next_offset or (top + 1 if top is not None else None)
        next_offset = min((m.message_id for m in kept), default=fallback)
    else:
        next_offset = history.lowest_id
    hit_limit = bounds.limit is not None and fetched >= bounds.limit
    done = reached_start or cut_by_since or hit_limit
    trimmed = _only(page, {m.message_id for m in kept})
    return trimmed, replace(cursor, top=top, next_offset=next_offset, fetched=fetched, done=done)


def _newer_than(page: ArchivePage, floor: int) -> ArchivePage:
    return _only(page, {m.message_id for m in page.messages if m.message_id > floor})


def _only(page: ArchivePage, message_ids: set[int]) -> ArchivePage:
    """``page`` with just these messages (and their media); chats and users stay."""
    return replace(
        page,
        messages=[m for m in page.messages if m.message_id in message_ids],
        media=[r for r in page.media if r.message_id in message_ids],
    )


def _describe(report: BackfillReport, cursor: _Cursor) -> BackfillReport:
    report.top_message_id, report.next_offset_id = cursor.top, cursor.next_offset
    report.done, report.complete = cursor.done, cursor.done and cursor.next_offset is None
    return report


def _update(chat_id: int, cursor: _Cursor) -> CursorUpdate:
    return CursorUpdate(
        chat_id, cursor.next_offset, cursor.fetched, cursor.done, top_message_id=cursor.top
    )


def _log_page(chat_id: int, cursor: _Cursor, count: int) -> None:
    log.info(
        "backfill_page_saved", chat_id=chat_id, count=count, fetched=cursor.fetched,
        next_offset_id=cursor.next_offset, done=cursor.done,
    )  # fmt: skip


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")

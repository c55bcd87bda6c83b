"""ExportService: one chat of the vault as JSON, CSV or HTML documents for the bot to send."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from core.db.database import Database
from core.errors import InvalidInputError
from services.export.chats import chat_reference, find_chat
from services.export.formats import DocumentFormat, document_format, format_name
from services.export.models import ExportChat, ExportFile, ExportRequest, ExportResult, ExportWindow
from services.export.parts import PartWriter
from services.export.reader import read_batch

log = structlog.get_logger(__name__)
Progress = Callable[[int], Awaitable[None]]
DEFAULT_MAX_PART_BYTES = 45 * 1024 * 1024  # under the Bot API's 50 MB upload limit
UTC_ZONE = ZoneInfo("UTC")
SLUG_LENGTH = 40
NOT_SLUG = re.compile(r"[^a-z0-9]+")
LAST_INSTANT = timedelta(microseconds=1)  # ``until`` is excluded: name the day before it


class ExportService:
    """Exports a chat (the engine behind ``/export``): see ``export``.

    ``tz`` is the admin's time zone (HTML times, JSON local dates, file names); ``batch_size``
    messages are read per query; parts stay within ``max_part_bytes``.
    """

    def __init__(
        self,
        db: Database,
        *,
        max_part_bytes: int = DEFAULT_MAX_PART_BYTES,
        tz: ZoneInfo = UTC_ZONE,
        batch_size: int = 2000,
    ) -> None:
        if max_part_bytes < 1 or batch_size < 1:
            raise ValueError("max_part_bytes and batch_size must be positive")
        self._db = db
        self._max_part_bytes = max_part_bytes
        self._tz = tz
        self._batch_size = batch_size

    async def export(
        self, request: ExportRequest, *, on_progress: Progress | None = None
    ) -> ExportResult:
        """The chat's messages in ``[since, until)`` as one or more self-contained files.

        NotFoundError when no chat in the vault matches; InvalidInputError for a bad format,
        range or chat reference. ``on_progress`` gets the number of messages written so far
        after each batch. An empty range gives one valid, empty document.
        """
        fmt = format_name(request.fmt)
        since, until = _utc(request.since), _utc(request.until)
        if since is not None and until is not None and until <= since:
            raise InvalidInputError("the date range ends before it starts")
        ref = chat_reference(request.chat)
        async with self._db.reader() as uow:
            chat = await find_chat(uow.connection, ref)
        window = ExportWindow(chat, since, until)
        document = document_format(fmt, window, self._tz)
        log.info("export_started", chat_id=chat.id, fmt=fmt, since=since, until=until)
        writer = PartWriter(document, self._max_part_bytes)
        count = await self._write_messages(window, document, writer, on_progress)
        files = self._files(window, document, writer.finish())
        log.info("export_finished", chat_id=chat.id, fmt=fmt, messages=count, parts=len(files),
                 bytes=sum(len(f.content) for f in files))  # fmt: skip
        return ExportResult(chat.id, chat.title, count, files)

    async def _write_messages(
        self,
        window: ExportWindow,
        document: DocumentFormat,
        writer: PartWriter,
        on_progress: Progress | None,
    ) -> int:
        count = 0
        after: int | None = None
        while True:
            async with self._db.reader() as uow:  # one short read per batch, no long transaction
                batch = await read_batch(uow.connection, window, after, self._batch_size)
            for message in batch:
                writer.add(document.item(message))
            count += len(batch)
            if batch and on_progress is not None:
                await on_progress(count)
            if len(batch) < self._batch_size:
                return count
            after = batch[-1].message_id

    def _files(
        self, window: ExportWindow, document: DocumentFormat, parts: list[bytes]
    ) -> tuple[ExportFile, ...]:
        stem = f"vault-export-{chat_slug(window.chat)}-{self._span(window)}"
        return tuple(
            ExportFile(f"{stem}-part{number}.{document.extension}", content, document.mime_type)
            for number, content in enumerate(parts, start=1)
        )

    def _span(self, window: ExportWindow) -> str:
        """``<first day>-<last day>`` in the admin's time zone; open ends say so."""
        first = self._day(window.since) if window.since else "start"
        last = self._day(window.until - LAST_INSTANT) if window.until else "latest"
        return f"{first}-{last}"

    def _day(self, value: datetime) -> str:
        return value.astimezone(self._tz).date().isoformat()


def chat_slug(chat: ExportChat) -> str:
    """A file-name-safe name: the username, else the title in ASCII, else the id."""
    if chat.username:
        return chat.username.lower()
    ascii_title = unicodedata.normalize("NFKD", chat.title or "").encode("ascii", "ignore")
    slug = NOT_SLUG.sub("-", ascii_title.decode().lower()).strip("-")[:SLUG_LENGTH].strip("-")
    return slug or f"chat{abs(chat.id)}"


def _utc(value: datetime | None) -> datetime | None:
    """Requests carry UTC; a naive datetime is taken as UTC rather than refused."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

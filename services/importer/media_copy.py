"""Files of a stored page copied into the content store and their media rows marked done.

Runs after the page's transaction: the media rows exist (queued by ingest) and a crash in
between leaves them pending, so importing again finishes the copy. Rows the media policy
skipped stay skipped; rows already done are left alone (a second import copies nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from sqlalchemy import select

from core.db.database import Database
from core.db.repos.media import DONE, SKIPPED
from core.db.tables import media, media_blobs
from services.importer.pages import PageDraft
from services.importer.source import ExportSource
from services.importer.summary import ImportSummary
from services.media.store import StoredBlob

log = structlog.get_logger(__name__)
ABSENT = "listed in result.json but absent from the export"
KEY_CHUNK = 500


class MediaStoreLike(Protocol):
    """What the importer needs from the content store (services.media.store.ContentStore)."""

    async def put_file(self, path: Path) -> StoredBlob: ...


@dataclass(frozen=True, slots=True)
class _Copied:
    media_id: int
    mime_type: str | None
    blob: StoredBlob


class MediaCopier:
    """Copies one page's files at a time and records the blobs in one transaction."""

    def __init__(
        self, db: Database, store: MediaStoreLike, source: ExportSource,
        clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self._db = db
        self._store = store
        self._source = source
        self._clock = clock

    async def copy_page(
        self, draft: PageDraft, stored: dict[tuple[int, int], int], summary: ImportSummary
    ) -> None:
        summary.media_missing.update(draft.missing)
        wanted = {stored[key]: path for key, path in draft.files.items() if key in stored}
        if not wanted:
            return
        copied: list[_Copied] = []
        for row in await self._rows(wanted):
            if row["state"] == DONE:
                summary.media_already_stored += 1
            elif row["state"] == SKIPPED:
                summary.media_skipped_by_policy += 1
            else:
                blob = await self._copy(wanted[row["message_pk"]])
                if blob is None:
                    summary.media_missing[ABSENT] += 1
                else:
                    copied.append(_Copied(row["id"], row["mime_type"], blob))
        if copied:
            await self._record(copied, summary)

    async def _rows(self, message_pks: Iterable[int]) -> list[dict[str, Any]]:
        pks = list(message_pks)
        rows: list[dict[str, Any]] = []
        columns = (media.c.id, media.c.message_pk, media.c.state, media.c.mime_type)
        async with self._db.reader() as uow:
            for start in range(0, len(pks), KEY_CHUNK):
                query = select(*columns).where(
                    media.c.message_pk.in_(pks[start : start + KEY_CHUNK])
                )
                rows.extend(dict(r) for r in (await uow.connection.execute(query)).mappings())
        return rows

    async def _copy(self, relative: str) -> StoredBlob | None:
        key = self._source.locate(relative)
        if key is None:
            return None
        # Copying a zip member out can take a while: off the event loop, like the store's work.
        files = contextlib.ExitStack()
        path = await asyncio.to_thread(files.enter_context, self._source.local_file(key))
        try:
            return await self._store.put_file(path)
        finally:
            await asyncio.to_thread(files.close)

    async def _record(self, copied: list[_Copied], summary: ImportSummary) -> None:
        at = self._clock()
        shas = sorted({c.blob.sha256 for c in copied})
        async with self._db.unit_of_work() as uow:
            query = select(media_blobs.c.sha256).where(media_blobs.c.sha256.in_(shas))
            known = set(await uow.connection.scalars(query))
            for item in copied:
                if item.blob.sha256 in known:
                    summary.media_deduplicated += 1
                else:
                    known.add(item.blob.sha256)
                    summary.media_copied += 1
                    blob = item.blob
                    await uow.media.add_blob(blob.sha256, blob.size, item.mime_type,
                                             blob.relative_path)  # fmt: skip
                await uow.media.mark_done(item.media_id, item.blob.sha256, at)
            await uow.commit()
        log.debug("import_media_copied", files=len(copied))

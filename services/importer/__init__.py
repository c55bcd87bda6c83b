"""Importer: Telegram Desktop exports (JSON, folder or zip) streamed into ingest, page by page."""

from services.importer.media_copy import MediaStoreLike
from services.importer.service import ImportService
from services.importer.summary import ImportProgress, ImportSummary
from services.media.store import ContentStore, StoredBlob

__all__ = [
    "ContentStore",
    "ImportProgress",
    "ImportService",
    "ImportSummary",
    "MediaStoreLike",
    "StoredBlob",
]

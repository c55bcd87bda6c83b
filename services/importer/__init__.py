"""Importer: Telegram Desktop exports (JSON, folder or zip) streamed into ingest, page by page.

The names below are loaded on first use: the parser process imports this package's reading
modules only, without the database layer the service needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
_HOMES = {
    "ContentStore": "services.media.store",
    "ImportProgress": "services.importer.summary",
    "ImportService": "services.importer.service",
    "ImportSummary": "services.importer.summary",
    "MediaStoreLike": "services.importer.media_copy",
    "StoredBlob": "services.media.store",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

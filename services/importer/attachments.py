"""What a message carries besides text: a file (photo, document kinds) or structured media.

``media_kind`` is what the message column stores; ``file_kind`` (one of the archive's
MEDIA_KINDS) is set when a file belongs to the message, with its relative ``path`` in the export
or the ``missing`` reason Desktop wrote instead of a path.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from typing import Any

DOCUMENT_KINDS = {
    "video_file": "video", "voice_message": "voice", "video_message": "video_note",
    "audio_file": "audio", "sticker": "sticker", "animation": "animation",
}  # fmt: skip
PLACEHOLDER = re.compile(
    r"\((?:File|Photo) (not included|exceeds maximum size|unavailable)[^)]*\)\s*$"
)
MISSING_REASONS = {
    "not included": "not included in the export (type not selected)",
    "exceeds maximum size": "over the export's size limit",
    "unavailable": "unavailable when the export was made",
}
# Structured media without a file, checked in this order after photo, file and contact.
STRUCTURED = (
    ("place_name", "venue"), ("location_information", "location"), ("game_title", "game"),
    ("invoice_information", "invoice"), ("poll", "poll"), ("todo_list", "todo"),
    ("giveaway_information", "giveaway"), ("giveaway_results", "giveaway_results"),
    ("paid_stars_amount", "paid_media"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attachment:
    media_kind: str
    file_kind: str | None = None
    path: str | None = None
    missing: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    unknown_type: str | None = None


def attachment_of(raw: dict[str, Any]) -> Attachment | None:
    if "photo" in raw:
        return _file(raw, "photo", "photo", raw.get("photo_file_size"), None)
    if "file" in raw:
        media_type = raw.get("media_type")
        kind = DOCUMENT_KINDS.get(media_type, "document") if isinstance(media_type, str) else None
        found = _file(raw, "file", kind or "document", raw.get("file_size"), raw.get("mime_type"))
        unknown = media_type if isinstance(media_type, str) and kind == "document" else None
        return replace(found, unknown_type=unknown) if unknown else found
    if "contact_information" in raw:
        if "contact_vcard" in raw:
            size = raw.get("contact_vcard_file_size")
            found = _file(raw, "contact_vcard", "document", size, "text/vcard")
            return replace(found, media_kind="contact")
        return Attachment("contact")
    for key, kind in STRUCTURED:
        if key in raw:
            return Attachment(kind)
    return None


def _file(raw: dict[str, Any], key: str, kind: str, size: Any, mime: Any) -> Attachment:
    path, missing = file_location(raw.get(key))
    name = raw.get("file_name") if key == "file" else None
    if not isinstance(name, str) or not name:
        name = posixpath.basename(path) if path else None
    return Attachment(
        media_kind=kind, file_kind=kind, path=path, missing=missing, file_name=name,
        mime_type=mime if isinstance(mime, str) and mime else None, size=_size(size),
    )  # fmt: skip


def file_location(value: Any) -> tuple[str | None, str | None]:
    """(relative path, None) when the export holds the file, else (None, why it does not)."""
    if not isinstance(value, str) or not value.strip():
        return None, "no file path in the export"
    match = PLACEHOLDER.search(value)
    if match:
        return None, MISSING_REASONS[match.group(1)]
    return value, None


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

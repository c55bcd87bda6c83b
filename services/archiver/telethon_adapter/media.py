"""A message's media: its kind (from document attributes), its MediaRef and where to fetch it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telethon.tl import types

from core.domain.archive import MediaRef

PHOTO_MIME = "image/jpeg"  # Telegram re-encodes every photo as JPEG
# Media that are not files: their kind is kept on the message, nothing is downloaded. Names
# follow the Desktop importer's, so an imported and a backfilled chat describe them alike.
OTHER_MEDIA: dict[type, str] = {
    types.MessageMediaGeo: "location",
    types.MessageMediaGeoLive: "location",
    types.MessageMediaVenue: "venue",
    types.MessageMediaContact: "contact",
    types.MessageMediaPoll: "poll",
    types.MessageMediaDice: "dice",
    types.MessageMediaGame: "game",
    types.MessageMediaInvoice: "invoice",
    types.MessageMediaStory: "story",
    types.MessageMediaGiveaway: "giveaway",
    types.MessageMediaGiveawayResults: "giveaway_results",
    types.MessageMediaPaidMedia: "paid_media",
    types.MessageMediaToDo: "todo",
    types.MessageMediaVideoStream: "video_stream",
    types.MessageMediaUnsupported: "unsupported",
}


@dataclass(frozen=True, slots=True)
class Download:
    """Everything upload.getFile needs: the location (with its file reference), DC and size."""

    location: Any
    dc_id: int
    size: int | None


def media_kind(media: Any) -> str | None:
    """The archive's kind of a message's media; None for none (or a link preview)."""
    if isinstance(media, types.MessageMediaPhoto):
        return "photo"
    if isinstance(media, types.MessageMediaDocument):
        document = media.document
        return (
            document_kind(document.attributes)
            if isinstance(document, types.Document)
            else "document"
        )
    return OTHER_MEDIA.get(type(media))


def document_kind(attributes: list[Any]) -> str:
    """Telegram Desktop's order: sticker, round video, voice, animation, video, audio, file."""

    def has(kind: type, **flags: bool) -> bool:
        return any(
            isinstance(a, kind) and all(bool(getattr(a, k, False)) == v for k, v in flags.items())
            for a in attributes
        )

    checks = (
        ("sticker", has(types.DocumentAttributeSticker)),
        ("video_note", has(types.DocumentAttributeVideo, round_message=True)),
        ("voice", has(types.DocumentAttributeAudio, voice=True)),
        ("animation", has(types.DocumentAttributeAnimated)),
        ("video", has(types.DocumentAttributeVideo)),
        ("audio", has(types.DocumentAttributeAudio)),
    )
    return next((kind for kind, matched in checks if matched), "document")


def media_ref(message: Any, chat_id: int) -> MediaRef | None:
    """The downloadable file of a message, described before any byte is fetched."""
    media = getattr(message, "media", None)
    kind = media_kind(media)
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        photo = media.photo
        return MediaRef(
            chat_id, message.id, "photo", tg_file_id=photo.id, dc_id=photo.dc_id,
            mime_type=PHOTO_MIME, declared_size=_largest_size(photo.sizes)[1],
        )  # fmt: skip
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        document = media.document
        return MediaRef(
            chat_id, message.id, kind or "document", tg_file_id=document.id,
            dc_id=document.dc_id, file_name=_file_name(document.attributes),
            mime_type=document.mime_type, declared_size=document.size,
        )  # fmt: skip
    return None


def download_of(media: Any) -> Download | None:
    """Where the bytes of ``media`` live now (its file reference expires: re-fetch the message)."""
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        photo = media.photo
        thumb, size = _largest_size(photo.sizes)
        location = types.InputPhotoFileLocation(
            id=photo.id, access_hash=photo.access_hash,
            file_reference=photo.file_reference, thumb_size=thumb,
        )  # fmt: skip
        return Download(location, photo.dc_id, size)
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        document = media.document
        location = types.InputDocumentFileLocation(
            id=document.id, access_hash=document.access_hash,
            file_reference=document.file_reference, thumb_size="",
        )  # fmt: skip
        return Download(location, document.dc_id, document.size)
    return None


def _largest_size(sizes: list[Any]) -> tuple[str, int | None]:
    """The biggest stored rendition of a photo (inline thumbnails are not files)."""
    stored = [
        (s.type, max(s.sizes, default=0) if isinstance(s, types.PhotoSizeProgressive) else s.size)
        for s in sizes
        if isinstance(s, types.PhotoSize | types.PhotoSizeProgressive)
    ]
    if not stored:
        return (sizes[-1].type if sizes else "", None)
    return max(stored, key=lambda pair: pair[1])


def _file_name(attributes: list[Any]) -> str | None:
    for attribute in attributes:
        if isinstance(attribute, types.DocumentAttributeFilename):
            return str(attribute.file_name)
    return None

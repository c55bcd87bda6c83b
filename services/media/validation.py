"""MEDIA_VALIDATION_ENABLED checks: the size Telegram declared, and the bytes against the type."""

from __future__ import annotations

# (signature offset, signature bytes, family). Families are coarse on purpose: a declared
# "video/quicktime" holding an MP4 container is fine; a "video/mp4" holding HTML is not.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image"),
    (0, b"\x89PNG\r\n\x1a\n", "image"),
    (0, b"GIF8", "image"),
    (8, b"WEBP", "image"),
    (4, b"ftyp", "video"),
    (0, b"\x1a\x45\xdf\xa3", "video"),
    (0, b"OggS", "audio"),
    (0, b"ID3", "audio"),
    (0, b"fLaC", "audio"),
    (0, b"%PDF", "document"),
    (0, b"PK\x03\x04", "archive"),
    (0, b"\x1f\x8b", "archive"),
)
# What each declared family may turn out to be (audio in an MP4 container, stickers gzipped …).
COMPATIBLE: dict[str, frozenset[str]] = {
    "image": frozenset({"image"}),
    "video": frozenset({"video", "image"}),  # GIF animations are sent as MP4 or as GIF
    "audio": frozenset({"audio", "video"}),  # m4a is an MP4 container
    "application/pdf": frozenset({"document"}),
    "application/zip": frozenset({"archive"}),
    "application/x-tgsticker": frozenset({"archive"}),
}
KIND_FAMILY = {
    "photo": "image",
    "video": "video",
    "video_note": "video",
    "voice": "audio",
    "audio": "audio",
    "animation": "video",
}


def sniff(head: bytes) -> str | None:
    """The family the first bytes belong to, or None when no known signature matches."""
    for offset, signature, family in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return family
    return None


def declared_family(kind: str, mime_type: str | None) -> str | None:
    if mime_type:
        if mime_type in COMPATIBLE:
            return mime_type
        top = mime_type.split("/", 1)[0]
        if top in COMPATIBLE:
            return top
    return KIND_FAMILY.get(kind)


def validation_problem(
    *, kind: str, mime_type: str | None, declared_size: int | None, size: int, head: bytes
) -> str | None:
    """Why the downloaded file is not what Telegram said it is, or None when it checks out."""
    if declared_size is not None and declared_size != size:
        return f"size {size} bytes differs from the declared {declared_size}"
    expected = declared_family(kind, mime_type)
    found = sniff(head)
    if expected is None or found is None:
        return None  # unknown on either side: nothing reliable to compare
    if found not in COMPATIBLE[expected]:
        return f"content looks like {found}, declared {mime_type or kind}"
    return None

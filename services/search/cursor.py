"""Opaque page cursors: base64url of the position, bound to its query and signed.

A cursor that was damaged, forged, or issued for another query is refused with an
InvalidInputError instead of producing a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import InvalidInputError
from services.search.filters_sql import Keyset

VERSION = 1
DIGEST_BYTES = 12
MAX_CURSOR_CHARS = 1_000
INVALID = "this results page can no longer be opened (the cursor is damaged or from another search)"


@dataclass(frozen=True, slots=True)
class CursorState:
    """Where the next page starts, and what the first page said about the whole result."""

    total: int
    total_is_estimate: bool
    after: Keyset | None = None  # newest-first order: continue after this message
    offset: int = 0  # relevance order: position in the ranked candidates
    max_id: int | None = None  # relevance order: the candidate set is fixed at page one


class CursorCodec:
    """Encodes and checks cursors with a key (the vault's SECRET_KEY when one is set)."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.blake2b(secret.encode(), person=b"tv-search-cur").digest()

    def encode(self, state: CursorState, fingerprint: str) -> str:
        payload = {
            "v": VERSION,
            "t": state.total,
            "e": state.total_is_estimate,
            "o": state.offset,
            "x": state.max_id,
            "d": state.after.date.isoformat() if state.after else None,
            "i": state.after.id if state.after else None,
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        raw = self._digest(body, fingerprint) + body
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, fingerprint: str) -> CursorState:
        try:
            if len(cursor) > MAX_CURSOR_CHARS:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            digest, body = raw[:DIGEST_BYTES], raw[DIGEST_BYTES:]
            if not hmac.compare_digest(digest, self._digest(body, fingerprint)):
                raise ValueError("signature")
            return _state(json.loads(body))
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
            raise InvalidInputError(INVALID) from None

    def _digest(self, body: bytes, fingerprint: str) -> bytes:
        message = fingerprint.encode() + b"\x00" + body
        return hmac.new(self._key, message, hashlib.sha256).digest()[:DIGEST_BYTES]


def _state(payload: dict[str, Any]) -> CursorState:
    if payload["v"] != VERSION:
        raise ValueError("version")
    after = None
    if payload["d"] is not None:
        date = datetime.fromisoformat(_text(payload["d"]))
        if date.tzinfo is None:
            raise ValueError("naive date")
        after = Keyset(date, _int(payload["i"]))
    max_id = None if payload["x"] is None else _int(payload["x"])
    return CursorState(
        total=_int(payload["t"]),
        total_is_estimate=bool(payload["e"]),
        after=after,
        offset=_int(payload["o"]),
        max_id=max_id,
    )


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError("not a valid integer")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value

"""CSV parts: a header row in every part, one row per message, safe to open in a spreadsheet.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and treat
a leading tab or carriage return alike), so free text that starts with one gets a leading
single quote. Columns the vault fills with numbers are left alone: ``-100…`` ids stay numbers.
Files start with a UTF-8 byte order mark, without which Excel reads UTF-8 as a legacy code page.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from services.export.models import ExportMessage

COLUMNS = (
    "chat_id", "message_id", "date", "sender_id", "sender_name", "text", "kind", "media_kind",
    "reply_to", "forwarded_from", "edited", "deleted",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


class CsvFormat:
    """RFC 4180 rows (CRLF, fields quoted when needed): commas, quotes, newlines survive."""

    extension = "csv"
    mime_type = "text/csv"
    separator = b""

    def header(self) -> bytes:
        return (BOM + _row(COLUMNS)).encode()

    def item(self, message: ExportMessage) -> bytes:
        return _row(_fields(message)).encode("utf-8", "replace")

    def footer(self) -> bytes:
        return b""


def _fields(message: ExportMessage) -> tuple[str, ...]:
    return (
        str(message.chat_id),
        str(message.message_id),
        iso_utc(message.date),
        _optional(message.sender_id),
        defused(message.sender_name or ""),
        defused(message.text),
        message.kind,
        message.media_kind or "",
        _optional(message.reply_to),
        _forwarded_from(message),
        iso_utc(message.edit_date),
        iso_utc(message.deleted_at),
    )


def defused(value: str) -> str:
    """``value`` that a spreadsheet shows as text: formula starts get a leading quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _forwarded_from(message: ExportMessage) -> str:
    """The origin's name (free text), else its id (a number)."""
    if message.fwd_from_name:
        return defused(message.fwd_from_name)
    return _optional(message.fwd_from_id)


def iso_utc(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def _row(fields: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)
    return out.getvalue()

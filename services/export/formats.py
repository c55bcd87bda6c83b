"""The three document formats behind one small interface, and the format names users type."""

from __future__ import annotations

import difflib
from typing import Protocol
from zoneinfo import ZoneInfo

from core.errors import InvalidInputError
from services.export.csv_format import CsvFormat
from services.export.html_format import HtmlFormat
from services.export.json_format import JsonFormat
from services.export.models import ExportMessage, ExportWindow

FORMAT_NAMES = ("json", "csv", "html")
FORMAT_LIST = "json, csv or html"


class DocumentFormat(Protocol):
    """A document is ``header``, the items joined by ``separator``, then ``footer``."""

    @property
    def extension(self) -> str: ...

    @property
    def mime_type(self) -> str: ...

    @property
    def separator(self) -> bytes: ...

    def header(self) -> bytes: ...

    def item(self, message: ExportMessage) -> bytes: ...

    def footer(self) -> bytes: ...


def format_name(value: str) -> str:
    """``value`` as one of FORMAT_NAMES (any case), or an error naming them."""
    wanted = value.strip().lower()
    if wanted in FORMAT_NAMES:
        return wanted
    raise not_a_format(value, f"use {FORMAT_LIST}")


def not_a_format(value: str, advice: str) -> InvalidInputError:
    close = difflib.get_close_matches(value.strip().lower(), FORMAT_NAMES, n=1, cutoff=0.6)
    hint = f" — did you mean {close[0]}?" if close else ""
    return InvalidInputError(f"'{value}' is not an export format{hint} ({advice})")


def document_format(name: str, window: ExportWindow, tz: ZoneInfo) -> DocumentFormat:
    fmt = format_name(name)
    if fmt == "csv":
        return CsvFormat()
    if fmt == "html":
        return HtmlFormat(window, tz)
    return JsonFormat(window, tz)

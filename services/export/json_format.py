"""JSON parts: each one a complete single-chat ``result.json`` with its slice of messages."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from services.export.desktop_json import chat_head, message_object
from services.export.models import ExportMessage, ExportWindow


class JsonFormat:
    """One message per line inside ``messages``, so parts split between lines."""

    extension = "json"
    mime_type = "application/json"
    separator = b",\n"

    def __init__(self, window: ExportWindow, tz: ZoneInfo) -> None:
        self._head = chat_head(window.chat)
        self._tz = tz

    def header(self) -> bytes:
        lines = ["{", *(f" {_dumps(k)}: {_dumps(v)}," for k, v in self._head.items())]
        return ("\n".join(lines) + '\n "messages": [\n').encode("utf-8", "replace")

    def item(self, message: ExportMessage) -> bytes:
        return ("  " + _dumps(message_object(message, self._tz))).encode("utf-8", "replace")

    def footer(self) -> bytes:
        return b"\n ]\n}\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

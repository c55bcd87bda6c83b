"""What a test reads back from the fake Bot API: recorded calls, sent messages, callback answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.botapi.html import visible_text


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class ApiCall:
    """One request as the server received it, and how it was answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (edits applied)."""

    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: bytes | None = None
    document_name: str | None = None
    edits: int = 0
    date: int = 0
    edit_date: int | None = None
    entities: list[dict[str, Any]] | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    file_id: str | None = None
    mime_type: str | None = None
    deleted: bool = False

    @property
    def plain_text(self) -> str | None:
        """The text as a Telegram client shows it (HTML tags removed, entities decoded)."""
        if self.text is None or (self.parse_mode or "").lower() != "html":
            return self.text
        return visible_text(self.text)

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard rows (empty when the message has none)."""
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def callback_data(self) -> list[str]:
        """Every button's callback_data, row by row, for asserting keyboards tersely."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None

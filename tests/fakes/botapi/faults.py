"""Injected failures: the next calls of a method fail, or a chat has blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fakes.botapi.records import ApiError

BLOCKED = "Forbidden: bot was blocked by the user"


def default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return "Too Many Requests" + (f": retry after {retry_after}" if retry_after else "")
    if status >= 500:
        return "Internal Server Error"
    if status == 403:
        return BLOCKED
    if status == 400:
        return "Bad Request: injected failure"
    if status == 401:
        return "Unauthorized"
    if status == 409:
        return "Conflict: terminated by other getUpdates request"
    return f"Error {status}: injected failure"


@dataclass
class _Rule:
    method: str  # lower case: Telegram method names are case-insensitive
    error_status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None


class Faults:
    """Failure rules, checked before every method is served."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self.blocked_chats: set[int] = set()

    def fail(
        self,
        method: str,
        *,
        status: int,
        retry_after: int | None,
        description: str | None,
        times: int,
        chat_id: int | None,
    ) -> None:
        if times < 1:
            msg = f"times must be at least 1, got {times}"
            raise ValueError(msg)
        text = description or default_description(status, retry_after)
        self._rules.append(_Rule(method.lower(), status, text, retry_after, times, chat_id))

    def check(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """The error this call must get, consuming one use of the rule that produced it."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.blocked_chats:
            return ApiError(403, BLOCKED)
        for rule in self._rules:
            if rule.method == method.lower() and rule.chat_id in (None, chat_id):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                return ApiError(rule.error_status, rule.description, retry_after=rule.retry_after)
        return None

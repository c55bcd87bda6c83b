"""What admins type after /watch, /backfill, /retry_media and /enrich, made into task arguments.

Parsing is pure; chats and people are looked up in the vault (services.archiver.vault_refs),
so a typo is answered at once instead of by a task failing later in the archiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.db.database import Database
from core.errors import InvalidInputError, NotFoundError
from services.archiver.vault_refs import HOW_TO_NAME, find_chat, find_user

WATCH_USAGE = "Usage: /watch <@username | t.me link | invite link | id>"
UNWATCH_USAGE = "Usage: /unwatch <chat> — its id, @username or a part of its title"
BACKFILL_USAGE = "Usage: /backfill <chat> [limit N | N | since YYYY-MM-DD]"
ENRICH_USAGE = "Usage: /enrich <user | chat | all>"
MAX_DEDUP_CHARS = 120  # the task queue's dedup key column holds 128


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    chat: str  # as typed: resolved in the vault next
    limit: int | None = None
    since: datetime | None = None  # the start of that day in the admin's time zone


@dataclass(frozen=True, slots=True)
class TaskTarget:
    """What a task works on: its arguments, its dedup key and a line naming it for the admin."""

    args: dict[str, Any]
    dedup_key: str
    subject: str


def required(args: str | None, usage: str) -> str:
    """The command's arguments, or the usage when there are none."""
    text = (args or "").strip()
    if not text:
        raise InvalidInputError(usage)
    return text


def watch_reference(args: str | None) -> str:
    reference = required(args, WATCH_USAGE)
    if len(reference.split()) > 1:
        raise InvalidInputError(f"one chat at a time. {WATCH_USAGE}")
    return reference


def watch_target(reference: str, added_by: int) -> TaskTarget:
    return TaskTarget(
        {"reference": reference, "added_by": added_by},
        f"watch:{reference}"[:MAX_DEDUP_CHARS],
        reference,
    )


def parse_backfill(args: str | None, tz: ZoneInfo, today: date) -> BackfillRequest:
    """``<chat> [limit N | N | since YYYY-MM-DD]``; a trailing number is a limit."""
    words = required(args, BACKFILL_USAGE).split()
    if words[-1].lower() in ("limit", "since"):
        what = "a number" if words[-1].lower() == "limit" else "a date (YYYY-MM-DD)"
        raise InvalidInputError(f"'{words[-1]}' needs {what}. {BACKFILL_USAGE}")
    keyword = words[-2].lower() if len(words) >= 2 else ""
    if keyword == "since":
        return BackfillRequest(_chat(words[:-2]), since=_since(words[-1], tz, today))
    if keyword == "limit":
        return BackfillRequest(_chat(words[:-2]), limit=_limit(words[-1]))
    if len(words) > 1 and words[-1].isdigit():
        return BackfillRequest(_chat(words[:-1]), limit=_limit(words[-1]))
    return BackfillRequest(_chat(words))


def _chat(words: list[str]) -> str:
    if not words:
        raise InvalidInputError(f"which chat? {BACKFILL_USAGE}")
    return " ".join(words)


def _limit(text: str) -> int:
    if not text.isdigit():
        raise InvalidInputError(f"the limit must be a number of messages, not '{text}'")
    limit = int(text)
    if limit < 1:
        raise InvalidInputError("the limit must be at least 1 message")
    return limit


def _since(text: str, tz: ZoneInfo, today: date) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"'{text}' is not a date: write it as YYYY-MM-DD") from None
    if day > today:
        raise InvalidInputError(f"{day.isoformat()} is in the future: nothing was sent since")
    return datetime.combine(day, time(), tzinfo=tz)


async def backfill_target(db: Database, request: BackfillRequest) -> TaskTarget:
    chat = await find_chat(db, request.chat)
    args: dict[str, Any] = {"chat_id": chat.id, "title": chat.title}
    subject = chat.label
    if request.limit is not None:
        args["limit"] = request.limit
        subject += f", the latest {request.limit} messages"
    if request.since is not None:
        args["since"] = request.since.isoformat()
        subject += f", since {request.since.date().isoformat()}"
    return TaskTarget(args, f"backfill:{chat.id}", subject)


async def retry_media_target(db: Database, args: str | None) -> TaskTarget:
    """Failed media get a fresh round: every chat's, or one chat's."""
    if not (args or "").strip():
        return TaskTarget({"requeue": True}, "retry_media:all", "every chat")
    chat = await find_chat(db, args or "")
    return TaskTarget({"requeue": True, "chat_id": chat.id}, f"retry_media:{chat.id}", chat.label)


async def enrich_target(db: Database, args: str | None) -> TaskTarget:
    """``all``, a person (id or @username in the vault's users) or a chat in the vault."""
    text = required(args, ENRICH_USAGE)
    if text.lower() == "all":
        return TaskTarget({"target": "all"}, "enrich:all", "everyone in the vault")
    user = await find_user(db, text)
    if user is not None:
        return TaskTarget({"user_id": user.id}, f"enrich:user:{user.id}", user.label)
    try:
        chat = await find_chat(db, text)
    except NotFoundError:
        raise NotFoundError(
            f"nobody and no chat in the vault is known as '{text}': name a person by id or "
            f"@username, or a chat ({HOW_TO_NAME})"
        ) from None
    return TaskTarget({"chat_id": chat.id}, f"enrich:chat:{chat.id}", chat.label)

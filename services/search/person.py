"""One person for /who: what the archive knows of them now, and every change it saw.

A person is named by a numeric user id or a @username; a username nobody holds any more
still finds whoever held it last (from the change history).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages, user_history, users
from core.domain.search import PersonProfile, ProfileChange
from core.errors import InvalidInputError, NotFoundError
from services.search.lexer import sanitize

HISTORY_LIMIT = 100
MAX_USER_ID = 2**63 - 1
USER_ID = re.compile(r"^\d{1,19}$")
USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{1,63})$")
REF_HINT = "name a person by @username or numeric user id, e.g. @ana_garcia or 1001"


def is_exact_ref(text: str) -> bool:
    """True for text that names one person (``@username`` or a user id), not a name search."""
    cleaned = text.strip()
    return bool(USER_ID.match(cleaned) or (cleaned.startswith("@") and USERNAME.match(cleaned)))


def parse_ref(ref: str) -> int | str:
    """A user id, or a username (lower case, no '@'); InvalidInputError for anything else."""
    cleaned = " ".join(sanitize(ref).split())
    if cleaned.startswith("-") and USER_ID.match(cleaned[1:]):
        raise InvalidInputError(f"{cleaned} is a chat id, not a person: {REF_HINT}")
    if USER_ID.match(cleaned):
        user_id = int(cleaned)
        if not 0 < user_id <= MAX_USER_ID:
            raise InvalidInputError(f"{cleaned} is not a user id: {REF_HINT}")
        return user_id
    match = USERNAME.match(cleaned)
    if match is None:
        raise InvalidInputError(f"'{cleaned[:64]}' is not a username or an id: {REF_HINT}")
    return match.group(1).lower()


async def find_person(conn: AsyncConnection, ref: str) -> PersonProfile:
    """The profile of the person ``ref`` names; NotFoundError when the archive has no one."""
    parsed = parse_ref(ref)
    if isinstance(parsed, int):
        return await person_profile(conn, parsed)
    # Two rows can share a username when one of them was not seen since it changed hands:
    # the most recently updated one holds it.
    holder = await conn.scalar(
        select(users.c.id)
        .where(func.lower(users.c.username) == parsed)
        .order_by(users.c.updated_at.desc(), users.c.id)
        .limit(1)
    )
    if holder is not None:
        return await person_profile(conn, holder)
    former = await _former_holder(conn, parsed)
    if former is None:
        raise NotFoundError(f"no one in the archive is or was @{parsed}")
    return await person_profile(conn, former, former_username=parsed)


async def person_profile(
    conn: AsyncConnection,
    user_id: int,
    *,
    history_limit: int = HISTORY_LIMIT,
    former_username: str | None = None,
) -> PersonProfile:
    """Current fields, message count and the newest ``history_limit`` changes of a person."""
    row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    if row is None:
        raise NotFoundError(f"no one with user id {user_id} is in the archive")
    count, last = (
        await conn.execute(
            select(func.count(), func.max(messages.c.date)).where(messages.c.sender_id == user_id)
        )
    ).one()
    history, total = await _history(conn, user_id, history_limit)
    return _profile(row, count, last, history, total, former_username)


async def _former_holder(conn: AsyncConnection, username: str) -> int | None:
    """Who last gave up ``username`` (the newest change away from it)."""
    query = (
        select(user_history.c.user_id)
        .where(user_history.c.field == "username", func.lower(user_history.c.old_value) == username)
        .order_by(user_history.c.changed_at.desc(), user_history.c.id.desc())
        .limit(1)
    )
    found: int | None = await conn.scalar(query)
    return found


async def _history(
    conn: AsyncConnection, user_id: int, limit: int
) -> tuple[tuple[ProfileChange, ...], int]:
    h = user_history.c
    total = await conn.scalar(select(func.count()).where(h.user_id == user_id)) or 0
    query = (
        select(h.field, h.old_value, h.new_value, h.changed_at)
        .where(h.user_id == user_id)
        .order_by(h.changed_at.desc(), h.id.desc())
        .limit(max(limit, 0))
    )
    changes = tuple(ProfileChange(*change) for change in await conn.execute(query))
    return changes, int(total)


def _profile(
    row: Any,
    count: int,
    last: Any,
    history: tuple[ProfileChange, ...],
    total: int,
    former_username: str | None,
) -> PersonProfile:
    return PersonProfile(
        user_id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        phone=row["phone"],
        bio=row["bio"],
        is_bot=bool(row["is_bot"]),
        is_deleted=bool(row["is_deleted"]),
        is_verified=bool(row["is_verified"]),
        is_scam=bool(row["is_scam"]),
        is_fake=bool(row["is_fake"]),
        first_seen_at=row["first_seen_at"],
        updated_at=row["updated_at"],
        message_count=int(count),
        last_message_at=last,
        history=history,
        history_total=total,
        former_username=former_username,
        is_watched=bool(row["is_watched"]),
    )

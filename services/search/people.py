"""People search: users by name, username or bio, and by the names they had before.

Matching happens in Python over folded text (the same fold as message search), so accents,
case and scripts behave identically on both dialects; the users table is read in partitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import user_history, users
from core.domain.search import PersonHit
from core.errors import InvalidInputError
from core.text import fold
from services.search.lexer import sanitize

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
PARTITION = 2_000
# Best first: an exact username, a name, a username containing the text, a bio, the past.
RANKS = {"exact_username": 0, "name": 1, "username": 2, "bio": 3}
EARLIER = {
    "first_name": "earlier_name",
    "last_name": "earlier_name",
    "username": "earlier_username",
}
COLUMNS = (users.c.id, users.c.first_name, users.c.last_name, users.c.username, users.c.bio,
           users.c.is_bot, users.c.is_deleted)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Needle:
    words: tuple[str, ...]
    handle: str  # the text as a username: no '@', lower case

    def in_text(self, value: str | None) -> bool:
        folded = fold(value) if value else ""
        return bool(folded) and all(word in folded for word in self.words)


def _needle(query: str) -> _Needle:
    cleaned = " ".join(sanitize(query).split())
    if not cleaned.lstrip("@"):
        raise InvalidInputError("type a name, a @username or a word from a bio")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise InvalidInputError(f"a people search holds at most {MAX_QUERY_CHARS} characters")
    words = tuple(fold(cleaned.lstrip("@")).split())
    return _Needle(words, cleaned.lstrip("@").lower())


async def search_people(conn: AsyncConnection, query: str, limit: int) -> list[PersonHit]:
    """Up to ``limit`` people, best match first, then by name."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"a people search returns 1 to {MAX_LIMIT} people, not {limit}")
    needle = _needle(query)
    history = await _history(conn)
    found: list[tuple[int, PersonHit]] = []
    result = await conn.stream(select(*COLUMNS).order_by(users.c.id))
    async for partition in result.partitions(PARTITION):
        for row in partition:
            person = _match(needle, row, history.get(row.id, ()))
            if person is not None:
                found.append(person)
    found.sort(key=lambda item: (item[0], item[1].display_name.lower(), item[1].user_id))
    return [person for _, person in found[:limit]]


def _match(
    needle: _Needle, row: Any, earlier: Sequence[tuple[str, str]]
) -> tuple[int, PersonHit] | None:
    current = _current_match(needle, row)
    if current is not None:
        return RANKS[current], _person(row, current.replace("exact_", ""))
    for field_name, old_value in earlier:
        if _earlier_match(needle, row, field_name, old_value):
            return len(RANKS), _person(row, EARLIER[field_name], old_value)
    return None


def _current_match(needle: _Needle, row: Any) -> str | None:
    username = (row.username or "").lower()
    if username and username == needle.handle:
        return "exact_username"
    if needle.in_text(_full_name(row.first_name, row.last_name)):
        return "name"
    if username and needle.handle in username:
        return "username"
    if needle.in_text(row.bio):
        return "bio"
    return None


def _earlier_match(needle: _Needle, row: Any, field_name: str, old_value: str) -> bool:
    if field_name == "username":
        return needle.handle in old_value.lower()
    # An earlier first name goes with the current last name, and the other way round.
    if field_name == "first_name":
        return needle.in_text(_full_name(old_value, row.last_name))
    return needle.in_text(_full_name(row.first_name, old_value))


def _full_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def _person(row: Any, matched: str, earlier: str | None = None) -> PersonHit:
    return PersonHit(
        user_id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        bio=row.bio,
        is_bot=bool(row.is_bot),
        is_deleted=bool(row.is_deleted),
        matched=matched,
        earlier_value=earlier,
    )


async def _history(conn: AsyncConnection) -> dict[int, list[tuple[str, str]]]:
    """Earlier names and usernames per user, newest change first."""
    query = (
        select(user_history.c.user_id, user_history.c.field, user_history.c.old_value)
        .where(user_history.c.field.in_(list(EARLIER)), user_history.c.old_value.is_not(None))
        .order_by(user_history.c.id.desc())
    )
    history: dict[int, list[tuple[str, str]]] = {}
    for user_id, field_name, old_value in await conn.execute(query):
        history.setdefault(user_id, []).append((field_name, old_value))
    return history

"""Watched people: finding a person in the vault by id or username, and flagging them.

This needs the database only, so the bot can use it in a process without a Telegram session.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any, Final

from core.db.database import Database
from core.db.repos.profiles import ProfileRepo
from core.db.uow import UnitOfWork
from core.domain.messages import UserInfo
from core.errors import InvalidInputError, NotFoundError

USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,31}")
LINK_PREFIXES: Final = ("https://", "http://", "www.", "t.me/", "telegram.me/", "@")
USER_FIELDS: Final = tuple(f.name for f in fields(UserInfo))


def parse_user_ref(ref: str | int) -> int | str:
    """A user id, or a username without its ``@`` or t.me link."""
    if isinstance(ref, bool):
        raise InvalidInputError(f"{ref!r}: give a user id or a @username")
    if isinstance(ref, int):
        if ref <= 0:
            raise InvalidInputError(f"{ref} is not a user id (user ids are positive)")
        return ref
    text = str(ref).strip()
    if text.isdigit():
        return parse_user_ref(int(text))
    for prefix in LINK_PREFIXES:
        text = text.removeprefix(prefix)
    if not USERNAME.fullmatch(text):
        raise InvalidInputError(f"{str(ref).strip()!r}: give a user id or a @username")
    return text


def user_info(row: dict[str, Any]) -> UserInfo:
    return UserInfo(**{name: row[name] for name in USER_FIELDS})


class WatchedPeople:
    """Who an admin wants to hear about when their profile changes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, ref: str | int) -> UserInfo:
        async with self._db.reader() as uow:
            return user_info(await _row(uow, ref))

    async def set_watched(self, ref: str | int, watched: bool = True) -> UserInfo:
        async with self._db.unit_of_work() as uow:
            row = await _row(uow, ref)
            await ProfileRepo(uow.connection, uow.dialect).set_watched(row["id"], watched)
            await uow.commit()
        return user_info(row)

    async def watched(self) -> list[UserInfo]:
        async with self._db.reader() as uow:
            rows = await ProfileRepo(uow.connection, uow.dialect).watched()
        return [user_info(row) for row in rows]


async def _row(uow: UnitOfWork, ref: str | int) -> dict[str, Any]:
    wanted = parse_user_ref(ref)
    if isinstance(wanted, int):
        row = await uow.users.get(wanted)
        if row is None:
            raise NotFoundError(f"user {wanted} is not in the vault")
        return row
    rows = await ProfileRepo(uow.connection, uow.dialect).by_username(wanted)
    if not rows:
        raise NotFoundError(f"nobody in the vault uses @{wanted}")
    if len(rows) > 1:  # a username that moved between accounts the vault has not refreshed
        ids = ", ".join(str(r["id"]) for r in rows)
        raise InvalidInputError(f"@{wanted} names several people in the vault ({ids}): give the id")
    return rows[0]

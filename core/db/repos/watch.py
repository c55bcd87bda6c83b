"""The watch list: which chats the archivers follow, with their per-chat media policy, and the
Telegram accounts (one per archiver) that own them.

A chat belongs to the account that watches it; a chat with no account (watched before accounts
existed) belongs to every archiver, except a private chat or basic group: Telegram numbers their
messages per account, so one account only may write them (``numbers_messages_per_account``), and
those from before accounts go to the first account registered (``adopt_unowned``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import accounts, backfill_cursors, chats, watched_chats
from core.db.upsert import insert_ignore, upsert

GLOBAL_ID_KINDS = ("channel", "supergroup")  # one message id space shared by every member
PER_ACCOUNT_KINDS = ("user", "bot", "group")  # private chats and basic groups
# Marked channel ids are -(10**12 + id); users are positive and basic groups -id above this.
CHANNEL_ID_CEILING = -1_000_000_000_000


def numbers_messages_per_account(chat_id: int, kind: str | None) -> bool:
    """Whether Telegram numbers the chat's messages per account (private chats, basic groups):
    told by the stored kind, or by the marked id when the kind is not known."""
    if kind in GLOBAL_ID_KINDS:
        return False
    if kind in PER_ACCOUNT_KINDS:
        return True
    return chat_id > CHANNEL_ID_CEILING


def _per_account_chat() -> ColumnElement[bool]:
    """``numbers_messages_per_account`` over the ``chats`` table."""
    return or_(
        chats.c.kind.in_(PER_ACCOUNT_KINDS),
        and_(chats.c.kind.not_in(GLOBAL_ID_KINDS), chats.c.id > CHANNEL_ID_CEILING),
    )


@dataclass(frozen=True, slots=True)
class Account:
    """A Telegram account an archiver runs as, by its TELEGRAM_ACCOUNT label."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class WatchRow:
    """A chat's watch row as the live path sees it: whose it is and whether it is watched."""

    chat_id: int
    enabled: bool
    account_id: int | None
    per_account: bool  # its messages are numbered per account: one account only may write it


def belongs_to(column: ColumnElement[Any], account_id: int | None) -> ColumnElement[bool]:
    """Rows of ``account_id`` or of no account (those are anybody's); with no account given,
    rows of no account only."""
    if account_id is None:
        return column.is_(None)
    return or_(column.is_(None), column == account_id)


class WatchRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def watch(
        self,
        chat_id: int,
        at: datetime,
        *,
        added_by: int | None,
        media_policy: Any = None,
        account_id: int | None = None,
    ) -> None:
        """Watch a chat (again); an earlier media policy is kept unless a new one is given.

        A chat still watched keeps the account that owns it (one with none is adopted by
        ``account_id``); an unwatched one goes to ``account_id``.
        """
        columns = ["enabled", "added_by"] + (["media_policy"] if media_policy is not None else [])
        owner = literal(account_id, watched_chats.c.account_id.type)
        keep = case(
            (watched_chats.c.enabled.is_(True), func.coalesce(watched_chats.c.account_id, owner)),
            else_=owner,
        )
        stmt = upsert(
            self._dialect, watched_chats, ("chat_id",), columns, extra_set={"account_id": keep}
        )
        await self._conn.execute(
            stmt,
            {
                "chat_id": chat_id,
                "enabled": True,
                "added_by": added_by,
                "media_policy": media_policy,
                "added_at": at,
                "account_id": account_id,
            },
        )

    async def owner(self, chat_id: int) -> Account | None:
        """The account a chat's watch row names, watched now or once; None: no account."""
        query = (
            select(accounts.c.id, accounts.c.label)
            .join(watched_chats, watched_chats.c.account_id == accounts.c.id)
            .where(watched_chats.c.chat_id == chat_id)
        )
        row = (await self._conn.execute(query)).first()
        return Account(row.id, row.label) if row else None

    async def claim(self, chat_id: int, account_id: int, at: datetime) -> int | None:
        """Make a chat ``account_id``'s unless another account owns it: a chat without a row is
        watched (its ``chats`` row must exist), one of no account adopted. Returns the owner
        afterwards, another account when one came first."""
        stmt = insert_ignore(self._dialect, watched_chats, ("chat_id",))
        values = {"chat_id": chat_id, "account_id": account_id, "enabled": True, "added_at": at}
        await self._conn.execute(stmt, values)
        adopt = (
            update(watched_chats)
            .where(watched_chats.c.chat_id == chat_id, watched_chats.c.account_id.is_(None))
            .values(account_id=account_id)
        )
        await self._conn.execute(adopt)
        return await self.account_of(chat_id)

    async def adopt_unowned(self) -> int:
        """Private chats and basic groups watched before accounts existed go to the first
        account registered (the one that archived them then, as an upgraded vault's first
        archiver); returns how many changed hands. Nothing happens while no account exists."""
        first = select(func.min(accounts.c.id)).scalar_subquery()
        stmt = (
            update(watched_chats)
            .where(
                watched_chats.c.account_id.is_(None),
                watched_chats.c.chat_id.in_(select(chats.c.id).where(_per_account_chat())),
                first.is_not(None),
            )
            .values(account_id=first)
        )
        return int((await self._conn.execute(stmt)).rowcount or 0)

    async def rows(self) -> list[WatchRow]:
        """Every watch row with its owner, watched or not (one row per chat ever watched)."""
        query = select(
            watched_chats.c.chat_id,
            watched_chats.c.enabled,
            watched_chats.c.account_id,
            chats.c.kind,
        ).join(chats, chats.c.id == watched_chats.c.chat_id)
        return [
            WatchRow(
                chat_id=r.chat_id,
                enabled=bool(r.enabled),
                account_id=r.account_id,
                per_account=numbers_messages_per_account(r.chat_id, r.kind),
            )
            for r in await self._conn.execute(query)
        ]

    async def account_of(self, chat_id: int) -> int | None:
        """The account that owns a watched (or once watched) chat; None: any account."""
        query = select(watched_chats.c.account_id).where(watched_chats.c.chat_id == chat_id)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def register_account(self, label: str, telegram_user_id: int | None) -> int:
        """The id of the account labelled ``label``, created on first use; its Telegram user
        id is kept current (the label may be logged in again as another user)."""
        stmt = upsert(self._dialect, accounts, ("label",), ("telegram_user_id",)).returning(
            accounts.c.id
        )
        params = {"label": label, "telegram_user_id": telegram_user_id}
        return int((await self._conn.execute(stmt, params)).scalar_one())

    async def unwatch(self, chat_id: int) -> bool:
        stmt = (
            update(watched_chats)
            .where(watched_chats.c.chat_id == chat_id, watched_chats.c.enabled.is_(True))
            .values(enabled=False)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def set_media_policy(self, chat_id: int, policy: Any) -> bool:
        stmt = (
            update(watched_chats)
            .where(watched_chats.c.chat_id == chat_id)
            .values(media_policy=policy)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def media_policies(self, chat_ids: set[int]) -> dict[int, dict[str, Any]]:
        """Per-chat media policies set by an admin, for the chats asked about."""
        if not chat_ids:
            return {}
        query = select(watched_chats.c.chat_id, watched_chats.c.media_policy).where(
            watched_chats.c.chat_id.in_(sorted(chat_ids)), watched_chats.c.media_policy.is_not(None)
        )
        return {chat_id: policy for chat_id, policy in await self._conn.execute(query) if policy}

    async def account_ids(self) -> list[int]:
        """Every registered account, in the order they were first seen."""
        query = select(accounts.c.id).order_by(accounts.c.id)
        return [row[0] for row in await self._conn.execute(query)]

    async def accounts(self) -> list[Account]:
        """Every registered account with its label, in the order they were first seen."""
        query = select(accounts.c.id, accounts.c.label).order_by(accounts.c.id)
        return [Account(row.id, row.label) for row in await self._conn.execute(query)]

    async def enabled_ids(self, *, account_id: int | None = None) -> set[int]:
        """Watched chats: every one, or with ``account_id`` those of that account or of none."""
        query = select(watched_chats.c.chat_id).where(watched_chats.c.enabled.is_(True))
        if account_id is not None:
            query = query.where(belongs_to(watched_chats.c.account_id, account_id))
        return {row[0] for row in await self._conn.execute(query)}

    async def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Watched chats with their titles, backfill progress and owning account's label (None:
        any account), title order, and the total."""
        query = (
            select(
                watched_chats.c.chat_id,
                watched_chats.c.enabled,
                watched_chats.c.media_policy,
                watched_chats.c.added_at,
                chats.c.title,
                chats.c.username,
                chats.c.kind,
                backfill_cursors.c.fetched,
                backfill_cursors.c.done,
                accounts.c.label.label("account"),
            )
            .join(chats, chats.c.id == watched_chats.c.chat_id)
            .outerjoin(backfill_cursors, backfill_cursors.c.chat_id == watched_chats.c.chat_id)
            .outerjoin(accounts, accounts.c.id == watched_chats.c.account_id)
            .where(watched_chats.c.enabled.is_(True))
            .order_by(func.lower(chats.c.title), watched_chats.c.chat_id)
            .offset(offset)
            .limit(limit)
        )
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        total_query = select(func.count()).where(watched_chats.c.enabled.is_(True))
        total = int((await self._conn.execute(total_query)).scalar_one())
        return rows, total

"""WatchListService: which chats are archived, by @username, t.me link or id (or all dialogs).

With several Telegram accounts (one archiver process each), every archiver builds the service
for its account: a chat it watches becomes its account's, and its live path, catch-up and
backfills keep to the chats of its account plus those watched before accounts existed (no
account: anybody's). The bot's service has no account and sees every chat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.db.database import Database
from core.db.uow import UnitOfWork
from core.domain.messages import ChatInfo
from core.errors import InvalidInputError, NotFoundError
from core.ports.telegram import TelegramGateway
from services.archiver.dialogs import DialogSource

WATCHED_CACHE_SECONDS = 15.0  # how stale the live path's view of the watch list may get


@dataclass(frozen=True, slots=True)
class _WatchView:
    """The live path's cached view: chats this account archives, and chats of other accounts."""

    mine: set[int]
    others: set[int]


async def register_account(db: Database, label: str, telegram_user_id: int | None) -> int:
    """The id of the account an archiver runs as (created the first time its label is seen)."""
    async with db.unit_of_work() as uow:
        account_id = await uow.watch.register_account(label, telegram_user_id)
        await uow.commit()
    return account_id


@dataclass(frozen=True, slots=True)
class WatchedChat:
    chat_id: int
    title: str | None
    username: str | None
    kind: str
    fetched: int
    backfill_done: bool
    media_policy: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class WatchPage:
    chats: list[WatchedChat]
    total: int
    offset: int


@dataclass(frozen=True, slots=True)
class AllDialogsResult:
    """What ``watch_all_dialogs`` did: chats newly watched, and how many it left as they were."""

    added: list[ChatInfo]
    already_watched: int
    excluded: int


@dataclass(frozen=True, slots=True)
class WatchedBackfill:
    """A watched chat and where its backfill stands (``started``: it has a cursor)."""

    chat_id: int
    started: bool
    done: bool
    limit: int | None = None
    since: datetime | None = None


class WatchListService:
    """Adds and removes watched chats; the live path asks ``is_watched`` for every event.

    ``dialogs`` lists the account's dialogs and joins invite links; by default the gateway
    when it can (the Telethon adapter's does). ``account_id`` is the archiver's account (see
    the module's docstring); None for a single-account archiver and for the bot.
    """

    def __init__(
        self,
        db: Database,
        gateway: TelegramGateway | None,
        *,
        all_dialogs: bool = False,
        excluded: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        dialogs: DialogSource | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        account_id: int | None = None,
    ) -> None:
        self._db = db
        self.account_id = account_id
        self._gateway = gateway
        if dialogs is None and isinstance(gateway, DialogSource):
            dialogs = gateway
        self._dialogs = dialogs
        self._all_dialogs = all_dialogs
        self._excluded = excluded
        self._clock = clock
        self._watched: _WatchView | None = None
        self._monotonic = monotonic
        self._loaded_at = 0.0

    async def watch(
        self, reference: str, *, added_by: int | None = None, backfill: bool = True
    ) -> ChatInfo:
        """Resolve ``reference`` through Telegram, store the chat and start watching it."""
        if self._gateway is None:
            raise InvalidInputError("watching a new chat needs the archiver (a Telegram session)")
        reference = reference.strip()
        if not reference:
            raise InvalidInputError("name a chat: @username, a t.me link or a numeric id")
        resolved = await self._gateway.resolve_chat(reference)
        await self._store(resolved.chat, added_by=added_by, backfill=backfill)
        return resolved.chat

    async def watch_invite(
        self, link: str, *, added_by: int | None = None, backfill: bool = True
    ) -> ChatInfo:
        """Join the chat of an invite link (joining is this explicit call) and watch it."""
        resolved = await self._dialog_source().join_invite(link)
        await self._store(resolved.chat, added_by=added_by, backfill=backfill)
        return resolved.chat

    async def watch_all_dialogs(
        self, excluded: Iterable[int] | None = None, *, backfill: bool = True
    ) -> AllDialogsResult:
        """Watch every dialog of the account except ``excluded`` (default: the configured
        ARCHIVE_EXCLUDE_CHATS). Idempotent: chats already watched keep who added them and
        their backfill; excluded chats are not even stored."""
        skip = frozenset(excluded) if excluded is not None else self._excluded
        found = [chat async for chat in self._dialog_source().iter_dialog_chats()]
        wanted = [chat for chat in found if chat.id not in skip]
        at = self._clock()  # Telegram is asked first: no write transaction waits on it
        async with self._db.unit_of_work() as uow:
            already = await uow.watch.enabled_ids()  # another account's chat stays its own
            fresh = [chat for chat in wanted if chat.id not in already]
            if wanted:
                await uow.chats.upsert(wanted, at)
            for chat in fresh:
                await self._watch_in(uow, chat.id, at, added_by=None, backfill=backfill)
            await uow.commit()
        self._watched = None
        return AllDialogsResult(fresh, len(wanted) - len(fresh), len(found) - len(wanted))

    async def backfill_states(self) -> list[WatchedBackfill]:
        """Every watched (not excluded) chat of this account with its backfill cursor's state,
        by chat id."""
        async with self._db.reader() as uow:
            ids = await uow.watch.enabled_ids(account_id=self.account_id)
            cursors = {row["chat_id"]: row for row in await uow.backfill.all()}
        states = []
        for chat_id in sorted(ids - self._excluded):
            row = cursors.get(chat_id)
            if row is None:
                states.append(WatchedBackfill(chat_id, started=False, done=False))
            else:
                states.append(
                    WatchedBackfill(chat_id, True, bool(row["done"]), row["limit"], row["since"])
                )
        return states

    def _dialog_source(self) -> DialogSource:
        if self._dialogs is None:
            raise InvalidInputError("joining or listing dialogs needs the archiver's session")
        return self._dialogs

    async def _store(self, chat: ChatInfo, *, added_by: int | None, backfill: bool) -> None:
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            await uow.chats.upsert([chat], at)
            await self._watch_in(uow, chat.id, at, added_by=added_by, backfill=backfill)
            await uow.commit()
        self._watched = None

    async def _watch_in(
        self, uow: UnitOfWork, chat_id: int, at: datetime, *, added_by: int | None, backfill: bool
    ) -> None:
        await uow.watch.watch(chat_id, at, added_by=added_by, account_id=self.account_id)
        if backfill and await uow.backfill.get(chat_id) is None:
            await uow.backfill.start(chat_id, at)

    async def unwatch(self, chat_id: int) -> None:
        """Stop archiving a chat; what was archived stays."""
        async with self._db.unit_of_work() as uow:
            if not await uow.watch.unwatch(chat_id):
                raise NotFoundError(f"chat {chat_id} is not on the watch list")
            await uow.commit()
        self._watched = None

    async def set_media_policy(
        self, chat_id: int, *, types: list[str] | None = None, max_size_mb: int | None = None
    ) -> None:
        policy = {"types": types, "max_size_mb": max_size_mb}
        async with self._db.unit_of_work() as uow:
            if not await uow.watch.set_media_policy(chat_id, policy):
                raise NotFoundError(f"chat {chat_id} is not on the watch list")
            await uow.commit()

    async def list(self, offset: int = 0, limit: int = 10) -> WatchPage:
        async with self._db.reader() as uow:
            rows, total = await uow.watch.page(max(offset, 0), max(1, min(limit, 100)))
        chats = [
            WatchedChat(
                r["chat_id"],
                r["title"],
                r["username"],
                r["kind"],
                r["fetched"] or 0,
                bool(r["done"]),
                r["media_policy"],
            )
            for r in rows
        ]
        return WatchPage(chats, total, offset)

    async def is_watched(self, chat_id: int) -> bool:
        """Whether the live path keeps this chat's events: a chat on this account's watch list
        (or on nobody's in particular); with ARCHIVE_ALL_DIALOGS, any chat that is not another
        account's."""
        if chat_id in self._excluded:
            return False
        if self._all_dialogs and self.account_id is None:
            return True
        view = await self._view()
        return chat_id not in view.others if self._all_dialogs else chat_id in view.mine

    async def _view(self) -> _WatchView:
        now = self._monotonic()
        if self._watched is None or now - self._loaded_at > WATCHED_CACHE_SECONDS:
            # Re-read now and then: the bot may run in another process and change the list.
            async with self._db.reader() as uow:
                mine = await uow.watch.enabled_ids(account_id=self.account_id)
                others = (
                    await uow.watch.owned_by_others(self.account_id)
                    if self.account_id is not None
                    else set()
                )
            self._watched = _WatchView(mine, others)
            self._loaded_at = now
        return self._watched

    def invalidate(self) -> None:
        """Forget the cached list (another process changed it)."""
        self._watched = None

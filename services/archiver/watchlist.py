"""WatchListService: which chats are archived, by @username, t.me link or id (or all dialogs).

With several Telegram accounts (one archiver process each), every archiver builds the service
for its account: a chat it watches becomes its account's, and its live path, catch-up and
backfills keep to the chats of its account plus those watched before accounts existed (no
account: anybody's). The bot's service has no account and sees every chat.

Telegram numbers the messages of private chats and basic groups per account, so two accounts
writing the same one would mix two conversations under one (chat, message id). Such a chat
belongs to one account for good: another account's watch is refused (ChatOwnedError), its
ARCHIVE_ALL_DIALOGS leaves the chat out, and its live path drops the chat's events; one seen
live by an all-dialogs archiver before anyone watched it is claimed by that archiver's account.
Channels and supergroups share one id space, so any account may ask for them (writes are
idempotent); the account that watched one first keeps archiving it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from core.db.database import Database
from core.db.repos.watch import Account, WatchRow, numbers_messages_per_account
from core.db.uow import UnitOfWork
from core.domain.messages import ChatInfo
from core.errors import InvalidInputError, NotFoundError
from core.ports.telegram import TelegramGateway
from services.archiver.dialogs import DialogSource

__all__ = [
    "Account",
    "AllDialogsResult",
    "ChatOwnedError",
    "WatchListService",
    "WatchPage",
    "WatchedBackfill",
    "WatchedChat",
    "register_account",
]
log = structlog.get_logger(__name__)
WATCHED_CACHE_SECONDS = 15.0  # how stale the live path's view of the watch list may get
PER_ACCOUNT_REASON = "private chats and basic groups number their messages per account"


@dataclass(frozen=True, slots=True)
class _WatchView:
    """The live path's cached view: chats this account archives, chats it must not write
    (another account's), and every chat that has a watch row."""

    mine: set[int]
    others: set[int]
    known: set[int]


def _view_of(rows: Iterable[WatchRow], account_id: int | None) -> _WatchView:
    """Another account's chat is off limits while it is watched, and for good when its messages
    are numbered per account (what is stored is that account's numbering)."""
    mine: set[int] = set()
    others: set[int] = set()
    known: set[int] = set()
    for row in rows:
        known.add(row.chat_id)
        theirs = account_id is not None and row.account_id not in (None, account_id)
        if row.enabled and not theirs:
            mine.add(row.chat_id)
        elif theirs and (row.enabled or row.per_account):
            others.add(row.chat_id)
    return _WatchView(mine, others, known)


class ChatOwnedError(InvalidInputError):
    """A private chat or basic group another account archives: this account may not watch it."""

    def __init__(self, chat: ChatInfo, owner: Account) -> None:
        super().__init__(
            f"{_chat_name(chat)} belongs to the account '{owner.label}': Telegram numbers the "
            f"messages of a private chat or basic group per account, so only that account may "
            f"archive it"
        )
        self.chat_id = chat.id
        self.owner = owner


def _chat_name(chat: ChatInfo) -> str:
    return f"{chat.title} ({chat.id})" if chat.title else f"chat {chat.id}"


async def register_account(db: Database, label: str, telegram_user_id: int | None) -> int:
    """The id of the account an archiver runs as (created the first time its label is seen).

    Private chats and basic groups watched before accounts existed go to the first account
    registered, so that no second account ever writes them.
    """
    async with db.unit_of_work() as uow:
        account_id = await uow.watch.register_account(label, telegram_user_id)
        adopted = await uow.watch.adopt_unowned()
        await uow.commit()
    if adopted:
        log.info("unowned_private_chats_adopted", chats=adopted, reason=PER_ACCOUNT_REASON)
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
    account: str | None = None  # the label of the account that archives it; None: any


@dataclass(frozen=True, slots=True)
class WatchPage:
    """A page of the watch list; ``accounts``: how many accounts the vault has registered."""

    chats: list[WatchedChat]
    total: int
    offset: int
    accounts: int = 0


@dataclass(frozen=True, slots=True)
class AllDialogsResult:
    """What ``watch_all_dialogs`` did: chats newly watched, and how many it left as they were
    (already watched; excluded; private chats and basic groups of another account)."""

    added: list[ChatInfo]
    already_watched: int
    excluded: int
    owned_elsewhere: int = 0


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
        their backfill; excluded chats are not even stored; a private chat or basic group of
        another account is left out (logged with the reason)."""
        skip = frozenset(excluded) if excluded is not None else self._excluded
        found = [chat async for chat in self._dialog_source().iter_dialog_chats()]
        wanted = [chat for chat in found if chat.id not in skip]
        at = self._clock()  # Telegram is asked first: no write transaction waits on it
        async with self._db.unit_of_work() as uow:
            rows = {row.chat_id: row for row in await uow.watch.rows()}
            owners = {account.id: account for account in await uow.watch.accounts()}
            foreign = self._owned_elsewhere(wanted, rows, owners)
            fresh = [
                chat
                for chat in wanted
                if chat.id not in foreign and not (chat.id in rows and rows[chat.id].enabled)
            ]  # a chat watched already, by any account, stays as it is
            if wanted:
                await uow.chats.upsert(wanted, at)
            for chat in fresh:
                await self._watch_in(uow, chat.id, at, added_by=None, backfill=backfill)
            await uow.commit()
        self._watched = None
        already = len(wanted) - len(fresh) - len(foreign)
        return AllDialogsResult(fresh, already, len(found) - len(wanted), len(foreign))

    def _owned_elsewhere(
        self, chats: Iterable[ChatInfo], rows: Mapping[int, WatchRow], owners: Mapping[int, Account]
    ) -> dict[int, Account]:
        """The private chats and basic groups among ``chats`` that another account owns."""
        foreign: dict[int, Account] = {}
        if self.account_id is None:
            return foreign
        for chat in chats:
            row = rows.get(chat.id)
            owner = owners.get(row.account_id) if row and row.account_id is not None else None
            if owner is None or owner.id == self.account_id:
                continue
            if numbers_messages_per_account(chat.id, chat.kind):
                foreign[chat.id] = owner
                log.info(
                    "dialog_skipped", chat_id=chat.id, owner=owner.label,
                    reason=f"{PER_ACCOUNT_REASON}: another account archives it",
                )  # fmt: skip
        return foreign

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
            await self._refuse_another_accounts(uow, chat)
            await uow.chats.upsert([chat], at)
            await self._watch_in(uow, chat.id, at, added_by=added_by, backfill=backfill)
            await uow.commit()
        self._watched = None

    async def _refuse_another_accounts(self, uow: UnitOfWork, chat: ChatInfo) -> None:
        """ChatOwnedError for a private chat or basic group that is another account's."""
        if self.account_id is None or not numbers_messages_per_account(chat.id, chat.kind):
            return
        owner = await uow.watch.owner(chat.id)
        if owner is not None and owner.id != self.account_id:
            log.info(
                "watch_refused", chat_id=chat.id, account_id=self.account_id, owner=owner.label,
                reason=PER_ACCOUNT_REASON,
            )  # fmt: skip
            raise ChatOwnedError(chat, owner)

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
            accounts = len(await uow.watch.account_ids())
        chats = [
            WatchedChat(
                r["chat_id"],
                r["title"],
                r["username"],
                r["kind"],
                r["fetched"] or 0,
                bool(r["done"]),
                r["media_policy"],
                r["account"],
            )
            for r in rows
        ]
        return WatchPage(chats, total, offset, accounts)

    async def accounts(self) -> tuple[Account, ...]:
        """The registered accounts (one per archiver that ever ran), first registered first."""
        async with self._db.reader() as uow:
            return tuple(await uow.watch.accounts())

    async def owner(self, chat_id: int) -> Account | None:
        """The account a watched (or once watched) chat belongs to; None: any account."""
        async with self._db.reader() as uow:
            return await uow.watch.owner(chat_id)

    async def is_watched(self, chat_id: int) -> bool:
        """Whether the live path keeps this chat's events: a chat on this account's watch list
        (or on nobody's in particular); with ARCHIVE_ALL_DIALOGS, any chat that is not another
        account's, where a private chat or basic group nobody watched yet is claimed first
        (whoever claims it first keeps it; the other accounts then drop its events)."""
        if chat_id in self._excluded:
            return False
        if self.account_id is None:
            return self._all_dialogs or chat_id in (await self._view()).mine
        view = await self._view()
        if chat_id in view.mine:
            return True
        if chat_id in view.others or not self._all_dialogs:
            return False
        if chat_id in view.known or not numbers_messages_per_account(chat_id, None):
            return True
        return await self._claim(chat_id, self.account_id, view)

    async def _claim(self, chat_id: int, account_id: int, view: _WatchView) -> bool:
        """Make a private chat or basic group first seen live the account's, unless another
        account came first; its history is then filled by the next catch-up."""
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            await uow.chats.ensure([chat_id], at)  # filled in by the page being written
            owner = await uow.watch.claim(chat_id, account_id, at)
            ours = owner == account_id
            if ours and await uow.backfill.get(chat_id) is None:
                await uow.backfill.start(chat_id, at)
            await uow.commit()
        view.known.add(chat_id)
        (view.mine if ours else view.others).add(chat_id)
        event = "chat_claimed" if ours else "chat_claimed_by_another_account"
        log.info(event, chat_id=chat_id, account_id=account_id, owner=owner)
        return ours

    async def _view(self) -> _WatchView:
        now = self._monotonic()
        if self._watched is None or now - self._loaded_at > WATCHED_CACHE_SECONDS:
            # Re-read now and then: the bot may run in another process and change the list.
            async with self._db.reader() as uow:
                rows = await uow.watch.rows()
            self._watched = _view_of(rows, self.account_id)
            self._loaded_at = now
        return self._watched

    def invalidate(self) -> None:
        """Forget the cached list (another process changed it)."""
        self._watched = None

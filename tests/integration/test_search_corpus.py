"""A small multilingual archive the search tests share, and checks of the archive itself.

Other ``test_search_*`` modules import ``archive``/``service``/``ids_of`` from here; the
``strategy`` fixture runs a test twice: with the default plans, and with every threshold
forced down so that the batched walk (SQLite) and the windows then CTE (PostgreSQL) run
on this small archive too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.config_manager import ConfigManager
from core.db.database import Database
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from services.search import SearchService, postgres_search, sqlite_search

T0 = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
CHANNEL = ChatInfo(-1001000000001, "channel", "Noticias del Valle", "vault_news")
SUPERGROUP = ChatInfo(-1001000000002, "supergroup", "Equipo Ñandú")
GROUP = ChatInfo(-555, "group", "Familia")
PRIVATE = ChatInfo(1002, "user", None, "boris")
CHATS = (CHANNEL, SUPERGROUP, GROUP, PRIVATE)
USERS = (
    UserInfo(1001, "Ana", "García", "ana_garcia", bio="Periodista en Bogotá"),
    UserInfo(1002, "Борис", "Иванов", "boris"),
    UserInfo(1003, "محمد", "علي", "mohammed"),
    UserInfo(1004, "太郎", "山田", "yamada"),
    UserInfo(1005, "Vault", "Bot", "vault_bot", is_bot=True),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One fixture message: its id is also its order of arrival."""

    message_id: int
    chat: ChatInfo
    sender: int | None
    day: int  # days after T0
    text: str
    extra: dict[str, object] | None = None


def _m(
    message_id: int, chat: ChatInfo, sender: int | None, day: int, text: str, **extra: object
) -> Row:
    return Row(message_id, chat, sender, day, text, extra or None)


LINK = ({"type": "url", "offset": 0, "length": 5},)
ROWS = (
    _m(1, CHANNEL, 1001, 0, "Llámame al teléfono 555-1234 mañana"),
    _m(2, CHANNEL, 1001, 1, "La información está en https://example.com/info", entities=LINK),
    _m(3, SUPERGROUP, 1002, 2, "Informe anual: información útil para el equipo"),
    _m(4, GROUP, 1001, 3, "El niño comió en Bogotá"),
    _m(5, SUPERGROUP, 1002, 4, "Привет, это важная информация о встрече"),
    _m(6, SUPERGROUP, 1002, 5, "Встреча завтра в 10:00"),
    _m(7, CHANNEL, 1003, 6, "مُحَمَّد رَسُول الله"),
    _m(8, CHANNEL, 1003, 7, "محمد يرسل رسالة"),
    _m(9, CHANNEL, 1003, 8, "أحمد في المكتب"),
    _m(10, SUPERGROUP, 1003, 9, "من می‌خواهم کتاب بخرم"),
    _m(11, SUPERGROUP, 1003, 10, "کتابخانه مرکزی تهران"),
    _m(12, CHANNEL, 1004, 11, "我们明天在北京开会"),
    _m(13, CHANNEL, 1004, 12, "比特币价格上涨了"),
    _m(14, CHANNEL, 1004, 13, "東京タワーが見える"),
    _m(15, PRIVATE, 1002, 14, "ありがとうございます"),
    _m(16, CHANNEL, 1001, 15, "join us at t.me/vault_news or e-mail info@example.com"),
    _m(17, GROUP, 1001, 16, "C++ is faster than Python 🙂"),
    _m(18, GROUP, 1001, 20, "the harbour is quiet tonight", edit_date=T0 + timedelta(days=21)),
    _m(19, GROUP, 1002, 30, "meet at the harbour station"),
    _m(20, CHANNEL, None, 40, "forwarded: the market report", fwd_from_name="Reuters"),
    _m(21, SUPERGROUP, 1002, 50, "sunset photo", kind="media", media_kind="photo"),
    _m(22, SUPERGROUP, 1002, 51, "", kind="media", media_kind="video"),
    _m(23, SUPERGROUP, 1001, 52, "signed contract", kind="media", media_kind="document"),
    _m(24, PRIVATE, 1002, 60, "harbour harbour harbour"),
)
DELETED = 19  # marked deleted after storing


def message(row: Row) -> ArchivedMessage:
    extra = dict(row.extra or {})
    return ArchivedMessage(
        chat_id=row.chat.id,
        message_id=row.message_id,
        date=T0 + timedelta(days=row.day),
        text=row.text,
        sender_id=row.sender,
        **extra,  # type: ignore[arg-type]
    )


async def archive(db: Database, rows: tuple[Row, ...] = ROWS) -> None:
    """Store the fixture chats, people and messages, and mark one message deleted."""
    async with db.unit_of_work() as uow:
        await uow.chats.upsert(list(CHATS), T0)
        await uow.users.upsert(list(USERS), T0)
        await uow.messages.upsert_batch([message(r) for r in rows])
        await uow.messages.mark_deleted([DELETED], T0 + timedelta(days=90), chat_id=GROUP.id)
        await uow.commit()


def service(db: Database, **settings: str) -> SearchService:
    config = ConfigManager(
        env_file=None, environ={"SECRET_KEY": "Zq8vN2kLp4Xr7Tw1Ys6Bm3Hd9Fj5Gc0A", **settings}
    )
    config.load()
    return SearchService(db, config)


async def ids_of(search: SearchService, query: str, limit: int = 50) -> list[int]:
    """Telegram message ids of every page of ``query``, in the order served."""
    found: list[int] = []
    cursor = None
    while True:
        page = await search.search_messages(query, cursor=cursor, limit=limit)
        found.extend(hit.message_id for hit in page.hits)
        cursor = page.next_cursor
        if cursor is None:
            return found


@pytest.fixture(params=["default", "forced"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``forced`` shrinks every threshold so the large-archive plans run on small data, and
    makes SQLite's walk use its three batch modes in turn."""
    if request.param == "forced":
        monkeypatch.setattr(sqlite_search, "SORTED_MAX", 0)
        monkeypatch.setattr(sqlite_search, "MEDIA_DRIVEN_MAX", -1)  # has: filters walk too
        monkeypatch.setattr(sqlite_search, "FIRST_BATCH_MIN", 2)
        monkeypatch.setattr(sqlite_search, "BATCH_MAX", 3)
        modes = itertools.cycle(["lookup", "decode", "probe"])

        async def next_mode(self: object, smallest: int, bounds: object) -> str:
            return next(modes)

        monkeypatch.setattr(sqlite_search.SqliteSearch, "_batch_mode", next_mode)
        monkeypatch.setattr(postgres_search, "RECENT_ROWS", 3)
        monkeypatch.setattr(postgres_search, "WINDOW_MAX", 4)
        monkeypatch.setattr(postgres_search, "MIN_HITS_FOR_DENSITY", 1)
    return str(request.param)


async def test_the_archive_is_stored_with_its_indexes(db: Database) -> None:
    await archive(db)
    search = service(db)
    page = await search.search_messages("harbour")
    assert page.total == 3 and not page.total_is_estimate
    assert [hit.message_id for hit in page.hits] == [24, 19, 18]  # newest first

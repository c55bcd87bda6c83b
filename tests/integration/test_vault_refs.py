"""The bot's chat references resolve through the same lookup as /export, on both dialects."""

from __future__ import annotations

import pytest

from core.db.database import Database
from core.errors import InvalidInputError, NotFoundError
from services.archiver.vault_refs import find_chat
from tests import factories as f

NEWS = f.chat(-1001234567890, title="Noticias de Bogotá", username="bogota_news")
NEWS_ES = f.chat(-1001234567891, title="Noticias España")
FAMILY = f.chat(-4001, kind="group", title="Familia")


async def _store(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([NEWS, NEWS_ES, FAMILY], f.at(0))
        await uow.watch.watch(NEWS.id, f.at(0), added_by=None)
        await uow.commit()


@pytest.mark.parametrize(
    "text",
    [
        "@bogota_news",
        "bogota_news",
        "t.me/bogota_news",
        "1234567890",
        "-1001234567890",
        "noticias de bogota",
    ],
)
async def test_every_way_of_naming_a_chat_finds_it(db: Database, text: str) -> None:
    await _store(db)
    assert (await find_chat(db, text)).id == NEWS.id


async def test_several_matches_are_listed_with_the_bots_advice(db: Database) -> None:
    await _store(db)
    with pytest.raises(InvalidInputError, match="matches 2 chats") as caught:
        await find_chat(db, "noticias")
    assert "Noticias España (-1001234567891)" in str(caught.value)
    assert str(caught.value).endswith("Name one by its id or @username")


async def test_watched_only_looks_at_the_watch_list(db: Database) -> None:
    await _store(db)
    assert (await find_chat(db, "noticias", watched_only=True)).id == NEWS.id
    with pytest.raises(NotFoundError, match="no watched chat"):
        await find_chat(db, "Familia", watched_only=True)

"""Cursor pagination never repeats or skips a result, whatever arrives between pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db.database import Database
from core.domain.messages import ArchivedMessage
from core.errors import InvalidInputError
from tests.integration.test_search_corpus import CHANNEL, T0, archive, service, strategy

__all__ = ["strategy"]


def _alpha(message_id: int, minute: int) -> ArchivedMessage:
    return ArchivedMessage(
        chat_id=CHANNEL.id,
        message_id=message_id,
        date=T0 + timedelta(days=100, minutes=minute),
        text=f"alpha report number {message_id}",
        sender_id=1001,
    )


async def _store(db: Database, *batch: ArchivedMessage) -> None:
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch(list(batch))
        await uow.commit()


async def test_new_messages_between_pages_change_nothing(db: Database, strategy: str) -> None:
    await archive(db)
    await _store(db, *(_alpha(1000 + i, i) for i in range(30)))
    search = service(db)
    page = await search.search_messages("alpha", limit=7)
    seen = [hit.message_id for hit in page.hits]
    newer = 0
    while page.next_cursor:
        newer += 1  # a newer matching message arrives before every next page
        await _store(db, _alpha(5000 + newer, 1000 + newer))
        page = await search.search_messages("alpha", cursor=page.next_cursor, limit=7)
        seen.extend(hit.message_id for hit in page.hits)
    assert seen == [1000 + i for i in reversed(range(30))]  # all, once, newest first


async def test_an_older_arrival_after_the_cursor_is_served_once(
    db: Database, strategy: str
) -> None:
    await archive(db)
    await _store(db, *(_alpha(1000 + i, i * 10) for i in range(10)))
    search = service(db)
    page = await search.search_messages("alpha", limit=4)
    await _store(db, _alpha(4000, 5))  # a backfilled message older than every page so far
    seen = [hit.message_id for hit in page.hits]
    while page.next_cursor:
        page = await search.search_messages("alpha", cursor=page.next_cursor, limit=4)
        seen.extend(hit.message_id for hit in page.hits)
    assert seen == [1009, 1008, 1007, 1006, 1005, 1004, 1003, 1002, 1001, 4000, 1000]


async def test_relevance_pages_keep_their_candidate_set(db: Database, strategy: str) -> None:
    await archive(db)
    await _store(db, *(_alpha(1000 + i, i) for i in range(12)))
    search = service(db)
    page = await search.search_messages("alpha sort:relevance", limit=5)
    seen = [hit.message_id for hit in page.hits]
    while page.next_cursor:
        await _store(db, _alpha(6000 + len(seen), 500 + len(seen)))
        page = await search.search_messages(
            "alpha sort:relevance", cursor=page.next_cursor, limit=5
        )
        seen.extend(hit.message_id for hit in page.hits)
    assert sorted(seen) == [1000 + i for i in range(12)]


async def test_later_pages_repeat_the_first_total(db: Database) -> None:
    await archive(db)
    await _store(db, *(_alpha(1000 + i, i) for i in range(9)))
    search = service(db)
    first = await search.search_messages("alpha", limit=4)
    await _store(db, _alpha(7000, 900))
    second = await search.search_messages("alpha", cursor=first.next_cursor, limit=4)
    assert first.total == second.total == 9
    assert not first.total_is_estimate


@pytest.mark.parametrize(
    "cursor",
    ["", "not-a-cursor", "AAAA", "%%%", "eyJ2IjoxfQ", "x" * 5000],
)
async def test_malformed_cursors_are_refused(db: Database, cursor: str) -> None:
    await archive(db)
    with pytest.raises(InvalidInputError, match="no longer be opened"):
        await service(db).search_messages("harbour", cursor=cursor or "=")


async def test_a_cursor_only_continues_its_own_search(db: Database) -> None:
    await archive(db)
    search = service(db)
    page = await search.search_messages("harbour", limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInputError):
        await search.search_messages("harbour -station", cursor=page.next_cursor, limit=1)
    tampered = page.next_cursor[:-2] + ("A" if page.next_cursor[-2] != "A" else "B") + "A"
    with pytest.raises(InvalidInputError):
        await search.search_messages("harbour", cursor=tampered, limit=1)


async def test_a_cursor_signed_with_another_key_is_refused(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages("harbour", limit=1)
    assert page.next_cursor is not None
    other = service(db, SECRET_KEY="Pw7Rt2Yx9Kq4Lm1Vb8Nc3Zs6Hd0Jf5Ga")
    with pytest.raises(InvalidInputError):
        await other.search_messages("harbour", cursor=page.next_cursor, limit=1)


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_page_sizes_are_bounded(db: Database, limit: int) -> None:
    with pytest.raises(InvalidInputError, match="page holds"):
        await service(db).search_messages("harbour", limit=limit)


async def test_the_configured_page_size_is_the_default(db: Database) -> None:
    await archive(db)
    page = await service(db, SEARCH_PAGE_SIZE="2").search_messages("harbour")
    assert len(page.hits) == 2 and page.next_cursor is not None

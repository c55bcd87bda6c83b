"""Every filter of the query language, alone and with text, on both dialects and plans."""

from __future__ import annotations

from typing import Any

import pytest

from core.db.database import Database
from core.domain.messages import UserInfo
from services.search import sqlite_search
from tests.integration.test_search_corpus import (
    CHANNEL,
    GROUP,
    SUPERGROUP,
    T0,
    archive,
    ids_of,
    service,
    strategy,
)

__all__ = ["strategy"]

BY_ANA = {1, 2, 4, 16, 17, 18, 23}
BY_BORIS = {3, 5, 6, 15, 19, 21, 22, 24}
IN_CHANNEL = {1, 2, 7, 8, 9, 12, 13, 14, 16, 20}
IN_SUPERGROUP = {3, 5, 6, 10, 11, 21, 22, 23}
IN_GROUP = {4, 17, 18, 19}

CASES = [
    ("from:@ana_garcia", BY_ANA),
    ("from:ANA_GARCIA", BY_ANA),
    ("from:1002", BY_BORIS),
    ("from:@ana_garcia OR from:@boris", BY_ANA | BY_BORIS),
    ("harbour -from:@boris", {18}),
    ("from:@vault_news", set()),  # the channel never posted as itself here
    (f"in:{SUPERGROUP.id}", IN_SUPERGROUP),
    ("in:@vault_news", IN_CHANNEL),
    ('in:"equipo ñandu"', IN_SUPERGROUP),
    ("in:nandu", IN_SUPERGROUP),  # a part of the title, folded
    ("in:familia harbour", {18, 19}),
    (f"harbour -in:{GROUP.id}", {24}),
    (f"in:{CHANNEL.id} in:{GROUP.id} harbour", {18, 19}),
    ("harbour before:2024-02", {18}),
    ("harbour after:2024-01", {19, 24}),
    ("harbour on:2024-03", {24}),
    ("on:2024-02-29", {21}),
    ("before:2024-01-11", {1}),
    ("after:2024-03-01", {23, 24}),
    ("after:2024-01-31 before:2024-02-20", {19, 20}),
    ("has:photo", {21}),
    ("has:video", {22}),
    ("has:document", {23}),
    ("has:media", {21, 22, 23}),
    ("has:photo has:video", {21, 22}),
    ("has:link", {2, 16}),
    ("harbour OR informacion -has:link", {3, 18, 19, 24}),
    ("in:@vault_news -has:link -has:media", IN_CHANNEL - {2, 16}),
    ("is:edited", {18}),
    ("is:deleted", {19}),
    ("is:forwarded", {20}),
    ("harbour -is:deleted", {18, 24}),
    ("harbour in:familia -is:deleted is:edited", {18}),
    ("sunset has:photo", {21}),
    ("contract -has:photo", {23}),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
async def test_filters(db: Database, strategy: str, query: str, expected: set[int]) -> None:
    await archive(db)
    found = await ids_of(service(db), query, limit=3)
    assert len(found) == len(set(found))
    assert set(found) == expected


MEDIA_DRIVEN = [
    ("sunset has:photo", [21]),
    ("sunset has:video", []),
    ("contract has:media", [23]),
    ("signed OR sunset has:photo has:document", [23, 21]),
    ("sunset OR contract has:media from:@boris", [21]),
    ("photo OR contract OR harbour has:media before:2024-02-28", []),
    ("photo OR contract OR harbour has:media -is:deleted", [23, 21]),
]


@pytest.mark.parametrize("dialect", ["sqlite"])
@pytest.mark.parametrize(("query", "expected"), MEDIA_DRIVEN)
async def test_media_rows_drive_a_text_search_with_a_has_filter(
    db: Database, monkeypatch: pytest.MonkeyPatch, query: str, expected: list[int]
) -> None:
    # Sorting the text's matches is never cheaper here, and the walk must not be taken.
    monkeypatch.setattr(sqlite_search, "SORTED_MAX", 0)

    async def no_walk(*_: object) -> None:
        raise AssertionError("walked instead of reading the media rows")

    monkeypatch.setattr(sqlite_search.SqliteSearch, "_walk_batches", no_walk)
    await archive(db)
    assert await ids_of(service(db), query, limit=1) == expected  # newest first, page by page
    assert (await service(db).search_messages(query)).total == len(expected)


@pytest.mark.parametrize("dialect", ["sqlite"])
async def test_a_very_common_text_with_a_has_filter_is_walked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_search, "SORTED_MAX", 0)
    monkeypatch.setattr(sqlite_search, "COMMON_TEXT", 1)  # every text counts as very common
    walks: list[object] = []
    walk = sqlite_search.SqliteSearch._walk_batches

    async def counted_walk(self: sqlite_search.SqliteSearch, *args: Any) -> Any:
        walks.append(args)
        return await walk(self, *args)

    monkeypatch.setattr(sqlite_search.SqliteSearch, "_walk_batches", counted_walk)
    await archive(db)
    assert await ids_of(service(db), "sunset has:photo") == [21]
    assert walks


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("from:@nobody", "no sender known as '@nobody'"),
        ("in:nowhere", "no chat matches in:nowhere"),
    ],
)
async def test_a_filter_naming_nobody_explains_the_empty_page(
    db: Database, query: str, note: str
) -> None:
    await archive(db)
    page = await service(db).search_messages(query)
    assert page.hits == () and page.total == 0
    assert note in page.notes


async def test_an_earlier_username_still_finds_the_sender(db: Database) -> None:
    await archive(db)
    async with db.unit_of_work() as uow:
        await uow.users.upsert([UserInfo(1001, username="ana_new")], T0)
        await uow.commit()
    page = await service(db).search_messages("from:@ana_garcia harbour")
    assert [hit.message_id for hit in page.hits] == [18]
    assert any("earlier username" in note for note in page.notes)


async def test_filters_only_report_an_exact_total(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages(f"in:{SUPERGROUP.id}", limit=2)
    assert (page.total, page.total_is_estimate) == (len(IN_SUPERGROUP), False)

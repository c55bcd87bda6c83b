"""Every filter of the query language, alone and with text, on both dialects and plans."""

from __future__ import annotations

import pytest

from core.db.database import Database
from core.domain.messages import UserInfo
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

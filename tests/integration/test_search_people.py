"""People search: names, usernames and bios, folded, including what people were called before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db.database import Database
from core.domain.messages import UserInfo
from core.errors import InvalidInputError
from tests.integration.test_search_corpus import T0, archive, service


async def _rename(db: Database, *changes: UserInfo) -> None:
    async with db.unit_of_work() as uow:
        await uow.users.upsert(list(changes), T0 + timedelta(days=1))
        await uow.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ana", [(1001, "name")]),
        ("GARCIA", [(1001, "name")]),
        ("ana garcía", [(1001, "name")]),
        ("@boris", [(1002, "username")]),
        ("борис", [(1002, "name")]),
        ("محمد", [(1003, "name")]),
        ("太郎", [(1004, "name")]),
        ("bogota", [(1001, "bio")]),
        ("vault", [(1005, "name")]),
        ("nobody-like-this", []),
    ],
)
async def test_people_by_name_username_and_bio(
    db: Database, query: str, expected: list[tuple[int, str]]
) -> None:
    await archive(db)
    people = await service(db).search_people(query)
    assert [(p.user_id, p.matched) for p in people] == expected


async def test_an_exact_username_comes_before_partial_matches(db: Database) -> None:
    await archive(db)
    await _rename(db, UserInfo(1005, username="boris_fan_bot"))
    people = await service(db).search_people("boris")
    assert [(p.user_id, p.matched) for p in people] == [(1002, "username"), (1005, "username")]


async def test_earlier_names_and_usernames_are_found_and_named(db: Database) -> None:
    await archive(db)
    await _rename(db, UserInfo(1003, username="mo_ali"), UserInfo(1001, last_name="López"))
    search = service(db)
    (mohammed,) = await search.search_people("@mohammed")
    assert (mohammed.user_id, mohammed.username) == (1003, "mo_ali")
    assert (mohammed.matched, mohammed.earlier_value) == ("earlier_username", "mohammed")
    (ana,) = await search.search_people("ana garcia")
    assert (ana.matched, ana.earlier_value, ana.last_name) == ("earlier_name", "García", "López")
    (current,) = await search.search_people("ana lopez")
    assert current.matched == "name" and current.earlier_value is None


async def test_the_limit_is_respected(db: Database) -> None:
    await archive(db)
    people = await service(db).search_people("a", limit=2)
    assert len(people) == 2


@pytest.mark.parametrize(
    ("query", "limit"), [("", 20), ("   ", 20), ("@", 20), ("ana", 0), ("x" * 500, 20)]
)
async def test_invalid_people_searches_are_explained(db: Database, query: str, limit: int) -> None:
    with pytest.raises(InvalidInputError):
        await service(db).search_people(query, limit=limit)

"""One person for /who: by id or @username (current or former), with their change history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db.database import Database
from core.domain.messages import UserInfo
from core.errors import InvalidInputError, NotFoundError
from services.search import person
from tests.integration.test_search_corpus import T0, archive, service


async def _change(db: Database, days: int, *changes: UserInfo) -> None:
    async with db.unit_of_work() as uow:
        await uow.users.upsert(list(changes), T0 + timedelta(days=days))
        await uow.commit()


async def test_a_person_by_id_has_current_fields_messages_and_no_history(db: Database) -> None:
    await archive(db)
    ana = await service(db).person("1001")
    assert (ana.display_name, ana.username, ana.bio) == (
        "Ana García",
        "ana_garcia",
        "Periodista en Bogotá",
    )
    assert not ana.is_bot and not ana.is_deleted and not ana.is_verified
    assert ana.message_count == 7  # fixture rows 1, 2, 4, 16, 17, 18 and 23
    assert ana.last_message_at == T0 + timedelta(days=52)
    assert ana.first_seen_at == T0 and ana.history == () and ana.history_total == 0
    assert ana.former_username is None


async def test_the_history_lists_every_change_newest_first(db: Database) -> None:
    await archive(db)
    await _change(db, 1, UserInfo(1003, username="mo_ali", bio="first bio"))
    await _change(db, 2, UserInfo(1003, first_name="Mo", bio="second bio", is_deleted=True))
    profile = await service(db).person("@MO_ALI")
    assert profile.user_id == 1003 and profile.username == "mo_ali"
    assert profile.first_name == "Mo" and profile.is_deleted
    changes = [(c.field, c.old_value, c.new_value, c.changed_at) for c in profile.history]
    day1, day2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
    assert sorted(changes[:3]) == [
        ("bio", "first bio", "second bio", day2),
        ("first_name", "محمد", "Mo", day2),
        ("is_deleted", "False", "True", day2),
    ]
    assert sorted(changes[3:]) == [
        ("bio", None, "first bio", day1),
        ("username", "mohammed", "mo_ali", day1),
    ]
    assert profile.history_total == 5
    assert profile.updated_at == day2 and profile.first_seen_at == T0


async def test_a_former_username_finds_whoever_had_it_last(db: Database) -> None:
    await archive(db)
    await _change(db, 1, UserInfo(1003, username="mo_ali"))
    await _change(db, 2, UserInfo(1002, username="mohammed"))  # taken over by someone else
    search = service(db)
    assert (await search.person("@mohammed")).user_id == 1002  # the current holder wins
    await _change(db, 3, UserInfo(1002, username="boris2"))
    again = await search.person("@mohammed")
    assert (again.user_id, again.former_username) == (1002, "mohammed")
    old = await search.person("@boris")
    assert (old.user_id, old.username, old.former_username) == (1002, "boris2", "boris")
    await _change(db, 4, UserInfo(1004, username="MO_ALI"))  # 1003 not seen since: stale
    assert (await search.person("@mo_ali")).user_id == 1004  # the latest sighting wins


async def test_the_history_is_limited_but_counted(db: Database) -> None:
    await archive(db)
    for day in range(1, 6):
        await _change(db, day, UserInfo(1004, bio=f"bio {day}"))
    async with db.reader() as uow:
        profile = await person.person_profile(uow.connection, 1004, history_limit=2)
    assert [c.new_value for c in profile.history] == ["bio 5", "bio 4"]
    assert profile.history_total == 5


@pytest.mark.parametrize(
    ("ref", "error", "reason"),
    [
        ("424242", NotFoundError, "no one with user id 424242"),
        ("@nobody_here", NotFoundError, "no one in the archive is or was @nobody_here"),
        ("-1001000000001", InvalidInputError, "is a chat id"),
        ("0", InvalidInputError, "is not a user id"),
        ("99999999999999999999", InvalidInputError, "not a username or an id"),
        ("ana garcía", InvalidInputError, "not a username or an id"),
        ("", InvalidInputError, "not a username or an id"),
        ("@x", InvalidInputError, "not a username or an id"),
    ],
)
async def test_unknown_people_and_bad_references_are_explained(
    db: Database, ref: str, error: type[Exception], reason: str
) -> None:
    await archive(db)
    with pytest.raises(error, match=reason):
        await service(db).person(ref)


@pytest.mark.parametrize(
    ("text", "exact"),
    [("@ana_garcia", True), ("1001", True), (" 1001 ", True), ("ana", False),
     ("ana garcía", False), ("@a b", False), ("-100", False), ("@", False)],
)  # fmt: skip
def test_which_text_names_one_person(text: str, exact: bool) -> None:
    assert person.is_exact_ref(text) is exact

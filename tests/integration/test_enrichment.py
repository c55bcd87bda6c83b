"""Profile enrichment with the real Telethon client over the fake MTProto sender, on both
dialects: full profiles, change history with times, alerts on watched people, photos."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telethon.tl import functions

from core.db.database import Database
from core.db.tables import media_blobs
from core.errors import InvalidInputError, NotFoundError
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.fakes.telegram.enrichment import (
    ADMINS,
    START,
    EnrichmentStack,
    build_enrichment,
)
from tests.fakes.telegram.profiles import show_photo

GetFile = functions.upload.GetFileRequest
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 600  # spans several download parts
OTHER_JPEG = b"\xff\xd8\xff\xe0" + bytes(reversed(range(256))) * 8
Make = Callable[[FakeTelegram], Awaitable[EnrichmentStack]]


@pytest.fixture
async def make(db: Database, tmp_path: Path) -> AsyncIterator[Make]:
    built: list[EnrichmentStack] = []

    async def _make(world: FakeTelegram) -> EnrichmentStack:
        built.append(await build_enrichment(world, db, tmp_path / "media"))
        return built[-1]

    yield _make
    for stack in built:
        await stack.client.disconnect()


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def ana(world: FakeTelegram) -> FakeUser:
    return world.add_user(
        "Ana", last_name="García", username="ana_garcia", bio="Periodista en Madrid",
        premium=True, verified=True, common_chats_count=3,
    )  # fmt: skip


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_a_full_profile_is_stored_with_its_flags_bio_and_photo(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    dubious = world.add_user("Promo", bot=True, scam=True, fake=True)
    show_photo(world, ana, JPEG)
    stack = await make(world)
    await stack.vault(ana, dubious)

    result = await stack.enricher.enrich_user(ana.id)
    await stack.enricher.enrich_user(dubious.id)

    assert (result.refreshed, result.reason, result.photo_sha256) == (True, None, _sha(JPEG))
    row = await stack.row(ana.id)
    assert (row["bio"], row["common_chats_count"], row["photo_id"]) == (
        "Periodista en Madrid", 3, ana.photo_id,
    )  # fmt: skip
    assert (row["is_premium"], row["is_verified"], row["is_scam"], row["is_bot"]) == (
        True, True, False, False,
    )  # fmt: skip
    assert row["enriched_at"] == START
    flags = await stack.row(dubious.id)
    assert (flags["is_bot"], flags["is_scam"], flags["is_fake"], flags["is_premium"]) == (
        True, True, True, False,
    )  # fmt: skip
    assert stack.store.path_for(_sha(JPEG)).read_bytes() == JPEG
    assert [(p["photo_id"], p["sha256"]) for p in await stack.photos(ana.id)] == [
        (ana.photo_id, _sha(JPEG))
    ]


async def test_a_second_refresh_records_every_change_with_its_time(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    show_photo(world, ana, JPEG)
    stack = await make(world)
    await stack.vault(ana)
    await stack.enricher.enrich_user(ana.id)
    old_photo = ana.photo_id
    ana.first_name, ana.username, ana.bio = "Anna", "anna_g", "Periodista en Lisboa"
    show_photo(world, ana, OTHER_JPEG)
    later = stack.time.advance(days=1)

    result = await stack.enricher.enrich_user(ana.id)

    assert {change.field for change in result.changes} == {
        "first_name", "username", "bio", "photo_id",
    }  # fmt: skip
    recent = [
        (c.field, c.old_value, c.new_value) for c in await stack.history(ana.id)
        if c.changed_at == later
    ]  # fmt: skip
    assert sorted(recent) == sorted([
        ("first_name", "Ana", "Anna"),
        ("username", "ana_garcia", "anna_g"),
        ("bio", "Periodista en Madrid", "Periodista en Lisboa"),
        ("photo_id", str(old_photo), str(ana.photo_id)),
    ])  # fmt: skip
    photos = await stack.photos(ana.id)
    assert [(p["sha256"], p["stored_at"]) for p in photos] == [
        (_sha(JPEG), START), (_sha(OTHER_JPEG), later),
    ]  # fmt: skip


async def test_a_removed_bio_username_and_photo_are_recorded_as_removals(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    show_photo(world, ana, JPEG)
    stack = await make(world)
    await stack.vault(ana)
    await stack.enricher.enrich_user(ana.id)
    photo_id = ana.photo_id
    ana.bio, ana.username, ana.photo_id = None, None, None
    later = stack.time.advance(hours=5)

    await stack.enricher.enrich_user(ana.id)

    row = await stack.row(ana.id)
    assert (row["bio"], row["username"], row["photo_id"], row["last_name"]) == (
        None, None, None, "García",
    )  # fmt: skip
    removals = {
        (c.field, c.old_value, c.new_value)
        for c in await stack.history(ana.id) if c.changed_at == later
    }  # fmt: skip
    assert removals == {
        ("bio", "Periodista en Madrid", None),
        ("username", "ana_garcia", None),
        ("photo_id", str(photo_id), None),
    }


async def test_a_watched_person_alerts_each_admin_once_and_only_on_change(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    bruno = world.add_user("Bruno", username="bruno")
    stack = await make(world)
    await stack.vault(ana, bruno)
    watched = await stack.enricher.watch_person("@ana_garcia")
    assert watched.id == ana.id
    first = await stack.enricher.enrich_batch([ana.id, bruno.id])
    assert first.alerts == 0  # a bio learned on the first refresh is not a change of hers

    ana.first_name, ana.bio = "Anna", "Nueva etapa"
    bruno.first_name = "Bruna"  # not watched: history, no alert
    stack.time.advance(hours=1)
    changed = await stack.enricher.enrich_batch([ana.id, bruno.id])
    stack.time.advance(hours=1)
    unchanged = await stack.enricher.enrich_batch([ana.id, bruno.id])

    assert (changed.changed, changed.alerts, unchanged.changed, unchanged.alerts) == (2, 2, 0, 0)
    outbox = await stack.alerts()
    assert sorted(a["recipient_chat_id"] for a in outbox) == sorted(ADMINS)
    assert {a["kind"] for a in outbox} == {"user_change"}
    payload = outbox[0]["payload"]
    assert payload["user_id"] == ana.id
    assert payload["changes"] == [
        {"field": "first_name", "old": "Ana", "new": "Anna"},
        {"field": "bio", "old": "Periodista en Madrid", "new": "Nueva etapa"},
    ]
    assert payload["text"] == (
        f"Anna García (@ana_garcia, id {ana.id}) changed their profile:\n"
        '• first name: "Ana" → "Anna"\n'
        '• bio: "Periodista en Madrid" → "Nueva etapa"'
    )


async def test_a_photo_is_downloaded_once_and_identical_bytes_are_stored_once(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    show_photo(world, ana, JPEG)
    stack = await make(world)
    await stack.vault(ana)

    assert await stack.enricher.download_profile_photo(ana.id) == _sha(JPEG)
    parts = world.log.count(GetFile)
    again = await stack.enricher.enrich_user(ana.id)
    assert (again.photo_sha256, again.photo_stored, world.log.count(GetFile)) == (
        _sha(JPEG), False, parts,
    )  # fmt: skip
    show_photo(world, ana, JPEG)  # the same picture uploaded again: a new photo id
    reupload = await stack.enricher.enrich_user(ana.id)

    assert (reupload.photo_sha256, reupload.photo_stored) == (_sha(JPEG), True)
    assert world.log.count(GetFile) == 2 * parts
    assert [p["sha256"] for p in await stack.photos(ana.id)] == [_sha(JPEG)] * 2
    assert stack.stored_files() == [stack.store.path_for(_sha(JPEG))]
    async with stack.db.reader() as uow:
        blobs = await uow.connection.execute(select(func.count()).select_from(media_blobs))
        assert blobs.scalar_one() == 1


async def test_without_a_store_profiles_are_refreshed_and_no_photo_is_fetched(
    db: Database, tmp_path: Path, world: FakeTelegram, ana: FakeUser
) -> None:
    show_photo(world, ana, JPEG)
    stack = await build_enrichment(world, db, tmp_path / "media", keep_photos=False)
    try:
        await stack.vault(ana)
        result = await stack.enricher.enrich_user(ana.id)
    finally:
        await stack.client.disconnect()
    assert (result.refreshed, result.photo_sha256) == (True, None)
    assert (await stack.row(ana.id))["photo_id"] == ana.photo_id
    assert world.log.count(GetFile) == 0
    assert stack.stored_files() == []


async def test_people_are_watched_by_id_username_or_link(
    make: Make, world: FakeTelegram, ana: FakeUser
) -> None:
    bruno = world.add_user("Bruno", username="bruno")
    stack = await make(world)
    await stack.vault(ana, bruno)

    await stack.enricher.watch_person("https://t.me/ana_garcia")
    await stack.enricher.watch_person(str(bruno.id))
    assert [p.id for p in await stack.enricher.watched_people()] == [ana.id, bruno.id]
    await stack.enricher.watch_person(bruno.id, watched=False)
    assert [p.id for p in await stack.enricher.watched_people()] == [ana.id]
    assert (await stack.row(ana.id))["is_watched"] is True

    with pytest.raises(NotFoundError, match="nobody in the vault uses @nobody"):
        await stack.enricher.watch_person("@nobody")
    with pytest.raises(NotFoundError, match="not in the vault"):
        await stack.enricher.watch_person(987654)
    with pytest.raises(InvalidInputError, match="give a user id or a @username"):
        await stack.enricher.watch_person("not a person!")

"""Bulk writes defer the SQLite search indexes' merges, then catch up; PostgreSQL has none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config_manager import ConfigManager
from core.db import migrate
from core.db.database import Database
from core.db.index_merges import (
    AUTOMERGE_DEFAULT,
    CRISISMERGE_DEFAULT,
    DEFERRED_CRISISMERGE,
    deferred_merges,
    merge_settings,
    restore_merging,
    set_merging,
)
from core.db.search_index import FTS_TABLES
from services.jobs.maintenance import maintain
from telegramvault.bootstrap import build_core
from tests import factories as f
from tests.conftest import sqlite_url
from tests.integration.scheduler_support import job_context
from tests.integration.test_import_service import generated_importer

DEFAULTS = {"automerge": AUTOMERGE_DEFAULT, "crisismerge": CRISISMERGE_DEFAULT}
DEFERRED = {"automerge": 0, "crisismerge": DEFERRED_CRISISMERGE}
COMMITS = 20  # more than FTS5's crisismerge (16): without deferral, a merge would happen


async def _commit_pages(db: Database, pages: int, per_page: int = 5) -> None:
    """``pages`` transactions of new messages: each leaves a segment in each index."""
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([f.chat()], f.at(0))
        await uow.commit()
    for page in range(pages):
        first = page * per_page + 1
        async with db.unit_of_work() as uow:
            batch = [
                f.message(n, text=f"página {n} del archivo") for n in range(first, first + per_page)
            ]
            await uow.messages.upsert_batch(batch)
            await uow.commit()


async def _segments(db: Database, table: str) -> int:
    async with db.reader() as uow:
        query = text(f"SELECT count(DISTINCT segid) FROM {table}_idx")
        return int((await uow.connection.execute(query)).scalar_one())


async def _settings(db: Database) -> list[dict[str, int]]:
    return [await merge_settings(db, table) for table in FTS_TABLES]


async def _found(db: Database, table: str, term: str) -> int:
    async with db.reader() as uow:
        query = text(f"SELECT count(*) FROM {table} WHERE {table} MATCH :term")
        return int((await uow.connection.execute(query, {"term": term})).scalar_one())


@pytest.fixture
async def vault(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite vault: FTS5 segments exist there only."""
    database = Database.from_url(sqlite_url(tmp_path / "vault.db"))
    await migrate.upgrade(database.engine)
    try:
        yield database
    finally:
        await database.dispose()


async def test_writes_inside_leave_their_segments_unmerged_until_the_end(vault: Database) -> None:
    async with deferred_merges(vault):
        assert await _settings(vault) == [DEFERRED, DEFERRED]
        await _commit_pages(vault, COMMITS)
        during = [await _segments(vault, table) for table in FTS_TABLES]

    assert during == [COMMITS, COMMITS]  # one per commit: nothing merged meanwhile
    assert await _settings(vault) == [DEFAULTS, DEFAULTS]
    assert [await _segments(vault, table) for table in FTS_TABLES] == [1, 1]
    assert await _found(vault, "messages_fts", "pagina") == COMMITS * 5
    assert await _found(vault, "messages_trgm", '"del arch"') == COMMITS * 5


async def test_without_deferral_the_same_writes_are_merged_as_they_go(vault: Database) -> None:
    await _commit_pages(vault, COMMITS)
    assert 1 < await _segments(vault, "messages_trgm") < COMMITS


async def test_a_failure_inside_still_restores_merging_and_merges(vault: Database) -> None:
    async def fail_half_way() -> None:
        async with deferred_merges(vault):
            await _commit_pages(vault, COMMITS)
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        await fail_half_way()
    assert await _settings(vault) == [DEFAULTS, DEFAULTS]
    assert [await _segments(vault, table) for table in FTS_TABLES] == [1, 1]


async def test_settings_a_killed_import_left_are_restored(vault: Database, tmp_path: Path) -> None:
    await set_merging(vault, automerge=0, crisismerge=DEFERRED_CRISISMERGE)
    await restore_merging(vault)
    assert await _settings(vault) == [DEFAULTS, DEFAULTS]

    await set_merging(vault, automerge=0, crisismerge=DEFERRED_CRISISMERGE)
    await maintain(await job_context(vault, tmp_path))
    assert await _settings(vault) == [DEFAULTS, DEFAULTS]


async def test_an_import_defers_merges_and_leaves_one_segment(
    vault: Database, tmp_path: Path
) -> None:
    path, service, ingest = generated_importer(vault, tmp_path, 600, seed=5, chats=2, page_size=50)
    seen: list[list[dict[str, int]]] = []
    original = ingest.ingest_page

    async def noting_settings(page: object, **kwargs: object) -> object:
        seen.append(await _settings(vault))
        return await original(page, **kwargs)  # type: ignore[arg-type]

    ingest.ingest_page = noting_settings  # type: ignore[method-assign]
    summary = await service.import_path(path)

    assert summary.inserted == 600 and len(seen) >= 12
    assert all(settings == [DEFERRED, DEFERRED] for settings in seen)
    assert await _settings(vault) == [DEFAULTS, DEFAULTS]
    assert [await _segments(vault, table) for table in FTS_TABLES] == [1, 1]


async def test_both_dialects_write_through_a_deferral(db: Database) -> None:
    """PostgreSQL has nothing to defer: every call is a no-op there."""
    sqlite = db.dialect == "sqlite"
    async with deferred_merges(db):
        await _commit_pages(db, 2)
        assert await _settings(db) == ([DEFERRED, DEFERRED] if sqlite else [{}, {}])
    assert await _settings(db) == ([DEFAULTS, DEFAULTS] if sqlite else [{}, {}])
    async with db.reader() as uow:
        assert (await uow.connection.execute(text("SELECT count(*) FROM messages"))).scalar() == 10


async def test_only_the_search_indexes_are_named(db: Database) -> None:
    with pytest.raises(ValueError, match="not a search index"):
        await merge_settings(db, "messages")


async def test_start_up_restores_what_a_killed_import_left(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    first = Database.from_url(sqlite_url(path))
    await migrate.upgrade(first.engine)
    await set_merging(first, automerge=0, crisismerge=DEFERRED_CRISISMERGE)
    await first.dispose()
    config = ConfigManager(
        env_file=None,
        environ={"DATABASE_URL": sqlite_url(path), "DATA_DIR": str(tmp_path), "LOG_FILE": ""},
    )
    config.load()  # the core needs the database settings only, not the roles' keys

    core = await build_core(config)
    try:
        assert await _settings(core.db) == [DEFAULTS, DEFAULTS]
    finally:
        await core.db.dispose()

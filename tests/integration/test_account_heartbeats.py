"""One heartbeat per account, on both dialects: two archivers never overwrite each other's live
state, and /status, /health and /metrics show every account (one account reads as before). The
single row an older version wrote is still read, and cleaned by the first newer beat."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.database import Database
from core.db.tables import vault_meta
from core.db.upsert import upsert
from core.errors import InvalidInputError
from services.observability.health import check_health
from services.observability.metrics import VaultMetrics
from services.status import (
    HEARTBEAT_KEY,
    HEARTBEAT_STALE_AFTER,
    ArchiverHeartbeat,
    StatusService,
    heartbeat_key,
    read_live_state,
    read_live_states,
)
from tests import factories as f
from tests.metrics_parsing import Exposition, parse

NOW = f.at(10_000)
LONG_AGO = NOW - HEARTBEAT_STALE_AFTER - timedelta(seconds=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _alive() -> bool:
    return True


async def _beat(db: Database, label: str, at: datetime, *, synced: bool = True) -> None:
    heartbeat = ArchiverHeartbeat(db, label=label, account=f"@{label}_user", clock=Clock(at))
    await heartbeat.connected()
    if synced:
        await heartbeat.synced()


def _legacy_document(at: datetime, *, account: str = "@old_user") -> str:
    """What a version before accounts wrote (no label, format 1)."""
    return json.dumps(
        {
            "format": 1,
            "connected": True,
            "account": account,
            "since": at.isoformat(),
            "last_event_at": None,
            "last_sync_at": at.isoformat(),
            "updated_at": at.isoformat(),
        }
    )


async def _write_legacy(db: Database, value: str) -> None:
    async with db.unit_of_work() as uow:
        stmt = upsert(db.dialect, vault_meta, ("key",), ("value",))
        await uow.connection.execute(stmt, {"key": HEARTBEAT_KEY, "value": value})
        await uow.commit()


async def _keys(db: Database) -> list[str]:
    async with db.reader() as uow:
        query = select(vault_meta.c.key).where(
            vault_meta.c.key.startswith(HEARTBEAT_KEY, autoescape=True)
        )
        return sorted((await uow.connection.execute(query)).scalars())


async def _states(db: Database) -> list[tuple[str | None, bool, str | None]]:
    async with db.reader() as uow:
        states = await read_live_states(uow, NOW)
    return [(state.label, state.connected, state.account) for state in states]


def _status(db: Database, tmp_path: Path) -> StatusService:
    return StatusService(db, media_dir=tmp_path, clock=lambda: NOW)


async def _scrape(db: Database) -> Exposition:
    metrics = VaultMetrics(db, started_at=NOW - timedelta(seconds=5), clock=lambda: NOW)
    return parse(await metrics.exposition())


# -- the heartbeat rows ----------------------------------------------------------------------


async def test_each_account_beats_into_its_own_row(db: Database) -> None:
    work_clock = Clock(NOW - timedelta(seconds=30))
    main = ArchiverHeartbeat(db, label="main", account="@main_user", clock=Clock(NOW))
    work = ArchiverHeartbeat(db, label="work", account="@work_user", clock=work_clock)
    await main.connected()
    await work.connected()
    work_clock.now = NOW - timedelta(seconds=5)
    await work.disconnected()  # one archiver stopping leaves the other's state alone
    await main.beat()

    assert await _keys(db) == [heartbeat_key("main"), heartbeat_key("work")]
    assert await _states(db) == [("main", True, "@main_user"), ("work", False, "@work_user")]
    async with db.reader() as uow:
        work_state = await read_live_state(uow, NOW, label="work")
        nobody = await read_live_state(uow, NOW, label="home")
        with pytest.raises(InvalidInputError, match=r"several archivers report \(main, work\)"):
            await read_live_state(uow, NOW)
    assert (work_state.since, work_state.updated_at) == (work_clock.now, work_clock.now)
    assert (nobody.label, nobody.updated_at, nobody.connected) == ("home", None, False)


async def test_a_heartbeat_needs_its_accounts_label(db: Database) -> None:
    with pytest.raises(InvalidInputError, match="label"):
        ArchiverHeartbeat(db, label="")


async def test_status_lists_every_account_by_label(db: Database, tmp_path: Path) -> None:
    await _beat(db, "work", NOW - timedelta(seconds=10))
    await _beat(db, "main", LONG_AGO)
    archivers = (await _status(db, tmp_path).snapshot()).archivers
    assert [(a.label, a.connected, a.stale) for a in archivers] == [
        ("main", False, True),
        ("work", True, False),
    ]


# -- a heartbeat an older version left -------------------------------------------------------


async def test_an_older_versions_heartbeat_still_reads_as_the_archiver(
    db: Database, tmp_path: Path
) -> None:
    await _write_legacy(db, _legacy_document(NOW - timedelta(seconds=10)))

    (live,) = (await _status(db, tmp_path).snapshot()).archivers
    assert (live.label, live.connected, live.account) == (None, True, "@old_user")
    report = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert set(report.checks) == {"database", "archiver", "last_sync", "bot_polling"}
    assert report.checks["archiver"].ok and "@old_user" in report.checks["archiver"].detail
    scraped = await _scrape(db)
    assert scraped.series("telegramvault_archiver_connected") == {(): 1}  # no account label


async def test_the_first_beat_of_a_newer_archiver_removes_the_older_row(db: Database) -> None:
    await _write_legacy(db, _legacy_document(NOW - timedelta(seconds=10)))
    heartbeat = ArchiverHeartbeat(db, label="main", clock=Clock(NOW))
    await heartbeat.connected()
    assert await _keys(db) == [heartbeat_key("main")]
    await _write_legacy(db, _legacy_document(NOW))  # an older archiver still runs elsewhere
    await heartbeat.beat()
    assert await _keys(db) == [HEARTBEAT_KEY, heartbeat_key("main")]  # removed once only


async def test_an_older_row_shows_beside_newer_ones_only_while_fresh(db: Database) -> None:
    await _beat(db, "main", NOW)
    await _write_legacy(db, _legacy_document(LONG_AGO))
    assert await _states(db) == [("main", True, "@main_user")]  # left behind by an upgrade

    await _write_legacy(db, _legacy_document(NOW, account="@still_old"))
    assert await _states(db) == [("main", True, "@main_user"), (None, True, "@still_old")]
    report = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert report.checks["archiver"].detail == "2 of 2 accounts connected"
    assert report.checks["archiver:(older version)"].ok


@pytest.mark.parametrize("value", ["not json", '{"connected": true}', "[]"])
async def test_an_unreadable_older_row_reads_as_no_heartbeat(
    db: Database, tmp_path: Path, value: str
) -> None:
    await _write_legacy(db, value)
    (live,) = (await _status(db, tmp_path).snapshot()).archivers
    assert (live.label, live.updated_at, live.connected) == (None, None, False)
    report = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert report.checks["archiver"].detail.startswith("no heartbeat")
    assert (await _scrape(db)).series("telegramvault_archiver_connected") == {(): 0}


async def test_an_unreadable_account_row_keeps_its_label(db: Database) -> None:
    await _beat(db, "main", NOW)
    async with db.unit_of_work() as uow:
        stmt = upsert(db.dialect, vault_meta, ("key",), ("value",))
        await uow.connection.execute(stmt, {"key": heartbeat_key("work"), "value": "{"})
        await uow.commit()
    assert await _states(db) == [("main", True, "@main_user"), ("work", False, None)]


# -- /health ------------------------------------------------------------------------------------


async def test_where_an_archiver_runs_its_own_accounts_heartbeat_decides(db: Database) -> None:
    await _beat(db, "main", NOW - timedelta(seconds=20))
    await _beat(db, "work", LONG_AGO)

    main = await check_health(db, roles=("archiver",), bot_alive=None, now=NOW, account="main")
    assert main.ok  # the other account being down is reported, not required here
    assert "connected as @main_user" in main.checks["archiver"].detail
    assert main.checks["archiver"].required
    assert "20 s ago" in main.checks["last_sync"].detail
    other = main.checks["archiver:work"]
    assert (other.ok, other.required) == (False, False) and "stale" in other.detail
    assert not main.checks["last_sync:work"].required

    work = await check_health(db, roles=("archiver",), bot_alive=None, now=NOW, account="work")
    assert not work.ok
    assert (work.checks["archiver"].ok, work.checks["archiver"].required) == (False, True)
    assert "stale" in work.checks["archiver"].detail
    assert work.checks["archiver:main"].ok


async def test_an_archiver_whose_account_has_not_beaten_yet_is_not_healthy(db: Database) -> None:
    await _beat(db, "main", NOW)
    report = await check_health(db, roles=("archiver",), bot_alive=None, now=NOW, account="new")
    assert not report.ok
    assert report.checks["archiver"].detail.startswith("no heartbeat")
    assert report.checks["archiver:main"].ok


async def test_one_account_reads_exactly_as_before_accounts(db: Database) -> None:
    await _beat(db, "main", NOW - timedelta(seconds=20))
    here = await check_health(db, roles=("archiver",), bot_alive=None, now=NOW, account="main")
    elsewhere = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert set(here.checks) == {"database", "archiver", "last_sync"}
    assert set(elsewhere.checks) == {"database", "archiver", "last_sync", "bot_polling"}
    assert here.checks["archiver"].detail == elsewhere.checks["archiver"].detail
    assert not elsewhere.checks["archiver"].required


async def test_elsewhere_several_accounts_are_summed_up_and_each_reported(db: Database) -> None:
    await _beat(db, "main", NOW)
    await _beat(db, "work", LONG_AGO)
    report = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert report.ok  # the archivers run in other processes: reported only
    summary = report.checks["archiver"]
    assert (summary.ok, summary.required) == (False, False)
    assert summary.detail == "1 of 2 accounts connected; not connected: work"
    assert report.checks["archiver:main"].ok and not report.checks["archiver:work"].ok
    assert {"last_sync:main", "last_sync:work"} <= set(report.checks)
    assert "last_sync" not in report.checks

    unknown = await check_health(db, roles=("archiver",), bot_alive=None, now=NOW)
    assert not unknown.ok  # an archiver here whose account is not known needs every one
    assert unknown.checks["archiver"].required


# -- /metrics -----------------------------------------------------------------------------------


async def test_metrics_label_the_connected_gauge_and_last_sync_by_account(db: Database) -> None:
    await _beat(db, "main", NOW - timedelta(seconds=20))
    await _beat(db, "work", LONG_AGO, synced=False)
    scraped = await _scrape(db)
    assert scraped.series("telegramvault_archiver_connected") == {
        (("account", "main"),): 1,
        (("account", "work"),): 0,
    }
    assert scraped.series("telegramvault_archiver_last_sync_timestamp_seconds") == {
        (("account", "main"),): (NOW - timedelta(seconds=20)).timestamp()
    }  # work never finished a catch-up: no sample

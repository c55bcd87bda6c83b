"""The pure parts of /status: backfill percent, flood waits, heartbeat decoding, summaries."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.domain.flood import FloodWaitEvent
from core.redaction import Redactor
from services.status.heartbeat import HEARTBEAT_STALE_AFTER, NO_HEARTBEAT, live_state_from
from services.status.progress import backfill_percent
from services.status.recent_errors import summarise
from services.status.service import current_waits
from services.status.sizes import sqlite_bytes, sqlite_path
from tests import factories as f

NOW = f.at(1000)


@pytest.mark.parametrize(
    ("fetched", "top", "limit", "done", "started", "expected"),
    [
        (0, None, None, False, False, None),  # not started
        (0, None, None, False, True, None),  # no page yet
        (50, 200, None, False, True, 25.0),
        (50, 200, 100, False, True, 50.0),  # measured against the pass's limit
        (300, 200, None, False, True, 99.9),  # never complete before it is done
        (10, 200, None, True, True, 100.0),  # done: stopped at the history start or a bound
        (5, 0, None, False, True, None),
    ],
)
def test_backfill_percent(
    fetched: int,
    top: int | None,
    limit: int | None,
    done: bool,
    started: bool,
    expected: float | None,
) -> None:
    percent = backfill_percent(
        fetched=fetched, top_message_id=top, limit=limit, done=done, started=started
    )
    assert percent == (None if expected is None else pytest.approx(expected))


def _wait(operation: str, seconds: float, ago: float, account: str | None = None) -> FloodWaitEvent:
    return FloodWaitEvent(
        operation, seconds, NOW - timedelta(seconds=ago), "FLOOD_WAIT", True, account
    )


def test_current_waits_keep_the_last_ending_per_account_and_operation() -> None:
    waits = current_waits(
        [
            _wait("GetHistory", 60, 10),
            _wait("GetHistory", 300, 100),
            _wait("GetHistory", 20, 0, account="second"),
            _wait("GetFile", 500, 0),
        ]
    )
    assert [(w.operation, w.seconds, w.account) for w in waits] == [
        ("GetFile", 500, None),
        ("GetHistory", 300, None),
        ("GetHistory", 20, "second"),
    ]
    assert waits[1].until == NOW + timedelta(seconds=200)


def _heartbeat(**fields: object) -> str:
    document = {
        "format": 1,
        "connected": True,
        "account": "main",
        "since": NOW.isoformat(),
        "last_event_at": None,
        "last_sync_at": None,
        "updated_at": NOW.isoformat(),
    }
    return json.dumps({**document, **fields})


def test_a_fresh_heartbeat_reads_as_connected() -> None:
    live = live_state_from(_heartbeat(), NOW + HEARTBEAT_STALE_AFTER)
    assert (live.connected, live.stale, live.account, live.since) == (True, False, "main", NOW)


def test_a_stale_heartbeat_is_not_believed() -> None:
    live = live_state_from(_heartbeat(), NOW + HEARTBEAT_STALE_AFTER + timedelta(seconds=1))
    assert (live.connected, live.stale, live.updated_at) == (False, True, NOW)


def test_naive_times_are_read_as_utc() -> None:
    naive = NOW.replace(tzinfo=None).isoformat()
    assert live_state_from(_heartbeat(updated_at=naive), NOW).updated_at == NOW


@pytest.mark.parametrize(
    "value",
    [None, "not json", "[]", '{"connected": true}', _heartbeat(updated_at="yesterday")],
)
def test_a_missing_or_unreadable_heartbeat_is_no_heartbeat(value: str | None) -> None:
    assert live_state_from(value, NOW) == NO_HEARTBEAT


def test_summaries_keep_the_first_line_short_and_redacted() -> None:
    row = {
        "source": "task",
        "kind": "enrich",
        "ref_id": 7,
        "chat_id": None,
        "message_id": None,
        "error": "  Failed for +44 20 7946 0958 " + "y" * 400 + "\nsecond line",
    }
    summary = summarise(row, Redactor())
    assert summary.startswith("task enrich #7: Failed for [REDACTED] yyy")
    assert summary.endswith("…")
    assert "second line" not in summary
    assert len(summary) == len("task enrich #7: ") + 120


def test_a_media_summary_names_the_message() -> None:
    row = {"source": "media", "kind": "video", "ref_id": 1, "chat_id": -100123, "message_id": 5,
           "error": "FILE_REFERENCE_EXPIRED"}  # fmt: skip
    assert summarise(row, Redactor()) == "video in chat -100123 msg 5: FILE_REFERENCE_EXPIRED"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///data/vault.db", Path("data/vault.db")),
        ("sqlite+aiosqlite:////srv/vault.db", Path("/srv/vault.db")),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite:///file:vault.db?uri=true", Path("vault.db")),
        ("sqlite+aiosqlite:///file:mem?mode=memory&uri=true", None),
    ],
)
def test_sqlite_path(url: str, expected: Path | None) -> None:
    assert sqlite_path(make_url(url)) == expected


def test_sqlite_bytes_add_the_write_ahead_log(tmp_path: Path) -> None:
    database = tmp_path / "vault.db"
    assert sqlite_bytes(database) is None
    database.write_bytes(b"x" * 4096)
    assert sqlite_bytes(database) == 4096
    (tmp_path / "vault.db-wal").write_bytes(b"w" * 100)
    assert sqlite_bytes(database) == 4196

"""/health: what this process runs, checked now — the database, the archiver, the bot's polling.

A process checks what it runs: the archiver's connection fails the report only where the
archiver role runs, and the bot's polling only where the bot runs. Every account's archiver
writes its own heartbeat (shared through the database); where an archiver runs, its account's
heartbeat is the required ``archiver`` check and the other accounts are reported beside it as
``archiver:<label>``. Elsewhere a single account is reported as ``archiver``, as before accounts;
several are summed up in ``archiver`` and reported one by one. The last finished catch-up is
information too: the archiver catches up once at start, so its age says nothing about whether
the process is healthy now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog

from core.db.database import Database
from core.errors import InvalidInputError
from core.redaction import Redactor
from services.status.heartbeat import NO_HEARTBEAT, read_live_states
from services.status.snapshot import LiveState

log = structlog.get_logger(__name__)
DATABASE_TIMEOUT = 3.0  # seconds for each database round trip of a check
MAX_ERROR_CHARS = 200
DATABASE, ARCHIVER, LAST_SYNC, BOT_POLLING = "database", "archiver", "last_sync", "bot_polling"
# The name of an older version's unlabelled heartbeat (no account label has brackets).
OLDER_ARCHIVER = "(older version)"
Live = tuple[LiveState, ...] | str  # every account's heartbeat, or why it could not be read


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: ``required`` ones decide the report, the others are there to inform."""

    ok: bool
    detail: str
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "required": self.required, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Every check by name, taken at ``checked_at``; ``ok`` when no required check failed."""

    checks: Mapping[str, CheckResult]
    checked_at: datetime

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values() if check.required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_at": _iso(self.checked_at),
            "checks": {name: check.to_dict() for name, check in self.checks.items()},
        }


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _ago(now: datetime, at: datetime) -> str:
    return f"{_iso(at)}, {max(int((now - at).total_seconds()), 0)} s ago"


def _error_text(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return Redactor().redact_text(text)[:MAX_ERROR_CHARS]


async def _ping(db: Database, seconds: float) -> CheckResult:
    try:
        async with asyncio.timeout(seconds):
            await db.ping()
    except TimeoutError:
        return CheckResult(False, f"no answer to SELECT 1 within {seconds:g} s")
    except Exception as error:  # whatever the driver raises, the vault cannot be used
        log.warning("health_database_unreachable", error_type=type(error).__name__)
        return CheckResult(False, f"unreachable: {_error_text(error)}")
    return CheckResult(True, f"{db.dialect} answers")


async def _live_states(db: Database, now: datetime, seconds: float) -> Live:
    """Every account's heartbeat, or why they could not be read."""
    try:
        async with asyncio.timeout(seconds), db.reader() as uow:
            return await read_live_states(uow, now)
    except TimeoutError:
        return f"the heartbeat could not be read within {seconds:g} s"
    except Exception as error:  # the database check tells the cause; this one only reports
        return f"the heartbeat could not be read: {_error_text(error)}"


def archiver_check(live: LiveState | str, now: datetime, *, required: bool) -> CheckResult:
    """Connected per a fresh heartbeat; ``required`` where the archiver runs in this process."""
    if isinstance(live, str):
        return CheckResult(False, live, required)
    if live.updated_at is None:
        return CheckResult(False, "no heartbeat: the archiver has not run on this vault", required)
    if live.stale:
        detail = f"heartbeat stale (last {_ago(now, live.updated_at)}): the archiver stopped"
        return CheckResult(False, detail, required)
    if not live.connected:
        since = f" since {_iso(live.since)}" if live.since else ""
        return CheckResult(False, f"disconnected from Telegram{since}", required)
    who = f" as {live.account}" if live.account else ""
    since = f" since {_iso(live.since)}" if live.since else ""
    return CheckResult(True, f"connected{who}{since}", required)


def last_sync_check(live: LiveState | str, now: datetime) -> CheckResult:
    """When the archiver last finished catching up (information, never a failure)."""
    if isinstance(live, str):
        return CheckResult(False, live, required=False)
    if live.last_sync_at is None:
        return CheckResult(False, "no catch-up has finished yet", required=False)
    return CheckResult(True, f"last catch-up finished {_ago(now, live.last_sync_at)}", False)


def accounts_check(states: tuple[LiveState, ...], *, required: bool) -> CheckResult:
    """Several accounts reported elsewhere: how many are connected, and which are not."""
    down = [account_name(state) for state in states if not state.connected]
    detail = f"{len(states) - len(down)} of {len(states)} accounts connected"
    if down:
        detail += f"; not connected: {', '.join(down)}"
    return CheckResult(not down, detail, required)


def account_name(state: LiveState) -> str:
    return state.label if state.label is not None else OLDER_ARCHIVER


def _pair(live: LiveState | str, now: datetime, *, required: bool) -> dict[str, CheckResult]:
    return {
        ARCHIVER: archiver_check(live, now, required=required),
        LAST_SYNC: last_sync_check(live, now),
    }


def archiver_checks(
    live: Live, now: datetime, *, here: str | None, required: bool
) -> dict[str, CheckResult]:
    """The archiver and last-sync checks. ``here``: the label of the account whose archiver
    runs in this process, whose heartbeat is then required (``required`` says the archiver
    runs here; its account unknown, every account reported is required)."""
    if isinstance(live, str):
        return _pair(live, now, required=required)
    if here is not None:
        own = next((s for s in live if s.label == here), replace(NO_HEARTBEAT, label=here))
        checks = _pair(own, now, required=True)
        others = [state for state in live if state is not own]
    elif len(live) <= 1:
        return _pair(live[0] if live else NO_HEARTBEAT, now, required=required)
    else:
        checks = {ARCHIVER: accounts_check(live, required=required)}
        others = list(live)
    for state in others:
        name = account_name(state)
        checks[f"{ARCHIVER}:{name}"] = archiver_check(state, now, required=False)
        checks[f"{LAST_SYNC}:{name}"] = last_sync_check(state, now)
    return checks


def bot_check(alive: bool) -> CheckResult:
    if alive:
        return CheckResult(True, "polling: the Bot API answers")
    return CheckResult(
        False, "no recent answer to getUpdates: polling is stuck or Telegram unreachable"
    )


async def check_health(
    db: Database,
    *,
    roles: Collection[str],
    bot_alive: Callable[[], bool] | None,
    now: datetime,
    db_seconds: float = DATABASE_TIMEOUT,
    account: str | None = None,
) -> HealthReport:
    """Check what this process runs (``roles``); ``bot_alive`` is needed where the bot runs,
    ``account`` (the TELEGRAM_ACCOUNT label) where the archiver runs."""
    if "bot" in roles and bot_alive is None:
        raise InvalidInputError("the bot runs in this process: its polling liveness is needed")
    database = await _ping(db, db_seconds)
    if database.ok:
        live: Live = await _live_states(db, now, db_seconds)
    else:
        live = "unknown: the database cannot be read"
    archiver_here = "archiver" in roles
    here = account if archiver_here else None
    checks = {DATABASE: database, **archiver_checks(live, now, here=here, required=archiver_here)}
    if bot_alive is not None and "bot" in roles:
        checks[BOT_POLLING] = bot_check(bot_alive())
    report = HealthReport(checks, now)
    if not report.ok:
        failing = sorted(n for n, c in checks.items() if c.required and not c.ok)
        log.warning("health_check_failed", failing=failing)
    return report

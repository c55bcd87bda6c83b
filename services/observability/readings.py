"""What /metrics reads from the vault: a few cheap statements in one reader transaction.

The counts are those /status makes (services/status/counts.py), cut to what the metrics show:
the message totals (the partial ``deleted_at`` index serves the deleted count) and each queue
by state, a GROUP BY over the queue tables' ``(state, …)`` indexes. The flood waits in force
are found through the ``until`` index; the job runs and the archivers' heartbeats recorded in
``vault_meta`` are one row each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.tables import flood_waits, media, messages, tasks
from services.jobs.models import JobRun
from services.jobs.runs import load_last_runs
from services.status.heartbeat import read_live_states
from services.status.service import current_waits
from services.status.snapshot import LiveState


@dataclass(frozen=True, slots=True)
class VaultReadings:
    """The vault's numbers for one scrape, read at ``read_at``."""

    messages: int
    deleted: int
    flood_waits_total: int
    flood_waits_active: int
    alerts: dict[str, int]
    media: dict[str, int]
    tasks: dict[str, int]
    archivers: tuple[LiveState, ...]  # one per account (see read_live_states)
    last_runs: dict[str, JobRun]
    read_at: datetime


def _count(table: Table, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


async def _by_state(conn: AsyncConnection, table: Table) -> dict[str, int]:
    query = select(table.c.state, func.count()).group_by(table.c.state)
    return {str(state): int(n) for state, n in await conn.execute(query)}


async def read_vault(db: Database, now: datetime) -> VaultReadings:
    """Everything /metrics shows from the database, judged at ``now``."""
    totals = select(
        _count(messages).label("messages"),
        _count(messages, messages.c.deleted_at.is_not(None)).label("deleted"),
        _count(flood_waits).label("flood_waits"),
    )
    async with db.reader() as uow:
        conn = uow.connection
        row = (await conn.execute(totals)).mappings().one()
        alerts = await uow.alerts.counts()
        media_states = await _by_state(conn, media)
        task_states = await _by_state(conn, tasks)
        active = current_waits(await uow.flood_waits.active(now))
        archivers = await read_live_states(conn, now)
    return VaultReadings(
        messages=int(row["messages"]),
        deleted=int(row["deleted"]),
        flood_waits_total=int(row["flood_waits"]),
        flood_waits_active=len(active),
        alerts=alerts,
        media=media_states,
        tasks=task_states,
        archivers=archivers,
        last_runs=await load_last_runs(db),
        read_at=now,
    )

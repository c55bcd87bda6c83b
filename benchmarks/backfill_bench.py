"""Backfill benchmark: BackfillService + real Telethon over the scripted Telegram, into SQLite.

Only usable from a source checkout: the scripted Telegram lives with the tests (it is imported
when the benchmark runs, never by the product). The measured time includes the fake's own work
(building, serializing and parsing the TL of every page), so it understates what our side does.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.db import migrate
from core.db.database import Database
from core.db.tables import messages as messages_table

SENDERS = 25
CHAT_TITLE = "Benchmark chat"


async def backfill_throughput(messages: int, *, restart_midway: bool = True) -> dict[str, float]:
    """Backfill a chat of ``messages`` messages; with ``restart_midway`` the process is killed
    after half the pages and a new one (new client, same vault) finishes the job.

    Returns msg/s, history requests per 100 messages, pages fetched twice and messages stored
    more or less than once (the last two must be 0).
    """
    # Imported here, not at the top: the scripted Telegram is test code (see the docstring).
    from tests.fakes.telegram import GET_HISTORY, FakeTelegram, SimulatedCrash
    from tests.fakes.telegram.archiver import build_archiver

    world = FakeTelegram()
    people = [world.add_user(f"Person {i}", username=f"person_{i:03d}") for i in range(SENDERS)]
    chat = world.add_supergroup(CHAT_TITLE, username="benchmark_chat")
    for index in range(messages):
        world.post(chat, f"message {index} about nothing in particular", people[index % SENDERS])
    if restart_midway:
        world.faults.crash(GET_HISTORY, nth=max(messages // 200, 1) + 1)

    with tempfile.TemporaryDirectory(prefix="tv-backfill-bench-") as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'vault.db'}")
        try:
            await migrate.upgrade(db.engine)
            started = time.perf_counter()
            for _ in range(2):
                stack = build_archiver(world, db)
                try:
                    await stack.backfill.backfill(chat.marked_id)
                    break
                except SimulatedCrash:
                    continue
                finally:
                    await stack.close()
            seconds = time.perf_counter() - started
            stored, distinct = await _stored(db, chat.marked_id)
        finally:
            await db.dispose()

    offsets = [r.offset_id for r in world.log.served(GET_HISTORY)]
    requests = world.log.count(GET_HISTORY)
    return {
        "messages": float(messages),
        "seconds": seconds,
        "msg_per_s": messages / seconds if seconds else 0.0,
        "history_requests": float(requests),
        "requests_per_100_messages": 100.0 * requests / messages if messages else 0.0,
        "pages_refetched": float(len(offsets) - len(set(offsets))),
        "messages_not_stored_once": float(abs(stored - messages) + (stored - distinct)),
    }


async def _stored(db: Database, chat_id: int) -> tuple[int, int]:
    column = messages_table.c.message_id
    query: Any = select(func.count(), func.count(column.distinct())).where(
        messages_table.c.chat_id == chat_id
    )
    async with db.reader() as uow:
        total, distinct = (await uow.connection.execute(query)).one()
    return int(total), int(distinct)

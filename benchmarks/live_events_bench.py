"""Live benchmark: updates pushed into a real, connected Telethon client, through LiveEvents and
the LiveIngestor, into SQLite.

Like the backfill benchmark, only usable from a source checkout (the scripted Telegram is test
code, imported when the benchmark runs). The fake's serialization of the pushed updates is timed
apart: ``msg_per_s`` covers the client's update loop, the mapping and the batched writes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from core.db import migrate
from core.db.database import Database

SENDERS = 25
UNWATCHED_EVERY = 10  # one event in ten belongs to a chat nobody watches


async def live_throughput(
    events: int, *, batch_size: int = 500, flush_ms: int = 250
) -> dict[str, float]:
    """Push ``events`` new messages (90 % to a watched supergroup) and time them into the vault."""
    # Imported here, not at the top: the scripted Telegram is test code (see the docstring).
    from tests.fakes.telegram import FakeTelegram
    from tests.fakes.telegram.archiver import build_live

    world = FakeTelegram()
    people = [world.add_user(f"Person {i}", username=f"person_{i:03d}") for i in range(SENDERS)]
    watched = world.add_supergroup("Watched", username="watched_chat")
    other = world.add_supergroup("Other", username="other_chat")
    with tempfile.TemporaryDirectory(prefix="tv-live-bench-") as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'vault.db'}")
        try:
            await migrate.upgrade(db.engine)
            stack = build_live(world, db, batch_size=batch_size, flush_ms=flush_ms)
            await stack.watch.watch("@watched_chat", backfill=False)
            await stack.start()
            pushed = time.perf_counter()
            for i in range(events):
                chat = other if i % UNWATCHED_EVERY == 0 else watched
                world.live.post(
                    chat, f"message {i} about nothing in particular", people[i % SENDERS]
                )
            started = time.perf_counter()
            await stack.settle(events)  # the client dispatched and LiveEvents mapped them all
            await stack.stop()  # ... and the ingestor wrote what it still held
            seconds = time.perf_counter() - started
        finally:
            await db.dispose()
    return {
        "events": float(events),
        "push_seconds": started - pushed,
        "seconds": seconds,
        "msg_per_s": events / seconds if seconds else 0.0,
        "batches": float(stack.live.stats.batches),
        "written": float(stack.live.stats.written),
        "failed": float(stack.events.stats.failed),
    }

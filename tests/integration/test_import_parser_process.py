"""The parser process: killed, cancelled, fed a file that changed, chats split across pages.

The parser reads the export in a child process and sends pages while the importer stores the
ones before. Whatever happens to it, the import stops with a clear error, only whole pages are
stored, importing again completes the vault, and no parser process is left behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import pytest

from core.db.database import Database
from core.errors import InvalidInputError
from services.importer import ImportProgress
from services.importer.bench import generate_export
from services.importer.pipeline import ParserStoppedError
from tests.integration.test_import_malformed import vault_counts
from tests.integration.test_import_service import FIXTURES, make_importer, stored

# Pickled pages of this many messages are several MB, more than the socket and the importer's
# read buffer hold together: the parser is still sending when the first page is stored.
MESSAGES = 20_000
PAGE_SIZE = 500


def parser_pids() -> list[int]:
    """Parser processes started by this process (the importer)."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if fields[1] == me and b"services.importer.worker" in command:
            found.append(int(stat.parent.name))
    return found


def kill_parser_at(phase: str) -> Callable[[ImportProgress], None]:
    """A progress callback that kills the parser at the first report of ``phase``."""
    killed: list[int] = []

    def report(snapshot: ImportProgress) -> None:
        if snapshot.phase == phase and not killed:
            pids = parser_pids()
            assert len(pids) == 1
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    return report


@pytest.fixture
def big_export(tmp_path: Path) -> Path:
    path = tmp_path / "big" / "result.json"
    path.parent.mkdir()
    generate_export(path, MESSAGES, seed=5, chats=3)
    return path


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the parser in /proc")
async def test_a_parser_killed_while_validating_stores_nothing(
    db: Database, tmp_path: Path, big_export: Path
) -> None:
    service, ingest = make_importer(db, tmp_path / "media", page_size=PAGE_SIZE)
    with pytest.raises(ParserStoppedError, match="stopped unexpectedly") as caught:
        await service.import_path(big_export, kill_parser_at("validating"))
    assert "exit code -9" in str(caught.value)
    assert str(big_export) in str(caught.value)
    assert ingest.page_sizes == []
    assert await vault_counts(db) == [0, 0, 0, 0, 0]
    assert parser_pids() == []
    summary = await service.import_path(big_export)
    assert summary.inserted == MESSAGES


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the parser in /proc")
async def test_a_parser_killed_mid_import_leaves_whole_pages_and_a_resumable_vault(
    db: Database, tmp_path: Path, big_export: Path
) -> None:
    service, ingest = make_importer(db, tmp_path / "media", page_size=PAGE_SIZE)
    with pytest.raises(ParserStoppedError, match="stopped unexpectedly") as caught:
        await service.import_path(big_export, kill_parser_at("importing"))
    written = len(ingest.page_sizes)
    assert f"{written} pages were stored: importing again is safe" in str(caught.value)
    assert 1 <= written < MESSAGES // PAGE_SIZE
    stored_before = (await vault_counts(db))[0]
    assert stored_before == sum(ingest.page_sizes) == written * PAGE_SIZE
    assert parser_pids() == []
    again = await service.import_path(big_export)
    assert (again.inserted, again.unchanged) == (MESSAGES - stored_before, stored_before)
    assert (await vault_counts(db))[0] == MESSAGES


def break_last_date_in_place(path: Path) -> None:
    """Make the last message's date unreadable, writing over the file without truncating it
    (a reader never sees it shorter than it was)."""
    data = path.read_bytes()
    tail = data.rindex(b'"date_unixtime": "')
    broken = data[tail:].replace(b'"date_unixtime": "', b'"date_unixtime": "x', 1)
    with path.open("r+b") as file:
        file.seek(tail)
        file.write(broken)


async def test_a_file_that_breaks_after_validation_stops_with_the_place(
    db: Database, tmp_path: Path, big_export: Path
) -> None:
    """The parser finds the problem in the import pass: the error names the message."""
    service, ingest = make_importer(db, tmp_path / "media", page_size=PAGE_SIZE)
    changed: list[bool] = []

    def break_the_file(snapshot: ImportProgress) -> None:
        if snapshot.phase == "importing" and not changed:
            break_last_date_in_place(big_export)  # the parser has not read that far yet
            changed.append(True)

    with pytest.raises(InvalidInputError) as caught:
        await service.import_path(big_export, break_the_file)
    message = str(caught.value)
    assert f"message #{MESSAGES // 3}" in message or "message #" in message
    assert "'date_unixtime' 'x" in message and "is not a number of seconds" in message
    assert f"the file changed after it was validated; {len(ingest.page_sizes)} pages" in message
    assert (await vault_counts(db))[0] == sum(ingest.page_sizes) < MESSAGES
    assert parser_pids() == []


async def test_a_cancelled_import_stops_the_parser(
    db: Database, tmp_path: Path, big_export: Path
) -> None:
    service, ingest = make_importer(db, tmp_path / "media", page_size=PAGE_SIZE)

    def cancel(snapshot: ImportProgress) -> None:
        task = asyncio.current_task()
        if snapshot.phase == "importing" and task is not None:
            task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await service.import_path(big_export, cancel)
    assert parser_pids() == []
    stored_pages = (await vault_counts(db))[0] / PAGE_SIZE  # the page being written rolls back
    assert stored_pages in (len(ingest.page_sizes), len(ingest.page_sizes) - 1)
    assert 1 <= stored_pages < MESSAGES / PAGE_SIZE


async def test_a_forum_split_into_pages_of_two_keeps_its_topics_and_its_chat(
    db: Database, tmp_path: Path
) -> None:
    service, ingest = make_importer(db, tmp_path / "media", page_size=2)
    summary = await service.import_path(FIXTURES / "forum")
    assert ingest.page_sizes == [2, 2, 2, 2, 1]
    assert summary.chats == 1 and summary.inserted == 9
    rows = await stored(db, -1003000000001)
    topics = {i: rows[i]["topic_id"] for i in sorted(rows)}
    assert topics == {1: None, 2: 2, 3: 2, 4: 4, 5: 4, 6: 2, 7: None, 8: None, 9: 4}
    async with db.reader() as uow:
        chat = await uow.chats.get(-1003000000001)
    assert chat is not None and chat["is_forum"] and chat["title"] == "Foro 論壇"


class BrokenZone(tzinfo):
    """A time zone that fails when asked, like a bug inside the parser would."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset here")

    def dst(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset here")


async def test_a_bug_in_the_parser_is_reported_and_stores_nothing(
    db: Database, tmp_path: Path
) -> None:
    service, ingest = make_importer(db, tmp_path / "media", export_timezone=BrokenZone())
    with pytest.raises(ParserStoppedError, match=r"export reader failed \(RuntimeError"):
        await service.import_path(FIXTURES / "old_2020")  # local dates: read in the zone
    assert ingest.page_sizes == []
    assert await vault_counts(db) == [0, 0, 0, 0, 0]
    assert parser_pids() == []

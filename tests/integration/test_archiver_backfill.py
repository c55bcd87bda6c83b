"""BackfillService with the real Telethon client over the scripted Telegram, on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from telethon.tl import functions

from core.db.database import Database
from core.db.tables import messages
from core.domain.archive import MEDIA_KINDS, ArchivePage, CursorUpdate
from core.errors import InvalidInputError
from services.archiver.backfill import BackfillReport, BackfillService
from services.archiver.watchlist import register_account
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult
from tests.fakes.telegram import FakeChat, FakeTelegram, SimulatedCrash
from tests.fakes.telegram.archiver import ArchiverStack, build_archiver

GetHistory = functions.messages.GetHistoryRequest


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def talk(world: FakeTelegram) -> FakeChat:
    chat = world.add_supergroup("Talk", username="talk", participants_count=3)
    ana = world.add_user("Ana", last_name="García", username="ana")
    world.fill(chat, 1050, ana)
    return chat


@pytest.fixture
async def archiver(world: FakeTelegram, db: Database) -> AsyncIterator[ArchiverStack]:
    stack = build_archiver(world, db)
    yield stack
    await stack.close()


async def stored_ids(db: Database, chat_id: int) -> list[int]:
    async with db.reader() as uow:
        query = select(messages.c.message_id).where(messages.c.chat_id == chat_id)
        return sorted(row[0] for row in await uow.connection.execute(query))


def batched(
    stack: ArchiverStack,
    db: Database,
    *,
    batch_messages: int,
    ingest: IngestService | None = None,
    account_id: int | None = None,
) -> BackfillService:
    """The stack's backfill with transactions of ``batch_messages`` and no time bound."""
    return BackfillService(
        stack.gateway, ingest or stack.ingest, db, account_id=account_id,
        batch_messages=batch_messages, monotonic=lambda: 0.0,
    )  # fmt: skip


class RecordingIngest(IngestService):
    """The real ingest step, recording each transaction's page count and cursor; the process
    dies (SimulatedCrash) while writing transaction number ``die_on``, before it commits."""

    def __init__(self, db: Database, *, die_on: int | None = None) -> None:
        super().__init__(db, MediaPolicy(frozenset(MEDIA_KINDS)))
        self.die_on = die_on
        self.transactions: list[tuple[int, int | None, bool]] = []  # messages, offset, done

    async def ingest_page(
        self, page: ArchivePage, *, cursor: CursorUpdate | None = None, index: bool = True
    ) -> PageResult:
        if self.die_on is not None and len(self.transactions) + 1 == self.die_on:
            raise SimulatedCrash("killed while writing a transaction")
        result = await super().ingest_page(page, cursor=cursor, index=index)
        assert cursor is not None
        self.transactions.append((len(page.messages), cursor.next_offset_id, cursor.done))
        return result


def offsets(world: FakeTelegram, *, served: bool = True) -> list[int]:
    requests = world.log.served(GetHistory) if served else world.log.received(GetHistory)
    return [r.offset_id for r in requests]


async def test_a_full_backfill_costs_one_request_per_hundred_messages(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    report = await archiver.backfill.backfill(talk.marked_id)

    assert world.log.count(GetHistory) == 11
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))
    assert (report.pages, report.inserted, report.done, report.complete) == (11, 1050, True, True)
    async with db.reader() as uow:
        cursor = await uow.backfill.get(talk.marked_id)
        chat = await uow.chats.get(talk.marked_id)
    assert cursor is not None
    assert chat is not None
    assert (cursor["top_message_id"], cursor["next_offset_id"], cursor["done"]) == (
        1050,
        None,
        True,
    )
    assert (chat["kind"], chat["title"], chat["username"]) == ("supergroup", "Talk", "talk")


async def test_a_crash_mid_backfill_resumes_where_it_stopped(
    world: FakeTelegram, talk: FakeChat, db: Database
) -> None:
    world.faults.crash(GetHistory, nth=5)
    first = build_archiver(world, db)
    with pytest.raises(SimulatedCrash):
        await first.backfill.backfill(talk.marked_id)
    before_crash = offsets(world)
    assert before_crash == [0, 951, 851, 751]
    assert await stored_ids(db, talk.marked_id) == list(range(651, 1051))

    restarted = build_archiver(world, db)  # a new process: new client, empty session
    try:
        report = await restarted.backfill.backfill(talk.marked_id)
    finally:
        await first.close()
        await restarted.close()

    assert report.resumed
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))
    after_restart = offsets(world)[len(before_crash) :]
    assert after_restart == [651, 551, 451, 351, 251, 151, 51]
    assert not set(after_restart) & set(before_crash)
    # The fresh session found the chat through the vault's access hash, not the dialogs.
    assert world.log.count(functions.messages.GetDialogsRequest) == 1


async def test_a_flood_wait_mid_paging_is_waited_recorded_and_not_refetched(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    world.faults.flood_wait(GetHistory, nth=3, seconds=7)

    report = await archiver.backfill.backfill(talk.marked_id)

    assert archiver.sleep.calls == [7.0]
    assert offsets(world) == [0, 951, 851, 751, 651, 551, 451, 351, 251, 151, 51]
    assert offsets(world, served=False).count(851) == 2  # refused once, then served
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))
    assert report.complete
    async with db.reader() as uow:
        waits = await uow.flood_waits.recent()
    assert [(w.operation, w.seconds, w.honoured) for w in waits] == [
        ("messages.GetHistory", 7.0, True)
    ]


async def test_catch_up_fills_only_what_arrived_after_the_top(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    await archiver.backfill.backfill(talk.marked_id)
    world.fill(talk, 130)  # the service was down meanwhile
    already = world.log.count(GetHistory)

    report = await archiver.backfill.backfill(talk.marked_id)

    assert [(r.offset_id, r.limit) for r in world.log.received(GetHistory)[already:]] == [
        (0, 100),
        (1081, 30),
    ]
    assert report.caught_up == 130
    assert report.top_message_id == 1180
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1181))
    async with db.reader() as uow:
        cursor = await uow.backfill.get(talk.marked_id)
    assert cursor is not None
    assert (cursor["top_message_id"], cursor["done"]) == (1180, True)


async def test_catch_up_keeps_a_limited_pass_limited(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    await archiver.backfill.backfill(talk.marked_id, limit=10)
    world.fill(talk, 5)

    report = await archiver.backfill.backfill(talk.marked_id, limit=10)

    assert report.caught_up == 5
    assert await stored_ids(db, talk.marked_id) == list(range(1041, 1056))


async def test_catch_up_without_news_costs_one_request(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack
) -> None:
    await archiver.backfill.backfill(talk.marked_id)
    already = world.log.count(GetHistory)
    report = await archiver.backfill.catch_up(talk.marked_id)
    assert world.log.count(GetHistory) - already == 1
    assert (report.caught_up, report.top_message_id) == (0, 1050)


async def test_catch_up_of_a_chat_never_backfilled_does_nothing(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack
) -> None:
    report = await archiver.backfill.catch_up(talk.marked_id)
    assert report == BackfillReport(talk.marked_id)
    assert world.log.count(GetHistory) == 0


async def test_a_limit_stops_early_and_a_later_pass_goes_deeper(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    first = await archiver.backfill.backfill(talk.marked_id, limit=250)
    assert [r.limit for r in world.log.received(GetHistory)] == [100, 100, 50]
    assert (first.done, first.complete, first.next_offset_id) == (True, False, 801)
    assert await stored_ids(db, talk.marked_id) == list(range(801, 1051))

    again = await archiver.backfill.backfill(talk.marked_id, limit=250)  # nothing more wanted
    assert (again.caught_up, again.pages) == (0, 1)

    deeper = await archiver.backfill.backfill(talk.marked_id)
    assert deeper.resumed
    assert deeper.complete
    assert deeper.pages == 8
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))


async def test_since_stops_at_the_first_older_message(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    since: datetime = world.histories[talk.marked_id][900].date

    report = await archiver.backfill.backfill(talk.marked_id, since=since)

    assert await stored_ids(db, talk.marked_id) == list(range(900, 1051))
    assert world.log.count(GetHistory) == 2
    assert (report.done, report.complete, report.next_offset_id) == (True, False, 900)


async def test_a_rescan_keeps_edited_messages_as_versions(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    await archiver.backfill.backfill(talk.marked_id)
    world.edit(talk, 10, "message 10, corrected")

    report = await archiver.backfill.backfill(talk.marked_id, rescan=True)

    assert report.edited == 1
    assert report.inserted == 0
    async with db.reader() as uow:
        row = await uow.messages.get(talk.marked_id, 10)
        assert row is not None
        versions = await uow.messages.versions(row["id"])
    assert row["text"] == "message 10, corrected"
    assert row["edit_date"] == world.histories[talk.marked_id][10].edit_date
    assert [v["text"] for v in versions] == ["message 10"]


async def test_an_empty_chat_is_complete_after_one_request(
    world: FakeTelegram, archiver: ArchiverStack
) -> None:
    quiet = world.add_channel("Quiet", username="quiet_news")
    world.post(quiet, "first and only")
    world.delete(quiet, 1)

    report = await archiver.backfill.backfill(quiet.marked_id)

    assert (report.pages, report.messages, report.complete) == (1, 0, True)


async def test_progress_is_reported_after_every_page(
    talk: FakeChat, archiver: ArchiverStack
) -> None:
    seen: list[tuple[int, int]] = []

    async def progress(report: BackfillReport) -> None:
        seen.append((report.pages, report.messages))

    await archiver.backfill.backfill(talk.marked_id, limit=300, progress=progress)

    assert seen == [(1, 100), (2, 200), (3, 300)]


async def test_without_the_vault_hash_a_fresh_session_finds_the_chat_in_the_dialogs(
    world: FakeTelegram, talk: FakeChat, db: Database
) -> None:
    world.faults.crash(GetHistory, nth=2)
    first = build_archiver(world, db, remember_access_hashes=False)
    with pytest.raises(SimulatedCrash):
        await first.backfill.backfill(talk.marked_id)
    restarted = build_archiver(world, db, remember_access_hashes=False)
    try:
        await restarted.backfill.backfill(talk.marked_id)
    finally:
        await first.close()
        await restarted.close()
    assert world.log.count(functions.messages.GetDialogsRequest) == 2
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))


@pytest.mark.parametrize(
    ("options", "hint"),
    [({"page_size": 0}, "page_size"), ({"page_size": 101}, "page_size"), ({"limit": 0}, "limit")],
)
async def test_impossible_bounds_are_refused_before_any_request(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, options: dict[str, int], hint: str
) -> None:
    with pytest.raises(InvalidInputError, match=hint):
        await archiver.backfill.backfill(talk.marked_id, **options)
    assert world.log.exchanges == []


async def test_pages_are_written_several_to_a_transaction_with_the_last_pages_cursor(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    recording = RecordingIngest(db)
    report = await batched(archiver, db, batch_messages=300, ingest=recording).backfill(
        talk.marked_id
    )

    assert world.log.count(GetHistory) == 11
    assert recording.transactions == [
        (300, 751, False), (300, 451, False), (300, 151, False), (150, None, True),
    ]  # fmt: skip
    assert (report.pages, report.inserted, report.complete) == (11, 1050, True)
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))


async def test_a_request_failing_mid_transaction_first_stores_the_pages_before_it(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    world.faults.crash(GetHistory, nth=5)  # pages 1-3 are one transaction, page 4 is held
    with pytest.raises(SimulatedCrash):
        await batched(archiver, db, batch_messages=300).backfill(talk.marked_id)
    assert await stored_ids(db, talk.marked_id) == list(range(651, 1051))

    restarted = build_archiver(world, db)
    try:
        report = await batched(restarted, db, batch_messages=300).backfill(talk.marked_id)
    finally:
        await restarted.close()

    assert report.resumed
    assert offsets(world) == [0, 951, 851, 751, 651, 551, 451, 351, 251, 151, 51]
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))


async def test_a_process_killed_while_writing_resumes_from_the_last_committed_cursor(
    world: FakeTelegram, talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    dying = RecordingIngest(db, die_on=2)  # pages 4-6 die with the process
    with pytest.raises(SimulatedCrash):
        await batched(archiver, db, batch_messages=300, ingest=dying).backfill(talk.marked_id)
    assert await stored_ids(db, talk.marked_id) == list(range(751, 1051))
    async with db.reader() as uow:
        cursor = await uow.backfill.get(talk.marked_id)
    assert cursor is not None
    assert (cursor["next_offset_id"], cursor["fetched"], cursor["done"]) == (751, 300, False)
    before = offsets(world)

    restarted = build_archiver(world, db)
    try:
        await batched(restarted, db, batch_messages=300).backfill(talk.marked_id)
    finally:
        await restarted.close()

    again = offsets(world)[len(before) :]
    assert again == [751, 651, 551, 451, 351, 251, 151, 51]  # only the lost transaction's again
    assert await stored_ids(db, talk.marked_id) == list(range(1, 1051))  # once each, no gap


async def test_the_cursor_names_the_account_that_runs_the_backfill(
    talk: FakeChat, archiver: ArchiverStack, db: Database
) -> None:
    account_id = await register_account(db, "second", 4242)
    await batched(archiver, db, batch_messages=300, account_id=account_id).backfill(
        talk.marked_id, limit=150
    )
    async with db.reader() as uow:
        cursor = await uow.backfill.get(talk.marked_id)
    assert cursor is not None
    assert (cursor["account_id"], cursor["fetched"]) == (account_id, 150)

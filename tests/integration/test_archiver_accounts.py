"""An archiver for a second account, end to end on both dialects: ``telegramvault login`` and
the archiver agree on the account's own session file, and the running archiver registers its
account, owns the chats it watches and leaves another account's tasks alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.db.database import Database
from core.db.tables import accounts, watched_chats
from services.archiver.session_store import EncryptedSessionStore
from services.archiver.telethon_adapter import client_from_settings
from services.tasks.queue import DONE, QUEUED, Task, TaskQueue
from telegramvault.archiver_role import Archiver, ClientFactory, run_archiver
from telegramvault.bootstrap import Core, start_logging
from telegramvault.login_command import login
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import SETTINGS_API_HASH
from tests.fakes.telegram.client import API_ID, fake_client
from tests.integration.account_support import add_accounts, watch_chat
from tests.integration.test_archiver_login import PHONE, SECRET_KEY, Person, over_the_fake

WAIT = 30.0  # a bound on a hang, not a measurement


async def _no_sleep(_seconds: float) -> None:
    return None


def _config(tmp_path: Path, **environ: str) -> ConfigManager:
    values = {
        "SECRET_KEY": SECRET_KEY,
        "TELEGRAM_API_ID": str(API_ID),
        "TELEGRAM_API_HASH": SETTINGS_API_HASH,
        "DATA_DIR": str(tmp_path / "data"),
        "TELEGRAM_ACCOUNT": "work",
        "ARCHIVE_ALL_DIALOGS": "true",
        "ARCHIVE_LIVE_FLUSH_MS": "20",
        **environ,
    }
    config = ConfigManager(env_file=None, environ=values)
    config.load()
    return config


async def _core(db: Database, config: ConfigManager) -> Core:
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy(), sleep=_no_sleep)
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(int(WAIT / 0.01)):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def _started(
    db: Database, config: ConfigManager, factory: ClientFactory, queue: TaskQueue | None = None
) -> tuple[Archiver, asyncio.Event, asyncio.Task[None]]:
    """Run the archiver role until it is ready; returns it, its stop event and its task."""
    ready: list[Archiver] = []
    stop = asyncio.Event()
    core = await _core(db, config)
    running = asyncio.create_task(
        run_archiver(core, stop=stop, client_factory=factory, on_ready=ready.append, tasks=queue)
    )

    async def started() -> bool:
        return bool(ready) or running.done()

    await _until(started, "the start")
    if not ready:
        running.result()  # the reason it ended
        raise AssertionError("the archiver ended without starting")
    return ready[0], stop, running


async def test_login_and_the_archiver_use_the_accounts_own_session(
    db: Database, tmp_path: Path
) -> None:
    world = FakeTelegram()
    world.me.phone = "34600000001"
    config = _config(tmp_path)
    person = Person(answers=[PHONE, world.auth.code])
    product = over_the_fake(world)  # clients are logged in only by the session they are given

    assert await login(config, qr=False, prompts=person.prompts(), client_factory=product) == 0
    stored = tmp_path / "data" / "sessions" / "work.session"
    assert not (tmp_path / "data" / "telegramvault.session").exists()
    assert person.said[-1] == (
        f"Logged in as Vault Owner (@vault_owner) for the account 'work'. "
        f"The session is stored encrypted in {stored}."
    )

    given: list[str | None] = []

    def factory(settings: TelegramSettings, session: str | None) -> Any:
        given.append(session)
        return product(settings, session)

    archiver, stop, running = await _started(db, config, factory)
    try:
        assert given == [EncryptedSessionStore(stored, SECRET_KEY).load()]
        assert archiver.account_id is not None
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)


async def test_the_archiver_registers_its_account_and_keeps_to_its_work(
    db: Database, tmp_path: Path
) -> None:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana")
    room = world.add_supergroup("Room", username="room")
    shared = world.add_supergroup("Shared", username="shared")
    for chat in (room, shared):
        world.fill(chat, 30, ana)
    [main] = await add_accounts(db, "main")  # another archiver's account, which has "shared"
    await watch_chat(db, shared.marked_id, main)

    def factory(settings: TelegramSettings, session: str | None) -> Any:
        return fake_client(world, lambda: client_from_settings(settings, session))

    queue = TaskQueue(db)
    config = _config(tmp_path, ARCHIVE_ALL_DIALOGS="false")
    archiver, stop, running = await _started(db, config, factory, queue)
    try:
        work = archiver.account_id
        assert work is not None and work != main
        assert await _accounts(db) == {"main": 7000, "work": world.me.id}
        not_mine, _ = await queue.enqueue("retry_media", {"requeue": True}, account_id=main)

        mine = await _backfill_of(queue, await _done(queue, "watch", {"reference": "@room"}))
        assert await _owner(db, room.marked_id) == work  # watched by this archiver: its own
        assert (mine.account_id, mine.args["chat_id"]) == (work, room.marked_id)
        await _done(queue, mine)

        theirs = await _backfill_of(queue, await _done(queue, "watch", {"reference": "@shared"}))
        assert await _owner(db, shared.marked_id) == main  # it stays with its account
        assert theirs.account_id == main
        await _done(queue, "retry_media", {})  # queued after them, anybody's: run meanwhile
        for left in (not_mine, theirs):
            assert (await queue.get(left.id)).state == QUEUED  # left to main's archiver
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)


async def _done(queue: TaskQueue, task: Task | str, args: dict[str, Any] | None = None) -> Task:
    """Queue a task (or take one queued) and wait until the archiver has done it."""
    if isinstance(task, str):
        task, _ = await queue.enqueue(task, args)
    task_id = task.id

    async def finished() -> bool:
        return (await queue.get(task_id)).finished

    await _until(finished, f"task #{task_id}")
    done = await queue.get(task_id)
    assert done.state == DONE, done.error
    return done


async def _backfill_of(queue: TaskQueue, watched: Task) -> Task:
    assert watched.result is not None
    return await queue.get(watched.result["backfill_task"])


async def _accounts(db: Database) -> dict[str, int | None]:
    async with db.reader() as uow:
        query = select(accounts.c.label, accounts.c.telegram_user_id)
        return dict((await uow.connection.execute(query)).all())


async def _owner(db: Database, chat_id: int) -> int | None:
    async with db.reader() as uow:
        query = select(watched_chats.c.account_id).where(watched_chats.c.chat_id == chat_id)
        return (await uow.connection.execute(query)).scalar_one()  # type: ignore[no-any-return]

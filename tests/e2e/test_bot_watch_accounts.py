"""/watch, /chats and /status with several Telegram accounts, through the real bot (both
dialects): the bot asks which account archives the chat (or reads it from the command), the task
goes to that account's archiver (the real TaskWorker and handlers over the scripted Telegram),
/chats names each chat's account, a private chat of another account is refused with the owner's
name, and /status shows every account's archiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.alerts.sender import AlertSender
from bot.presenters.chats import WatchAccount
from core.db.database import Database
from core.domain.archive import ArchivePage
from core.domain.messages import ChatInfo
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.alerts.limits import SendLimiter
from services.archiver.backfill import BackfillService
from services.archiver.task_handlers import archiver_task_handlers
from services.archiver.vault_peers import VaultAccessHashes
from services.archiver.watchlist import WatchListService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.media.ingestion import MediaIngestionService
from services.media.retry import MediaRetryService
from services.status.heartbeat import ArchiverHeartbeat
from services.tasks.queue import FAILED, QUEUED, Task
from services.tasks.worker import TaskWorker
from tests import factories as f
from tests.e2e.harness import ADMIN, STRANGER, BotEnv
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser
from tests.fakes.telegram.archiver import GatewayStack, build_gateway
from tests.fakes.telegram.task_stack import media_config
from tests.integration.account_support import add_accounts

QUESTION = "Which account should archive @room?"


class SimTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Scene:
    """The scripted Telegram both accounts see, and the accounts' ids in the vault."""

    world: FakeTelegram
    room: FakeChat
    ana: FakeUser
    main: int
    work: int


@pytest.fixture
async def scene(env: BotEnv) -> Scene:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana")
    room = world.add_supergroup("Room", username="room")
    world.fill(room, 5, ana)
    world.post(ana, "hola")
    main, work = await add_accounts(env.db, "main", "work")
    return Scene(world, room, ana, main, work)


@pytest.fixture
async def telegram(env: BotEnv, scene: Scene) -> AsyncIterator[GatewayStack]:
    stack = build_gateway(scene.world, access_hashes=VaultAccessHashes(env.db))
    yield stack
    await stack.close()


async def archiver_worker(
    env: BotEnv, telegram: GatewayStack, account: int, media_dir: Path
) -> TaskWorker:
    """The task worker of ``account``'s archiver: it claims that account's tasks and anybody's."""
    db, gateway = env.db, telegram.gateway
    config = media_config(media_dir)
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    ingestion = MediaIngestionService(config, logger, db=db, gateway=gateway)
    handlers = archiver_task_handlers(
        watch=WatchListService(db, gateway, account_id=account),
        backfill=BackfillService(gateway, IngestService(db, MediaPolicy(frozenset())), db),
        media=MediaRetryService(config, logger, db=db, ingestion=ingestion, account_id=account),
        tasks=env.services.tasks,
    )
    return TaskWorker(env.services.tasks, handlers, worker_id=f"a{account}", account_id=account)


async def tasks(env: BotEnv) -> list[Task]:
    return list(reversed(await env.services.tasks.recent(50)))


async def drain(env: BotEnv) -> int:
    """Send what the outbox holds (task results edit their progress messages)."""
    time = SimTime()
    limiter = SendLimiter(clock=time.monotonic, sleep=time.sleep)
    return (await AlertSender(env.bot, env.services.outbox, limiter=limiter).drain_once()).sent


async def watched_by(db: Database, chat: ChatInfo, account: int) -> None:
    await IngestService(db, MediaPolicy(frozenset())).ingest_page(ArchivePage(chats=[chat]))
    async with db.unit_of_work() as uow:
        await uow.watch.watch(chat.id, f.at(0), added_by=ADMIN, account_id=account)
        await uow.commit()


# -- choosing the account ----------------------------------------------------------------


async def test_watch_asks_which_account_and_only_that_accounts_archiver_runs_it(
    env: BotEnv, scene: Scene, telegram: GatewayStack, tmp_path: Path
) -> None:
    question = await env.reply("/watch @room")
    assert (question.plain_text or "").startswith(QUESTION)
    labels = [button["text"] for row in question.buttons for button in row]
    assert labels == ["main", "work", "✖ Cancel"]
    assert await tasks(env) == []  # nothing is queued before the answer

    chosen = await env.press(question, "work")

    assert chosen.plain_text == "⏳ Adding the chat: queued.\n@room · account work"
    assert chosen.buttons == [] and env.answers()[-1] == "Account work"
    [task] = await tasks(env)
    assert (task.kind, task.account_id, task.state) == ("watch", scene.work, QUEUED)
    assert task.args == {"reference": "@room", "added_by": ADMIN}
    assert (task.reply_chat_id, task.reply_message_id) == (ADMIN, question.message_id)

    main_worker = await archiver_worker(env, telegram, scene.main, tmp_path / "main")
    work_worker = await archiver_worker(env, telegram, scene.work, tmp_path / "work")
    assert await main_worker.run_once() == 0  # another account's task is left alone
    assert await work_worker.run_once() == 2  # the watch, then the backfill it queued
    assert await drain(env) == 2
    assert (env.current(question).plain_text or "").startswith("✅ Task #2 (backfill) done")
    listed = (await env.reply("/chats")).plain_text or ""
    assert "1. Room · @room" in listed and "· account: work" in listed


async def test_the_account_can_be_named_in_the_command(env: BotEnv, scene: Scene) -> None:
    queued = await env.reply("/watch @room Main")
    assert queued.plain_text == "⏳ Adding the chat: queued.\n@room · account main"
    again = await env.reply("/watch @room main")
    assert "already under way (task #1)" in (again.plain_text or "")
    other = await env.reply("/watch @room work")  # another account's watch is its own task
    assert "queued." in (other.plain_text or "")
    assert [t.account_id for t in await tasks(env)] == [scene.main, scene.work]

    unknown = await env.reply("/watch @room home")
    assert unknown.plain_text == "⚠️ no account is labelled 'home' (accounts: main, work)"
    assert len(await tasks(env)) == 2


async def test_one_account_is_never_asked(env: BotEnv, db: Database) -> None:
    await add_accounts(db, "main")
    queued = await env.reply("/watch @room")
    assert queued.plain_text == "⏳ Adding the chat: queued.\n@room"
    [task] = await tasks(env)
    assert task.account_id is None  # the single archiver takes it, as before accounts
    named = await env.reply("/watch @news main")
    assert named.plain_text == "⏳ Adding the chat: queued.\n@news · account main"


async def test_a_cancelled_or_superseded_question_queues_nothing(env: BotEnv, scene: Scene) -> None:
    cancelled = await env.reply("/watch @room")
    assert (await env.press(cancelled, "Cancel")).plain_text == "Cancelled."
    await env.feed(
        env.api.callback_update(
            user_id=ADMIN, data=WatchAccount(account_id=scene.main).pack(), message=cancelled
        )
    )
    assert env.answers()[-1] == "This question has expired; send /watch again."

    older = await env.reply("/watch @room")
    newer = await env.reply("/watch @ana")
    await env.press(older, "main")
    assert env.answers()[-1] == "This question has expired; send /watch again."
    assert await tasks(env) == []
    await env.press(newer, "main")
    [task] = await tasks(env)
    assert (task.args["reference"], task.account_id) == ("@ana", scene.main)


# -- a private chat belongs to one account --------------------------------------------------


async def test_another_accounts_private_chat_is_refused_naming_the_owner(
    env: BotEnv, scene: Scene, telegram: GatewayStack, tmp_path: Path
) -> None:
    ana = ChatInfo(id=scene.ana.marked_id, kind="user", title="Ana", username="ana")
    await watched_by(env.db, ana, scene.main)

    queued = await env.reply("/watch @ana work")
    worker = await archiver_worker(env, telegram, scene.work, tmp_path / "work")
    assert await worker.run_once() == 1
    assert await drain(env) == 1

    assert env.current(queued).plain_text == (
        "❌ Task #1 (watch) failed\n"
        f"Ana ({ana.id}) belongs to the account 'main': Telegram numbers the messages of a "
        "private chat or basic group per account, so only that account may archive it"
    )
    [task] = await tasks(env)
    assert task.state == FAILED
    assert (await env.services.watch.owner(ana.id)).label == "main"  # type: ignore[union-attr]


async def test_a_channel_another_account_watches_is_accepted_and_said_so(
    env: BotEnv, scene: Scene, telegram: GatewayStack, tmp_path: Path
) -> None:
    room = ChatInfo(id=scene.room.marked_id, kind="supergroup", title="Room", username="room")
    await watched_by(env.db, room, scene.main)

    queued = await env.reply("/watch @room work")
    worker = await archiver_worker(env, telegram, scene.work, tmp_path / "work")
    assert await worker.run_once() == 1  # the backfill it queued is main's to run
    assert await drain(env) == 1

    assert env.current(queued).plain_text == (
        "✅ Task #1 (watch) done\n"
        f"Watching Room ({room.id}), archived by the account 'main', which watched it first; "
        "backfill queued (task #2)"
    )
    assert (await tasks(env))[1].account_id == scene.main


# -- /status -----------------------------------------------------------------------------------


async def test_status_shows_each_accounts_archiver(env: BotEnv, scene: Scene) -> None:
    for label in ("work", "main"):
        await ArchiverHeartbeat(env.db, label=label, account=f"@{label}_user").connected()
    text = (await env.reply("/status")).plain_text or ""
    live = next(part for part in text.split("\n\n") if part.startswith("Live"))
    lines = live.splitlines()
    assert lines[0] == "Live · 2 accounts"
    assert lines[1].startswith("• main: 🟢 connected as @main_user since ")
    assert lines[2].startswith("• work: 🟢 connected as @work_user since ")


# -- strangers ------------------------------------------------------------------------------


async def test_a_stranger_gets_nothing_from_the_account_choice(env: BotEnv, scene: Scene) -> None:
    assert await env.send("/watch @room work", user_id=STRANGER) == []
    assert await env.send("/watch @room", user_id=STRANGER) == []
    question = await env.reply("/watch @room")
    choice = WatchAccount(account_id=scene.work).pack()
    await env.feed(env.api.callback_update(user_id=STRANGER, data=choice, message=question))
    assert env.api.messages(STRANGER) == [] and env.api.callback_answers == []
    assert await tasks(env) == []
    assert env.current(question).plain_text == question.plain_text  # still waiting for the admin

"""The watch list and work on demand through the real bot: /chats, /watch, /unwatch, /backfill,
/retry_media, /enrich. The archiver is not running: tasks stay queued (as with
``--role bot``), or the test plays the worker through the TaskQueue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from bot.alerts.sender import AlertSender
from bot.presenters.chats import UnwatchConfirm
from bot.progress import TaskProgressRelay
from core.db.database import Database
from core.db.tables import alerts
from core.domain.archive import ArchivePage, CursorUpdate
from core.domain.messages import ChatInfo
from services.alerts.limits import SendLimiter
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.tasks.queue import QUEUED, Task
from tests import factories as f
from tests.e2e.harness import ADMIN, STRANGER, BotEnv

TALK = f.chat(-1001000000001, title="Talk", username="talk")
NEWS = f.chat(-1001000000002, title="News <daily>", username="news", kind="channel")
OLD = f.chat(-1001000000003, title="Old times", username=None)  # in the vault, not watched
ANA = f.user(1001, first_name="Ana", username="ana")
AT = datetime(2025, 1, 1, tzinfo=UTC)


class SimTime:
    """The alert sender's limiter clock: moves only when it sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def vault(
    db: Database, watched: Sequence[ChatInfo], *, others: Sequence[ChatInfo] = ()
) -> None:
    page = ArchivePage(messages=[], chats=[*watched, *others], users=[ANA])
    await IngestService(db, MediaPolicy(frozenset())).ingest_page(page)
    async with db.unit_of_work() as uow:
        for chat in watched:
            await uow.watch.watch(chat.id, AT, added_by=ADMIN)
        await uow.commit()


async def tasks(env: BotEnv) -> list[Task]:
    return list(reversed(await env.services.tasks.recent(50)))


async def outbox_payloads(db: Database) -> list[dict[str, object]]:
    async with db.reader() as uow:
        query = select(alerts.c.kind, alerts.c.recipient_chat_id, alerts.c.payload)
        rows = await uow.connection.execute(query.order_by(alerts.c.id))
        return [{**r.payload, "alert": r.kind, "chat": r.recipient_chat_id} for r in rows]


# -- /chats ----------------------------------------------------------------------------------


async def test_chats_pages_through_the_watch_list_with_prev_and_next(
    env: BotEnv, db: Database
) -> None:
    many = [f.chat(-1001000000100 - i, title=f"Room {i:02d}") for i in range(7)]
    await vault(db, [*many, NEWS])
    async with db.unit_of_work() as uow:
        await uow.backfill.start(NEWS.id, AT)
        await uow.backfill.save(CursorUpdate(NEWS.id, None, 1200, True, 1200), AT)
        await uow.watch.set_media_policy(NEWS.id, {"types": ["photo"], "max_size_mb": 5})
        await uow.commit()

    first = await env.reply("/chats")
    text = first.plain_text or ""
    assert "Watched chats · 8 · page 1 of 2" in text
    assert "1. News <daily> · @news · -1001000000002" in text
    assert "history: 1\u2009200 fetched, complete · media: photo ≤ 5 MB" in text
    assert "2. Room 00" in text and "6." not in text
    assert [b["text"] for row in first.buttons for b in row] == ["Next ▶"]

    second = await env.press(first, "Next")
    assert second.message_id == first.message_id
    assert "page 2 of 2" in (second.plain_text or "") and "8. Room 06" in (second.plain_text or "")
    back = await env.press(second, "Prev")
    assert "page 1 of 2" in (back.plain_text or "")


async def test_chats_with_nothing_watched_says_how_to_add_one(env: BotEnv) -> None:
    assert "none yet" in ((await env.reply("/chats")).plain_text or "")


async def test_a_page_button_from_before_a_removal_shows_the_last_page(
    env: BotEnv, db: Database
) -> None:
    await vault(db, [TALK])
    page = await env.reply("/chats")
    await env.feed(env.api.callback_update(user_id=ADMIN, data="ch1:10", message=page))
    assert "1. Talk" in (env.current(page).plain_text or "")


# -- /watch and the task's progress message ------------------------------------------------------


async def test_watch_queues_a_task_whose_message_shows_progress_then_the_result(
    env: BotEnv, db: Database
) -> None:
    queued = await env.reply("/watch @somechat")

    assert queued.plain_text == "⏳ Adding the chat: queued.\n@somechat"
    [task] = await tasks(env)
    assert (task.kind, task.args, task.state) == (
        "watch",
        {"reference": "@somechat", "added_by": ADMIN},
        QUEUED,
    )
    assert (task.requested_by, task.reply_chat_id, task.reply_message_id) == (
        ADMIN,
        ADMIN,
        queued.message_id,
    )

    relay = TaskProgressRelay(env.bot, env.services.tasks)
    assert await relay.relay_once() == 1
    assert "waiting for the archiver (task #1)" in (env.current(queued).plain_text or "")

    queue = env.services.tasks
    [claimed] = await queue.claim(("watch",), "archiver-1")
    await queue.report_progress(claimed.id, {"done": 45, "total": 100, "flood_wait": 30})
    assert await relay.relay_once() == 1
    assert env.current(queued).plain_text == (
        "⏳ Adding the chat: 45% · 45 / 100 · flood wait 30 s"
    )
    assert await relay.relay_once() == 0  # unchanged: not edited again

    await queue.finish(claimed.id, "archiver-1", "Watching Some chat (-1001); backfill queued")
    assert await relay.relay_once() == 0  # the result goes through the outbox, never the relay
    [row] = await outbox_payloads(db)
    assert (row["alert"], row["chat"], row["edit_message_id"]) == ("task", ADMIN, queued.message_id)

    time = SimTime()
    limiter = SendLimiter(clock=time.monotonic, sleep=time.sleep)
    assert (await AlertSender(env.bot, env.services.outbox, limiter=limiter).drain_once()).sent == 1
    final = env.current(queued)
    assert final.plain_text == (
        "✅ Task #1 (watch) done\nWatching Some chat (-1001); backfill queued"
    )
    assert len(env.api.messages(ADMIN)) == 1  # everything happened in the one message


async def test_watch_needs_a_reference_and_queues_the_same_one_once(env: BotEnv) -> None:
    usage = await env.reply("/watch")
    assert usage.plain_text is not None and "Usage: /watch <@username" in usage.plain_text
    assert "one chat at a time" in ((await env.reply("/watch @a @b")).plain_text or "")

    first = await env.reply("/watch t.me/+AbCdEf123456")
    again = await env.reply("/watch t.me/+AbCdEf123456")

    assert "queued." in (first.plain_text or "")
    assert "already under way (task #1)" in (again.plain_text or "")
    [task] = await tasks(env)
    assert task.reply_message_id == first.message_id  # the first message keeps the progress


# -- /unwatch ----------------------------------------------------------------------------------


async def test_unwatch_asks_first_and_stops_archiving_on_confirm(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK, NEWS])
    question = await env.reply("/unwatch talk")
    assert question.plain_text is not None
    assert question.plain_text.startswith("Stop archiving Talk (-1001000000001)?")

    done = await env.press(question, "Unwatch")

    assert done.plain_text == "🛑 Stopped archiving Talk (-1001000000001). /chats"
    assert env.answers()[-1] == "Unwatched"
    assert [c.chat_id for c in (await env.services.watch.list()).chats] == [NEWS.id]
    await env.feed(
        env.api.callback_update(
            user_id=ADMIN, data=UnwatchConfirm(chat_id=TALK.id).pack(), message=done
        )
    )
    assert env.answers()[-1] == "This confirmation has expired; send /unwatch again."


async def test_unwatch_can_be_cancelled_and_a_cancelled_confirm_is_stale(
    env: BotEnv, db: Database
) -> None:
    await vault(db, [TALK])
    question = await env.reply("/unwatch Talk")
    confirm_data = UnwatchConfirm(chat_id=TALK.id).pack()

    cancelled = await env.press(question, "Cancel")

    assert cancelled.plain_text == "Cancelled."
    await env.feed(env.api.callback_update(user_id=ADMIN, data=confirm_data, message=cancelled))
    assert env.answers()[-1] == "This confirmation has expired; send /unwatch again."
    assert [c.chat_id for c in (await env.services.watch.list()).chats] == [TALK.id]


async def test_an_older_question_cannot_unwatch_after_a_newer_one_was_asked(
    env: BotEnv, db: Database
) -> None:
    await vault(db, [TALK, NEWS])
    older = await env.reply(f"/unwatch {TALK.id}")
    await env.reply("/unwatch @news")

    await env.press(older, "Unwatch")

    assert env.answers()[-1] == "This confirmation has expired; send /unwatch again."
    assert len((await env.services.watch.list()).chats) == 2


async def test_unwatch_names_only_watched_chats(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK], others=[OLD])
    assert "Usage: /unwatch <chat>" in ((await env.reply("/unwatch")).plain_text or "")
    missing = await env.reply("/unwatch Old times")
    assert missing.plain_text == (
        "🔎 no watched chat (see /chats) matches 'Old times'; "
        "name it by its id, @username, t.me link or a part of its title"
    )


# -- /backfill, /retry_media, /enrich --------------------------------------------------------


async def test_backfill_queues_the_chat_with_a_limit_or_a_date(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK], others=[OLD])

    limited = await env.reply("/backfill @talk limit 500")
    by_date = await env.reply("/backfill Old times since 2024-05-01")
    again = await env.reply("/backfill https://t.me/talk 20")

    first, second = await tasks(env)
    assert first.args == {"chat_id": TALK.id, "title": "Talk", "limit": 500}
    since = datetime(2024, 5, 1, tzinfo=env.services.tz).isoformat()
    assert second.args == {"chat_id": OLD.id, "title": "Old times", "since": since}
    assert limited.plain_text == (
        "⏳ Backfill: queued.\nTalk (-1001000000001), the latest 500 messages"
    )
    assert "since 2024-05-01" in (by_date.plain_text or "")
    assert "already under way (task #1)" in (again.plain_text or "")
    assert first.reply_message_id == limited.message_id


async def test_bad_backfill_arguments_get_clear_errors(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK])
    replies = {
        text: (await env.reply(text)).plain_text
        for text in (
            "/backfill",
            "/backfill @talk limit lots",
            "/backfill @talk since yesterday",
            "/backfill @nobody",
        )
    }
    assert "Usage: /backfill <chat> [limit N | N | since YYYY-MM-DD]" in (
        replies["/backfill"] or ""
    )
    assert replies["/backfill @talk limit lots"] == (
        "⚠️ the limit must be a number of messages, not 'lots'"
    )
    assert replies["/backfill @talk since yesterday"] == (
        "⚠️ 'yesterday' is not a date: write it as YYYY-MM-DD"
    )
    assert (replies["/backfill @nobody"] or "").startswith(
        "🔎 no chat in the vault matches '@nobody'"
    )
    assert await tasks(env) == []


async def test_retry_media_for_every_chat_or_one(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK])
    everything = await env.reply("/retry_media")
    one = await env.reply("/retry_media talk")

    first, second = await tasks(env)
    assert (first.kind, first.args) == ("retry_media", {"requeue": True})
    assert second.args == {"requeue": True, "chat_id": TALK.id}
    assert everything.plain_text == "⏳ Media retry: queued.\nevery chat"
    assert "Talk (-1001000000001)" in (one.plain_text or "")


async def test_enrich_everyone_a_person_or_a_chat(env: BotEnv, db: Database) -> None:
    await vault(db, [TALK])
    await env.reply("/enrich all")
    person = await env.reply("/enrich @ANA")
    await env.reply("/enrich 1001")
    await env.reply("/enrich Talk")
    unknown = await env.reply("/enrich @ghost")

    everyone, ana, talk = await tasks(env)
    assert [t.args for t in (everyone, ana, talk)] == [
        {"target": "all"},
        {"user_id": ANA.id},
        {"chat_id": TALK.id},
    ]
    assert person.plain_text == "⏳ Profile refresh: queued.\nAna García @ana (1001)"
    assert env.api.messages(ADMIN)[-3].plain_text == (
        "⏳ Profile refresh is already under way (task #2).\nAna García @ana (1001)"
    )
    assert (unknown.plain_text or "").startswith(
        "🔎 nobody and no chat in the vault is known as '@ghost'"
    )
    assert "Usage: /enrich <user | chat | all>" in ((await env.reply("/enrich")).plain_text or "")


# -- strangers --------------------------------------------------------------------------------


async def test_a_stranger_gets_nothing_from_any_of_these_commands(
    env: BotEnv, db: Database
) -> None:
    await vault(db, [TALK])
    for command in (
        "/chats", "/watch @talk", "/unwatch talk", "/backfill talk 10", "/retry_media",
        "/enrich all", "/enrich @ana",
    ):  # fmt: skip
        assert await env.send(command, user_id=STRANGER) == []
    question = await env.reply("/unwatch talk")
    for data in (UnwatchConfirm(chat_id=TALK.id).pack(), "ch1:0"):
        await env.feed(env.api.callback_update(user_id=STRANGER, data=data, message=question))
    assert env.api.messages(STRANGER) == [] and env.api.callback_answers == []
    assert await tasks(env) == []
    assert [c.chat_id for c in (await env.services.watch.list()).chats] == [TALK.id]

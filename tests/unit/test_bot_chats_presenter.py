"""The /chats page, the /unwatch question and the queued replies, as pure presenters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.presenters.chats import (
    ChatsPage,
    UnwatchConfirm,
    chats_reply,
    media_policy_text,
    queued_for,
    unwatch_question,
    unwatched_reply,
)
from bot.presenters.common import CANCEL_CALLBACK
from services.archiver.vault_refs import VaultChat
from services.archiver.watchlist import WatchedChat, WatchPage
from services.tasks.queue import QUEUED, Task
from tests.fakes.botapi.html import visible_text


def watched(chat_id: int, title: str | None = "Talk", **fields: object) -> WatchedChat:
    values: dict[str, object] = {
        "username": None, "kind": "supergroup", "fetched": 0, "backfill_done": False,
        "media_policy": None, **fields,
    }  # fmt: skip
    return WatchedChat(chat_id, title, **values)  # type: ignore[arg-type]


def task(kind: str = "watch", task_id: int = 7) -> Task:
    return Task(
        task_id, kind, {}, QUEUED, None, None, None, 0, 111, 111, None,
        datetime(2025, 1, 1, tzinfo=UTC), None,
    )  # fmt: skip


def test_an_empty_watch_list_says_how_to_add_a_chat() -> None:
    reply = chats_reply(WatchPage([], 0, 0), 5)
    assert "none yet" in reply.text and "/watch" in reply.text
    assert reply.buttons == ()


def test_a_page_lists_title_username_id_backfill_state_and_media_policy() -> None:
    page = WatchPage(
        [
            watched(-1001, "Traders <club>", username="traders", fetched=1050,
                    backfill_done=True, media_policy={"types": ["photo"], "max_size_mb": 20}),
            watched(-1002, None, fetched=120),
        ],
        total=2,
        offset=0,
    )  # fmt: skip
    text = visible_text(chats_reply(page, 5).text)

    assert "Watched chats · 2 · page 1 of 1" in text
    assert "1. Traders <club> · @traders · -1001" in text
    assert "history: 1\u2009050 fetched, complete · media: photo ≤ 20 MB" in text
    assert "2. untitled · -1002\nhistory: 120 fetched, in progress" in text
    assert "&lt;club&gt;" in chats_reply(page, 5).text


def test_pages_get_prev_and_next_buttons_only_where_there_is_more() -> None:
    chats = [watched(-i, f"Chat {i}") for i in range(1, 6)]
    first = chats_reply(WatchPage(chats, 12, 0), 5)
    middle = chats_reply(WatchPage(chats, 12, 5), 5)
    last = chats_reply(WatchPage(chats[:2], 12, 10), 5)

    assert [b.callback for b in first.buttons[0]] == [ChatsPage(offset=5).pack()]
    assert [b.text for b in middle.buttons[0]] == ["◀ Prev", "Next ▶"]
    assert [b.callback for b in last.buttons[0]] == [ChatsPage(offset=5).pack()]
    assert "page 3 of 3" in last.text and "11. Chat 1" in visible_text(last.text)


@pytest.mark.parametrize(
    ("policy", "shown"),
    [
        (None, ""),
        ({"types": None, "max_size_mb": None}, ""),
        ({"types": [], "max_size_mb": None}, "none"),
        ({"types": ["photo", "video"], "max_size_mb": None}, "photo, video"),
        ({"types": None, "max_size_mb": 1500}, "≤ 1\u2009500 MB"),
    ],
)
def test_media_policies_read_naturally(policy: dict[str, object] | None, shown: str) -> None:
    assert media_policy_text(policy) == shown


def test_the_unwatch_question_has_confirm_and_cancel_buttons() -> None:
    chat = VaultChat(-1001234567890, "supergroup", "Traders & <friends>", "traders")
    reply = unwatch_question(chat)

    assert "Stop archiving <b>Traders &amp; &lt;friends&gt; (-1001234567890)</b>?" in reply.text
    [[confirm, cancel]] = reply.buttons
    assert confirm.callback == UnwatchConfirm(chat_id=chat.id).pack()
    assert cancel.callback == CANCEL_CALLBACK
    assert "Stopped archiving <b>A &amp; B (1)</b>" in unwatched_reply("A & B (1)").text


def test_queued_replies_name_the_task_and_what_it_works_on() -> None:
    fresh = queued_for(task("backfill", 3), "Talk (-1001), the latest 500 messages", already=False)
    again = queued_for(task("enrich", 4), "<Ana>", already=True)

    assert visible_text(fresh.text) == (
        "⏳ Backfill: queued as task #3.\nTalk (-1001), the latest 500 messages"
    )
    assert "already under way (task #4)" in again.text and "&lt;Ana&gt;" in again.text


def test_callback_data_stays_short() -> None:
    assert len(UnwatchConfirm(chat_id=-(10**15)).pack()) < 30
    assert len(ChatsPage(offset=10**6).pack()) < 20

"""Several accounts in the bot's pure pieces: the /status live section per account, /chats naming
each chat's account, the /watch account question, and ``/watch <chat> [account]`` parsing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.presenters.chats import WatchAccount, chats_reply, watch_account_question
from bot.presenters.common import CANCEL_CALLBACK
from bot.presenters.status import status_reply
from bot.watch_accounts import account_watch_target, parse_watch
from core.errors import InvalidInputError
from services.archiver.watchlist import Account, WatchedChat, WatchPage
from services.status.snapshot import ArchiveTotals, LiveState, QueueCounts, VaultStatus
from tests.fakes.botapi.html import visible_text

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
MAIN, WORK = Account(1, "main"), Account(2, "work")
CONNECTED = LiveState(
    connected=True,
    account="@vault",
    since=NOW - timedelta(hours=1),
    last_event_at=NOW - timedelta(minutes=1),
    last_sync_at=NOW - timedelta(minutes=50),
    updated_at=NOW - timedelta(seconds=10),
    stale=False,
    label="main",
)


def _status(*archivers: LiveState) -> VaultStatus:
    return VaultStatus(
        totals=ArchiveTotals(0, 0, 0, 0, 0, 0, 0, 0, 0),
        chats=(),
        chats_total=0,
        queues=QueueCounts(0, 0, 0, 0, 0, 0, 0),
        flood_waits=(),
        recent_errors=(),
        database_bytes=None,
        media_bytes=0,
        archivers=archivers,
        uptime_seconds=None,
        generated_at=NOW,
    )


def _live_section(*archivers: LiveState) -> str:
    text = visible_text(status_reply(_status(*archivers), UTC_ZONE).text)
    return next(part for part in text.split("\n\n") if part.startswith("Live"))


# -- /status ------------------------------------------------------------------------------------


def test_no_archiver_and_one_archiver_read_as_before_accounts() -> None:
    assert _live_section() == "Live: archiver never connected"
    assert _live_section(CONNECTED) == (
        "Live: 🟢 connected as @vault since 2025-03-01 11:00\n"
        "last event 2025-03-01 11:59 · last sync 2025-03-01 11:10"
    )
    stale = replace(CONNECTED, connected=False, stale=True)
    assert _live_section(stale) == "Live: ⚠️ no news from the archiver since 2025-03-01 11:59"


def test_several_accounts_get_a_line_each() -> None:
    work = replace(CONNECTED, label="work", account="@desk", connected=False)
    silent = replace(CONNECTED, label="home<1>", updated_at=None, stale=True, connected=False)
    older = replace(CONNECTED, label=None, account="@old")
    assert _live_section(CONNECTED, work, silent, older) == (
        "Live · 4 accounts\n"
        "• main: 🟢 connected as @vault since 2025-03-01 11:00 · "
        "last event 2025-03-01 11:59 · last sync 2025-03-01 11:10\n"
        "• work: 🔴 disconnected as @desk since 2025-03-01 11:00 · "
        "last event 2025-03-01 11:59 · last sync 2025-03-01 11:10\n"
        "• home<1>: archiver never connected\n"
        "• older version: 🟢 connected as @old since 2025-03-01 11:00 · "
        "last event 2025-03-01 11:59 · last sync 2025-03-01 11:10"
    )
    assert "home&lt;1&gt;" in status_reply(_status(CONNECTED, silent), UTC_ZONE).text


# -- /chats -------------------------------------------------------------------------------------


def _chat(chat_id: int, account: str | None) -> WatchedChat:
    return WatchedChat(chat_id, "Talk", None, "supergroup", 3, False, None, account)


def test_chats_name_the_account_only_when_there_are_several() -> None:
    chats = [_chat(-1001, "work"), _chat(-1002, None)]
    several = visible_text(chats_reply(WatchPage(chats, 2, 0, accounts=2), 5).text)
    assert "history: 3 fetched, in progress · account: work" in several
    assert "history: 3 fetched, in progress · account: any" in several
    one = visible_text(chats_reply(WatchPage(chats, 2, 0, accounts=1), 5).text)
    assert "account" not in one


# -- the /watch question --------------------------------------------------------------------------


def test_the_question_offers_each_account_and_cancel() -> None:
    accounts = [MAIN, WORK, Account(3, "home"), Account(4, "desk")]
    reply = watch_account_question("@news<x>", accounts)
    assert visible_text(reply.text).startswith("Which account should archive @news<x>?")
    assert "@news&lt;x&gt;" in reply.text
    assert "/watch &lt;chat&gt; &lt;account&gt;" in reply.text
    labels = [[button.text for button in row] for row in reply.buttons]
    assert labels == [["main", "work", "home"], ["desk"], ["✖ Cancel"]]
    assert reply.buttons[0][1].callback == WatchAccount(account_id=2).pack()
    assert reply.buttons[-1][0].callback == CANCEL_CALLBACK


# -- /watch <chat> [account] ----------------------------------------------------------------------


def test_watch_takes_a_chat_and_optionally_an_account() -> None:
    assert parse_watch(" @news ", [MAIN, WORK]).account is None
    named = parse_watch("@news WORK", [MAIN, WORK])
    assert (named.reference, named.account) == ("@news", WORK)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ("", "Usage: /watch"),
        ("@news @talk", "one chat at a time"),
        ("@news -1001234", "one chat at a time"),  # a number is a chat, never an account
        ("@news 12345", "one chat at a time"),
        ("@news main extra", "one chat at a time"),
        ("@news home", "no account is labelled 'home' (accounts: main, work)"),
    ],
)
def test_watch_arguments_that_cannot_be_served(args: str, error: str) -> None:
    with pytest.raises(InvalidInputError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_watch(args, [MAIN, WORK])


def test_an_account_named_before_any_archiver_ran_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="none has run yet"):
        parse_watch("@news main", [])


def test_an_accounts_watch_task_has_its_own_dedup_key_and_names_the_account() -> None:
    target = account_watch_target("@news", 111, WORK)
    assert target.args == {"reference": "@news", "added_by": 111}
    assert (target.dedup_key, target.subject) == ("watch:2:@news", "@news · account work")
    assert account_watch_target("@news", 111, MAIN).dedup_key != target.dedup_key
    long = account_watch_target("https://t.me/+" + "x" * 200, 111, WORK)
    assert len(long.dedup_key) <= 120

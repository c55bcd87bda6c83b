"""The watch list (/chats, paged), the /watch account and /unwatch questions, and replies to
queued work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData

from bot.presenters.common import cancel_button
from bot.presenters.tasks import queued_reply, starting_reply
from bot.text import clip, esc, number
from bot.ui import Button, Reply, rows
from services.archiver.vault_refs import VaultChat
from services.archiver.watchlist import Account, WatchedChat, WatchPage
from services.tasks.queue import Task

TITLE_CHARS = 60
SUBJECT_CHARS = 200
STALE_CONFIRM = "This confirmation has expired; send /unwatch again."
STALE_WATCH_QUESTION = "This question has expired; send /watch again."
ACCOUNT_BUTTONS_PER_ROW = 3


class ChatsPage(CallbackData, prefix="ch1"):
    """``ch1:<offset>``: the /chats page starting at ``offset``."""

    offset: int


class WatchAccount(CallbackData, prefix="wa1"):
    """``wa1:<account id>``: this account watches the chat the question names."""

    account_id: int


class UnwatchConfirm(CallbackData, prefix="uw1"):
    """``uw1:<chat id>``: yes, stop archiving this chat."""

    chat_id: int


def chats_reply(page: WatchPage, page_size: int) -> Reply:
    if not page.total:
        return Reply(
            "<b>Watched chats</b>: none yet.\n"
            "Add one with /watch @username, a t.me link, an invite link or an id."
        )
    pages = -(-page.total // page_size)
    current = page.offset // page_size + 1
    lines = [f"<b>Watched chats</b> · {number(page.total)} · page {current} of {pages}"]
    several = page.accounts > 1  # with one account, which one archives a chat goes unsaid
    for index, chat in enumerate(page.chats, start=page.offset + 1):
        lines.append(chat_lines(index, chat, show_account=several))
    return Reply("\n\n".join(lines), rows(_pager(page, page_size)))


def chat_lines(index: int, chat: WatchedChat, *, show_account: bool = False) -> str:
    title = f"<b>{esc(clip(chat.title or 'untitled', TITLE_CHARS))}</b>"
    handle = f" · @{esc(chat.username)}" if chat.username else ""
    head = f"{index}. {title}{handle} · <code>{chat.chat_id}</code>"
    history = "complete" if chat.backfill_done else "in progress"
    detail = f"history: {number(chat.fetched)} fetched, {history}"
    if show_account:
        detail += f" · account: {esc(chat.account) if chat.account else 'any'}"
    policy = media_policy_text(chat.media_policy)
    return f"{head}\n{detail}" + (f" · media: {policy}" if policy else "")


def media_policy_text(policy: dict[str, Any] | None) -> str:
    """``photo, video ≤ 20 MB``; empty when the chat follows the global policy."""
    if not policy:
        return ""
    parts: list[str] = []
    types = policy.get("types")
    if types is not None:
        parts.append(esc(", ".join(str(kind) for kind in types)) if types else "none")
    if policy.get("max_size_mb") is not None:
        parts.append(f"≤ {number(int(policy['max_size_mb']))} MB")
    return " ".join(parts)


def _pager(page: WatchPage, page_size: int) -> list[Button]:
    buttons: list[Button] = []
    if page.offset > 0:
        previous = max(page.offset - page_size, 0)
        buttons.append(Button("◀ Prev", callback=ChatsPage(offset=previous).pack()))
    if page.offset + len(page.chats) < page.total:
        following = page.offset + page_size
        buttons.append(Button("Next ▶", callback=ChatsPage(offset=following).pack()))
    return buttons


def watch_account_question(reference: str, accounts: Sequence[Account]) -> Reply:
    """Several accounts: which one archives the chat (a button each, and cancel)."""
    text = (
        f"Which account should archive <b>{esc(clip(reference, SUBJECT_CHARS))}</b>?\n"
        "A private chat or basic group stays with the account that archives it.\n"
        "<i>Next time you can name it: /watch &lt;chat&gt; &lt;account&gt;</i>"
    )
    buttons = [
        Button(
            clip(account.label, TITLE_CHARS), callback=WatchAccount(account_id=account.id).pack()
        )
        for account in accounts
    ]
    lines = [
        buttons[i : i + ACCOUNT_BUTTONS_PER_ROW]
        for i in range(0, len(buttons), ACCOUNT_BUTTONS_PER_ROW)
    ]
    return Reply(text, rows(*lines, [cancel_button()]))


def unwatch_question(chat: VaultChat) -> Reply:
    text = (
        f"Stop archiving <b>{esc(clip(chat.label, SUBJECT_CHARS))}</b>?\n"
        "New messages will no longer be saved; what is archived stays."
    )
    confirm = Button("Unwatch", callback=UnwatchConfirm(chat_id=chat.id).pack())
    return Reply(text, rows([confirm, cancel_button()]))


def unwatched_reply(label: str) -> Reply:
    return Reply(f"🛑 Stopped archiving <b>{esc(clip(label, SUBJECT_CHARS))}</b>. /chats")


def queued_for(task: Task, subject: str, *, already: bool) -> Reply:
    """The queued reply, naming what the task works on (how the admin's words were read)."""
    return _about(queued_reply(task, already=already), subject)


def starting_for(kind: str, subject: str) -> Reply:
    """The progress message as first sent, before the task is queued."""
    return _about(starting_reply(kind), subject)


def _about(reply: Reply, subject: str) -> Reply:
    return Reply(f"{reply.text}\n<i>{esc(clip(subject, SUBJECT_CHARS))}</i>")

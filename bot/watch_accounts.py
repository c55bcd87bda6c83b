"""Which account watches a chat: ``/watch <chat> [account]``, or a question when the vault has
several accounts and the command names none.

Parsing is pure; the accounts come from the watch list (one per archiver that ever ran).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.chat_refs import (
    MAX_DEDUP_CHARS,
    WATCH_USAGE,
    TaskTarget,
    required,
    watch_reference,
    watch_target,
)
from core.errors import InvalidInputError
from services.archiver.watchlist import Account

ACCOUNT_WORD = re.compile(r"[a-z0-9_-]{1,32}")  # TELEGRAM_ACCOUNT's pattern
NUMBER = re.compile(r"-?\d+")  # a chat id, never taken for an account


@dataclass(frozen=True, slots=True)
class WatchRequest:
    """The chat as typed, and the account named after it (None: not named)."""

    reference: str
    account: Account | None = None


def parse_watch(args: str | None, accounts: Sequence[Account]) -> WatchRequest:
    """``<chat>`` or ``<chat> <account label>``; anything else is one chat too many."""
    words = required(args, WATCH_USAGE).split()
    if len(words) == 2:
        account = _account_named(words[1], accounts)
        if account is not None:
            return WatchRequest(words[0], account)
    return WatchRequest(watch_reference(args))  # one word, or "one chat at a time"


def _account_named(word: str, accounts: Sequence[Account]) -> Account | None:
    """The account labelled ``word``; an error for a word that can only mean an account but
    names none, and None for what looks like a second chat."""
    wanted = word.lower()
    for account in accounts:
        if account.label == wanted:
            return account
    if not ACCOUNT_WORD.fullmatch(wanted) or NUMBER.fullmatch(wanted):
        return None
    known = ", ".join(account.label for account in accounts) or "none has run yet"
    raise InvalidInputError(f"no account is labelled '{word}' (accounts: {known})")


def account_watch_target(reference: str, added_by: int, account: Account) -> TaskTarget:
    """The watch task for ``account``'s archiver: its own dedup key, the account named."""
    base = watch_target(reference, added_by)
    dedup = f"watch:{account.id}:{reference}"[:MAX_DEDUP_CHARS]
    return TaskTarget(base.args, dedup, f"{reference} · account {account.label}")

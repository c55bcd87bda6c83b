"""Failure reasons: Telegram's own words for its errors, short words for the rest."""

from __future__ import annotations

import pytest
from telethon import errors
from telethon.tl import functions, types

from core.errors import InvalidInputError, NotFoundError
from services.enrichment.reasons import MAX_REASON_CHARS, failure_reason

REQUEST = functions.users.GetFullUserRequest(types.InputUserSelf())


def rpc(code: int, message: str) -> BaseException:
    error: BaseException = errors.rpc_message_to_error(types.RpcError(code, message), REQUEST)
    return error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (rpc(400, "USER_ID_INVALID"), "USER_ID_INVALID"),
        (rpc(420, "FLOOD_WAIT_30"), "FLOOD_WAIT"),
        (rpc(400, "CHANNEL_PRIVATE"), "CHANNEL_PRIVATE"),
        (rpc(400, "SOMETHING_NEW_FROM_TELEGRAM"), "SOMETHING_NEW_FROM_TELEGRAM"),
        (rpc(500, "WEIRD_INTERNAL"), "WEIRD_INTERNAL"),
        (TimeoutError(), "timeout"),
        (NotFoundError("user 5 is unknown to this account (no access hash)"), "not found"),
        (InvalidInputError("bad input"), "bad input"),
        (ConnectionResetError("reset by peer"), "ConnectionResetError"),
    ],
)
def test_reasons_name_what_went_wrong(error: BaseException, reason: str) -> None:
    assert failure_reason(error) == reason


def test_a_long_message_is_clipped() -> None:
    reason = failure_reason(InvalidInputError("x" * 500))
    assert len(reason) == MAX_REASON_CHARS and reason.endswith("…")

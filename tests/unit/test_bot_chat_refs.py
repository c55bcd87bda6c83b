"""What admins type after /watch and /backfill, parsed (no vault needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chat_refs import BackfillRequest, parse_backfill, watch_reference, watch_target
from core.errors import InvalidInputError

MADRID = ZoneInfo("Europe/Madrid")
TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("@talk", BackfillRequest("@talk")),
        ("-1001234567890", BackfillRequest("-1001234567890")),
        ("@talk 500", BackfillRequest("@talk", limit=500)),
        ("Traders club limit 20", BackfillRequest("Traders club", limit=20)),
        ("Traders club LIMIT 20", BackfillRequest("Traders club", limit=20)),
        (
            "@talk since 2024-05-01",
            BackfillRequest("@talk", since=datetime(2024, 4, 30, 22, 0, tzinfo=UTC)),
        ),
    ],
)
def test_backfill_arguments(args: str, expected: BackfillRequest) -> None:
    parsed = parse_backfill(args, MADRID, TODAY)
    assert (parsed.chat, parsed.limit) == (expected.chat, expected.limit)
    assert parsed.since == expected.since  # aware datetimes compare as instants


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (None, "Usage: /backfill <chat>"),
        ("   ", "Usage: /backfill <chat>"),
        ("limit 20", "which chat?"),
        ("since 2024-01-01", "which chat?"),
        ("@talk limit", "'limit' needs a number"),
        ("@talk since", "'since' needs a date (YYYY-MM-DD)"),
        ("@talk limit many", "not 'many'"),
        ("@talk limit 0", "at least 1 message"),
        ("@talk since 01/05/2024", "'01/05/2024' is not a date: write it as YYYY-MM-DD"),
        ("@talk since 2024-02-30", "is not a date"),
        ("@talk since 2025-06-02", "2025-06-02 is in the future"),
    ],
)
def test_bad_backfill_arguments_are_explained(args: str | None, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_backfill(args, MADRID, TODAY)


def test_watch_takes_one_reference_and_dedups_on_it() -> None:
    assert watch_reference("  @talk ") == "@talk"
    with pytest.raises(InvalidInputError, match="Usage: /watch"):
        watch_reference("")
    with pytest.raises(InvalidInputError, match="one chat at a time"):
        watch_reference("@talk @news")
    target = watch_target("https://t.me/+" + "x" * 200, 111)
    assert target.args == {"reference": "https://t.me/+" + "x" * 200, "added_by": 111}
    assert len(target.dedup_key) <= 128

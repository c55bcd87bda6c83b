"""The SQLite fast path writes the same columns, in the same form, as the SQLAlchemy path."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

from core.db.repos.messages import message_row
from core.db.sqlite_bulk import (
    MESSAGE_COLUMNS,
    PreparedMessages,
    message_rows,
    message_values,
    prepare,
    sqlite_datetime,
)
from core.domain.messages import ArchivedMessage
from core.text import fold
from tests import factories as f


def test_every_message_field_is_stored() -> None:
    assert set(MESSAGE_COLUMNS) == {field.name for field in fields(ArchivedMessage)}


def test_values_match_the_row_the_orm_path_builds() -> None:
    message = f.message(
        3, entities=({"type": "bold", "offset": 0, "length": 2},), action_data={"a": 1},
        fwd_date=f.at(2), edit_date=f.at(9),
    )  # fmt: skip
    row = message_row(message)
    values = dict(zip(MESSAGE_COLUMNS, message_values(message), strict=True))
    for name, value in row.items():
        if isinstance(value, datetime):
            assert values[name] == sqlite_datetime(value)
        elif name in {"entities", "action_data"} and value is not None:
            assert json.loads(values[name]) == value
        else:
            assert values[name] == value


def test_datetimes_are_stored_in_utc_with_microseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert (
        sqlite_datetime(datetime(2025, 1, 1, 2, 0, tzinfo=plus_two)) == "2025-01-01 00:00:00.000000"
    )
    assert sqlite_datetime(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01 00:00:00.000000"


def test_datetimes_are_stored_in_sqlalchemys_form_for_every_year() -> None:
    # SQLAlchemy pads the year to four digits; strftime("%Y") would not.
    assert (
        sqlite_datetime(datetime(5, 3, 1, 1, 1, 1, 5, tzinfo=UTC)) == "0005-03-01 01:01:01.000005"
    )


def test_rows_built_a_column_at_a_time_equal_the_row_by_row_values() -> None:
    plus_two = timezone(timedelta(hours=2))
    batch = [
        f.message(1, entities=({"type": "bold", "offset": 0, "length": 2},), edit_date=f.at(9)),
        f.message(2, action_data={"a": [1, "ñ"]}, fwd_date=datetime(2024, 5, 1, tzinfo=plus_two)),
        f.message(3),
    ]
    rows = message_rows(range(7, 10), batch, "extra")
    assert rows == [(7 + i, *message_values(m), "extra") for i, m in enumerate(batch)]
    assert rows[1][MESSAGE_COLUMNS.index("fwd_date") + 1] == "2024-04-30 22:00:00.000000"


def test_prepared_messages_give_the_rows_and_folded_texts_built_at_the_write() -> None:
    batch = [
        f.message(
            1, text="Árbol en BOGOTÁ", entities=({"type": "bold", "offset": 0, "length": 5},)
        ),
        f.message(2, text="", edit_date=f.at(4)),
        f.message(3, text="東京 会議"),
    ]
    prepared = PreparedMessages(batch, *prepare(batch))
    ids = range(10, 13)
    assert prepared.rows(ids, batch, "stamp") == message_rows(ids, batch, "stamp")
    assert prepared.folded(batch) == [fold(m.text) for m in batch]


def test_a_message_replaced_after_preparing_is_converted_again() -> None:
    batch = [f.message(1, text="antes"), f.message(2, text="uno\x00dos")]
    prepared = PreparedMessages(batch, *prepare(batch))
    replaced = replace(batch[1], text="uno\ufffddos")  # as the write path drops a NUL
    written = [batch[0], replaced]
    assert prepared.rows([5, 6], written) == message_rows([5, 6], written)
    assert prepared.folded(written) == ["antes", fold("uno\ufffddos")]

"""The SQLite fast path writes the same columns, in the same form, as the SQLAlchemy path."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

from core.db.repos.messages import message_row
from core.db.sqlite_bulk import (
    MESSAGE_COLUMNS,
    CompactRow,
    PreparedMessages,
    compact,
    compact_rows,
    message_values,
    prepare,
    rows_by_shape,
    sqlite_datetime,
)
from core.db.tables import messages
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


def _expanded(row: CompactRow) -> tuple[object, ...]:
    """The full ``message_values`` a compact row stands for."""
    shape, values = row
    kept = iter(values)
    return tuple(next(kept) if present else None for present in shape)


def test_rows_built_a_column_at_a_time_equal_the_row_by_row_values() -> None:
    plus_two = timezone(timedelta(hours=2))
    batch = [
        f.message(1, entities=({"type": "bold", "offset": 0, "length": 2},), edit_date=f.at(9)),
        f.message(2, action_data={"a": [1, "ñ"]}, fwd_date=datetime(2024, 5, 1, tzinfo=plus_two)),
        f.message(3),
    ]
    rows = compact_rows(batch)
    assert [_expanded(row) for row in rows] == [message_values(m) for m in batch]
    fwd_date = MESSAGE_COLUMNS.index("fwd_date")
    assert _expanded(rows[1])[fwd_date] == "2024-04-30 22:00:00.000000"


def test_a_compact_row_keeps_every_value_but_none() -> None:
    values = (1, None, 0, "", None, False, "x")
    assert compact(values) == (bytes((1, 0, 1, 1, 0, 1, 1)), (1, 0, "", False, "x"))


def test_rows_of_one_shape_share_a_statement() -> None:
    batch = [f.message(1), f.message(2, edit_date=f.at(9)), f.message(3)]
    groups = rows_by_shape(range(7, 10), compact_rows(batch), "stamp")
    plain, edited = (compact(message_values(m))[0] for m in batch[:2])
    assert list(groups) == [plain, edited]
    assert [row[0] for row in groups[plain]] == [7, 9]
    assert groups[edited] == [(8, *compact(message_values(batch[1]))[1], "stamp")]


def test_columns_that_may_be_left_out_default_to_null() -> None:
    # A compact row leaves its NULLs out of the insert: the column's default must be NULL,
    # unless the column refuses NULL anyway (then None was never a valid value).
    for name in MESSAGE_COLUMNS:
        column = messages.c[name]
        assert column.server_default is None or not column.nullable, name


def test_prepared_messages_give_the_rows_and_folded_texts_built_at_the_write() -> None:
    batch = [
        f.message(
            1, text="Árbol en BOGOTÁ", entities=({"type": "bold", "offset": 0, "length": 5},)
        ),
        f.message(2, text="", edit_date=f.at(4)),
        f.message(3, text="東京 会議"),
    ]
    prepared = PreparedMessages(batch, *prepare(batch))
    assert prepared.rows(batch) == compact_rows(batch)
    assert prepared.folded(batch) == [fold(m.text) for m in batch]


def test_a_message_replaced_after_preparing_is_converted_again() -> None:
    batch = [f.message(1, text="antes"), f.message(2, text="uno\x00dos")]
    prepared = PreparedMessages(batch, *prepare(batch))
    replaced = replace(batch[1], text="uno\ufffddos")  # as the write path drops a NUL
    written = [batch[0], replaced]
    assert prepared.rows(written) == compact_rows(written)
    assert prepared.folded(written) == ["antes", fold("uno\ufffddos")]

"""PostgreSQL's fast insert sends every message column, converted as the column types convert."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime

import pytest

from core.db.postgres_bulk import INSERT_MESSAGES, INSERT_SCANNED_MESSAGES, column_arrays
from core.db.repos.messages import message_row
from core.domain.messages import ArchivedMessage
from tests import factories as f


def test_every_message_field_is_an_array_of_the_statement() -> None:
    names = {field.name for field in fields(ArchivedMessage)}
    assert set(INSERT_MESSAGES.compile().params) == names
    assert set(INSERT_SCANNED_MESSAGES.compile().params) == names | {"scanned_at"}
    assert set(column_arrays([f.message(1)])) == names


def test_arrays_hold_the_values_the_core_insert_binds() -> None:
    batch = [
        f.message(1, entities=({"type": "bold", "offset": 0, "length": 2},), action_data={"a": 1}),
        f.message(2, fwd_date=f.at(3), edit_date=f.at(9), views=7),
    ]
    arrays = column_arrays(batch)
    for index, message in enumerate(batch):
        for name, value in message_row(message).items():
            sent = arrays[name][index]
            if name in {"entities", "action_data"}:  # SQLAlchemy's JSON type: None is JSON null
                assert json.loads(sent) == value
            else:
                assert sent == value


def test_a_naive_datetime_is_refused() -> None:
    naive = f.message(1, edit_date=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="naive datetime"):
        column_arrays([naive])

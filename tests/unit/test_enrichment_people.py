"""How admins name a person to watch: an id, a @username or a t.me link."""

from __future__ import annotations

import pytest

from core.errors import InvalidInputError
from services.enrichment.people import parse_user_ref


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        (42, 42),
        ("42", 42),
        (" 42 ", 42),
        ("@ana_garcia", "ana_garcia"),
        ("ana_garcia", "ana_garcia"),
        ("t.me/ana_garcia", "ana_garcia"),
        ("https://t.me/Ana_Garcia", "Ana_Garcia"),
    ],
)
def test_people_are_named_by_id_username_or_link(ref: str | int, parsed: int | str) -> None:
    assert parse_user_ref(ref) == parsed


@pytest.mark.parametrize("ref", [0, -5, "-1001", "", "@", "two words", "@a", True, "t.me/+abc"])
def test_anything_else_is_refused_with_a_hint(ref: str | int) -> None:
    with pytest.raises(InvalidInputError):
        parse_user_ref(ref)

"""A page's chats and users, reduced to one upsert per entity unless it changed in the page."""

from __future__ import annotations

from dataclasses import replace

from services.ingest.entities import upsert_rounds
from tests import factories as f


def test_copies_of_the_same_entities_are_upserted_once_each_in_page_order() -> None:
    ana, bob = f.user(1), f.user(2, first_name="Bob")
    copies = [ana, bob, replace(ana), ana, replace(bob), ana] * 100
    assert upsert_rounds(copies) == [[ana, bob]]


def test_a_change_within_the_page_gets_its_own_round_so_history_keeps_each_step() -> None:
    before, after = f.chat(-5, title="Old"), f.chat(-5, title="New")
    other = f.chat(-6)
    copies = [before, other, before, after, other, after, before]
    assert upsert_rounds(copies) == [[before, other], [after], [before]]


def test_a_copy_that_knows_less_changes_nothing() -> None:
    full = f.user(1, username="ana", phone="+341")
    partial = replace(full, username=None, phone=None)  # None is unknown, not empty
    more = replace(full, bio="hola")
    assert upsert_rounds([full, partial, full, partial, more, partial]) == [[full], [more]]


def test_an_unknown_field_learned_later_is_news() -> None:
    first = f.user(1, username=None)
    named = replace(first, username="ana")
    assert upsert_rounds([first, named]) == [[first], [named]]


def test_nothing_in_nothing_out() -> None:
    assert upsert_rounds([]) == []

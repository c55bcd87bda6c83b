"""Chats and users become the records the versioned upsert compares, field for field."""

from __future__ import annotations

from dataclasses import asdict

from core.db.repos.entities import CHAT_FIELDS, USER_FIELDS, entity_record
from tests import factories as f


def test_records_are_the_dataclass_fields() -> None:
    person = f.user(5, phone="+34 600", is_bot=True, photo_id=9)
    chat = f.chat(-100, about="about", is_forum=False, participants_count=3)
    assert entity_record(person, USER_FIELDS) == asdict(person)
    assert entity_record(chat, CHAT_FIELDS) == asdict(chat)

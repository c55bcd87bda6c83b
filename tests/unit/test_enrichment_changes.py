"""Removals a full profile reveals, which changes deserve an alert, and the alert itself."""

from __future__ import annotations

from datetime import UTC, datetime

from core.domain.profiles import FullProfile, ProfileChange
from services.enrichment.changes import (
    alert_rows,
    alert_text,
    describe,
    noteworthy,
    removed_fields,
)

AT = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
STORED = {"last_name": "García", "username": "ana", "bio": "Hola", "photo_id": 55, "phone": "34"}


def test_a_full_profile_without_a_value_removes_it_but_a_hidden_phone_stays() -> None:
    profile = FullProfile(id=1, first_name="Ana", last_name="García")
    assert removed_fields(STORED, profile) == ("username", "bio", "photo_id")
    assert removed_fields(None, profile) == ()


def test_a_deleted_account_keeps_its_last_known_names() -> None:
    profile = FullProfile(id=1, is_deleted=True)
    assert removed_fields(STORED, profile) == ()
    info = profile.as_user_info()
    assert (info.first_name, info.username, info.bio, info.photo_id, info.is_deleted) == (
        None, None, None, None, True,
    )  # fmt: skip


def test_values_learned_on_a_first_refresh_are_not_changes() -> None:
    learned = ProfileChange("bio", None, "Hola")
    renamed = ProfileChange("first_name", "Ana", "Anna")
    assert noteworthy([learned, renamed], enriched_before=False) == [renamed]
    assert noteworthy([learned, renamed], enriched_before=True) == [learned, renamed]


def test_changes_read_as_plain_words() -> None:
    assert describe(ProfileChange("first_name", "Ana", "Anna")) == 'first name: "Ana" → "Anna"'
    assert describe(ProfileChange("username", "ana", None)) == "username: @ana → (none)"
    assert describe(ProfileChange("photo_id", None, "7")) == "photo: added"
    assert describe(ProfileChange("photo_id", "6", "7")) == "photo: changed"
    assert describe(ProfileChange("photo_id", "6", None)) == "photo: removed"
    assert describe(ProfileChange("is_deleted", "False", "True")) == "account: deleted"
    long_bio = describe(ProfileChange("bio", None, "x" * 200))
    assert long_bio.endswith('…"') and len(long_bio) < 80


def test_one_alert_per_admin_with_a_key_unique_to_the_refresh() -> None:
    profile = FullProfile(id=42, first_name="Anna", last_name="García", username="ana")
    changes = [ProfileChange("first_name", "Ana", "Anna")]
    rows = alert_rows(profile, changes, [111, 222, 111], AT)
    assert [r["recipient_chat_id"] for r in rows] == [111, 222]
    assert [r["dedup_key"] for r in rows] == [
        "user_change:42:20260301T123005123456:111",
        "user_change:42:20260301T123005123456:222",
    ]
    assert rows[0]["payload"] == {
        "user_id": 42,
        "changes": [{"field": "first_name", "old": "Ana", "new": "Anna"}],
        "text": 'Anna García (@ana, id 42) changed their profile:\n• first name: "Ana" → "Anna"',
    }
    assert all(len(r["dedup_key"]) <= 128 and r["kind"] == "user_change" for r in rows)


def test_a_deleted_account_is_named_by_its_id() -> None:
    text = alert_text(
        FullProfile(id=9, is_deleted=True), [ProfileChange("is_deleted", "False", "True")]
    )
    assert text == "Deleted account (id 9) changed their profile:\n• account: deleted"

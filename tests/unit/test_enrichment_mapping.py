"""users.UserFull from Telegram -> FullProfile: flags, bio, photo, collectible usernames."""

from __future__ import annotations

from telethon.tl import types

from services.archiver.telethon_adapter.profile_mapping import full_profile


def _full(about: str | None = None, common: int = 0) -> types.UserFull:
    return types.UserFull(
        id=5, settings=types.PeerSettings(), notify_settings=types.PeerNotifySettings(),
        common_chats_count=common, about=about,
    )  # fmt: skip


def test_a_profile_carries_its_flags_bio_photo_and_common_chats() -> None:
    user = types.User(
        id=5, access_hash=99, first_name="Ana", last_name="García", username="ana",
        phone="34600", bot=True, premium=True, verified=True, scam=True, fake=True,
        lang_code="es", photo=types.UserProfilePhoto(photo_id=777, dc_id=4),
    )  # fmt: skip
    profile = full_profile(user, _full("Periodista", common=3))
    assert (profile.id, profile.first_name, profile.last_name, profile.username) == (
        5, "Ana", "García", "ana",
    )  # fmt: skip
    assert (profile.is_bot, profile.is_premium, profile.is_verified) == (True, True, True)
    assert (profile.is_scam, profile.is_fake, profile.is_deleted) == (True, True, False)
    assert (profile.bio, profile.common_chats_count) == ("Periodista", 3)
    assert (profile.photo_id, profile.photo_dc_id, profile.access_hash) == (777, 4, 99)
    assert (profile.phone, profile.lang_code) == ("34600", "es")


def test_empty_values_are_known_to_be_empty() -> None:
    user = types.User(
        id=5, access_hash=1, first_name="Ana", photo=types.UserProfilePhotoEmpty(),
        usernames=[types.Username("old_one", active=False), types.Username("ana_nft", active=True)],
    )  # fmt: skip
    profile = full_profile(user, _full(about=""))
    assert (profile.bio, profile.photo_id, profile.last_name) == (None, None, None)
    assert profile.username == "ana_nft"  # a collectible username, when the plain one is unset


def test_a_deleted_account_is_marked() -> None:
    profile = full_profile(types.User(id=5, access_hash=1, deleted=True), _full())
    assert (profile.is_deleted, profile.first_name, profile.username) == (True, None, None)

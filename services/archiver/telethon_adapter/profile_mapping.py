"""users.UserFull (a User plus its UserFull) -> the domain's FullProfile."""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from core.domain.profiles import FullProfile
from services.archiver.telethon_adapter.entities import marked_id


def full_profile(user: types.User, full: Any) -> FullProfile:
    """The profile as Telegram shows it now; an empty bio is None, like a missing photo."""
    photo = shown_photo(user)
    return FullProfile(
        id=marked_id(user),
        first_name=user.first_name or None,
        last_name=user.last_name or None,
        username=_username(user),
        phone=user.phone or None,
        lang_code=user.lang_code,
        bio=full.about or None,
        is_bot=bool(user.bot),
        is_premium=bool(user.premium),
        is_verified=bool(user.verified),
        is_scam=bool(user.scam),
        is_fake=bool(user.fake),
        is_deleted=bool(user.deleted),
        access_hash=user.access_hash,
        photo_id=int(photo.photo_id) if photo is not None else None,
        photo_dc_id=int(photo.dc_id) if photo is not None else None,
        common_chats_count=full.common_chats_count,
    )


def shown_photo(user: Any) -> types.UserProfilePhoto | None:
    """The profile photo a user shows (what download_profile_photo downloads), if any."""
    photo = getattr(user, "photo", None)
    return photo if isinstance(photo, types.UserProfilePhoto) else None


def _username(user: types.User) -> str | None:
    if user.username:
        return str(user.username)
    # Accounts with several (collectible) usernames list them in ``usernames`` instead.
    active = [u.username for u in user.usernames or () if u.active]
    return str(active[0]) if active else None

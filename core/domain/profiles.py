"""A person's full profile as Telegram shows it (bio, flags, common chats) and its changes."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.messages import UserInfo


@dataclass(frozen=True, slots=True)
class FullProfile:
    """What users.getFullUser tells about one account.

    Unlike UserInfo, a ``None`` here is known to be empty (no bio, no username, no photo),
    except ``phone``, which Telegram only shows to contacts.
    """

    id: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    lang_code: str | None = None
    bio: str | None = None
    is_bot: bool = False
    is_premium: bool = False
    is_verified: bool = False
    is_scam: bool = False
    is_fake: bool = False
    is_deleted: bool = False
    access_hash: int | None = None
    photo_id: int | None = None
    photo_dc_id: int | None = None
    common_chats_count: int | None = None

    def as_user_info(self) -> UserInfo:
        """The profile as the users table takes it (a deleted account keeps its old names)."""
        named = not self.is_deleted
        return UserInfo(
            id=self.id,
            first_name=self.first_name if named else None,
            last_name=self.last_name if named else None,
            username=self.username if named else None,
            phone=self.phone,
            bio=self.bio if named else None,
            lang_code=self.lang_code,
            is_bot=self.is_bot,
            is_premium=self.is_premium,
            is_verified=self.is_verified,
            is_scam=self.is_scam,
            is_fake=self.is_fake,
            is_deleted=self.is_deleted,
            access_hash=self.access_hash,
            photo_id=self.photo_id if named else None,
        )


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """One field of a profile that changed: the values as the history table stores them."""

    field: str
    old: str | None
    new: str | None

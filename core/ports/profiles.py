"""What profile enrichment needs from a Telegram user session; the Telethon adapter provides it.

Errors are Telegram's own (categorized by APIRetryWrapper: USER_ID_INVALID is permanent, a
FloodWait a rate limit), TimeoutError when a call outlived USER_ENRICHMENT_TIMEOUT, core's
NotFoundError for a user this account cannot address, and ConfigurationError for a dead session.
"""

from __future__ import annotations

from typing import Final, Protocol

from core.domain.profiles import FullProfile

# The operation names APIRetryWrapper records flood waits under, so enrichment can respect them.
FULL_USER_OPERATION: Final = "users.GetFullUser"
PROFILE_PHOTO_OPERATION: Final = "upload.GetFile"


class ProfileSource(Protocol):
    """Full profiles and profile photos of the people the vault knows."""

    async def full_user(self, user_id: int) -> FullProfile:
        """The user's full profile, now."""
        ...

    async def profile_photo(self, user_id: int, photo_id: int) -> bytes | None:
        """The bytes of that profile photo; None when the user no longer shows it."""
        ...

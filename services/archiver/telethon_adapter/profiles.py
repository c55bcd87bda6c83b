"""ProfileSource over Telethon: users.getFullUser and profile photo downloads.

Every attempt is bounded by the enrichment timeout and retried through APIRetryWrapper as often
as enrichment allows (USER_ENRICHMENT_MAX_RETRIES, not the archive's retry count), with the
flood-wait handling of TelegramCalls.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

from telethon import TelegramClient, utils
from telethon.tl import functions, types

from core.api_retry_wrapper import APIRetryWrapper
from core.domain.profiles import FullProfile
from core.errors import NotFoundError
from core.ports.profiles import FULL_USER_OPERATION, PROFILE_PHOTO_OPERATION
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.peers import AccessHashLookup
from services.archiver.telethon_adapter.profile_mapping import full_profile, shown_photo
from services.archiver.telethon_adapter.session_errors import translated_session_errors

T = TypeVar("T")
REMEMBERED_USERS: Final = 256  # users whose photo may be asked for right after their profile


class TimedCalls(TelegramCalls):
    """TelegramCalls with a time limit per attempt and a number of attempts of its own."""

    def __init__(
        self, client: TelegramClient, retry: APIRetryWrapper, *, timeout: float, attempts: int
    ) -> None:
        super().__init__(client, retry)
        self._timeout = timeout
        self._attempts = attempts

    async def run(self, call: Callable[[], Awaitable[T]], request: Any, operation: str) -> T:
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                self._forget_flood_wait(request)
            async with asyncio.timeout(self._timeout):
                return await call()

        result = await self.retry.execute_with_custom_retry(
            attempt, max_attempts=self._attempts, operation_name=operation
        )
        with translated_session_errors():
            return result.unwrap()


class TelethonProfiles:
    """ProfileSource for one account. ``access_hashes`` supplies the hash the vault stored
    for a user this session has not met yet (a fresh session string)."""

    def __init__(
        self,
        client: TelegramClient,
        retry: APIRetryWrapper,
        *,
        timeout: float,
        max_retries: int,
        access_hashes: AccessHashLookup | None = None,
    ) -> None:
        self._calls = TimedCalls(client, retry, timeout=timeout, attempts=max_retries + 1)
        self._access_hashes = access_hashes
        self._seen: OrderedDict[int, types.User] = OrderedDict()

    async def full_user(self, user_id: int) -> FullProfile:
        request = functions.users.GetFullUserRequest(await self._input_user(user_id))
        result = await self._calls.invoke(request, FULL_USER_OPERATION)
        user = _user_in(result.users, user_id)
        if user is None:
            raise NotFoundError(f"Telegram returned no profile for user {user_id}")
        self._remember(user)
        return full_profile(user, result.full_user)

    async def profile_photo(self, user_id: int, photo_id: int) -> bytes | None:
        user = self._seen.get(user_id)
        if user is None or _photo_id(user) != photo_id:
            user = await self._current_user(user_id)
        if user is None or _photo_id(user) != photo_id:
            return None  # the user shows another photo (or none) by now
        client, shown = self._calls.client, user
        data = await self._calls.run(
            lambda: client.download_profile_photo(shown, file=bytes),
            functions.upload.GetFileRequest,
            PROFILE_PHOTO_OPERATION,
        )
        return bytes(data) if data else None

    async def _input_user(self, user_id: int) -> types.InputUser:
        session = self._calls.client.session
        try:
            peer = await utils.maybe_async(session.get_input_entity(types.PeerUser(user_id)))
        except ValueError:
            peer = None
        if isinstance(peer, types.InputPeerUser):
            return types.InputUser(peer.user_id, peer.access_hash)
        access_hash = await self._access_hashes(user_id) if self._access_hashes else None
        if access_hash is None:
            raise NotFoundError(f"user {user_id} is unknown to this account (no access hash)")
        return types.InputUser(user_id, access_hash)

    async def _current_user(self, user_id: int) -> types.User | None:
        request = functions.users.GetUsersRequest([await self._input_user(user_id)])
        user = _user_in(await self._calls.invoke(request, "users.GetUsers"), user_id)
        if user is not None:
            self._remember(user)
        return user

    def _remember(self, user: types.User) -> None:
        self._seen[user.id] = user
        self._seen.move_to_end(user.id)
        while len(self._seen) > REMEMBERED_USERS:
            self._seen.popitem(last=False)


def _user_in(users: Sequence[Any], user_id: int) -> types.User | None:
    return next((u for u in users if isinstance(u, types.User) and u.id == user_id), None)


def _photo_id(user: types.User) -> int | None:
    photo = shown_photo(user)
    return int(photo.photo_id) if photo is not None else None

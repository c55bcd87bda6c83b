"""Full profiles and profile photos as Telegram serves them: users.getFullUser, and upload.getFile
for a peer's photo (the location client.download_profile_photo asks for). Registered on
TelegramServer next to its own handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import TLObject, TLRequest, functions, types

from tests.fakes.telegram.faults import rpc_error
from tests.fakes.telegram.specs import FakeUser

if TYPE_CHECKING:
    from tests.fakes.telegram.server import TelegramServer


def full_user(
    server: TelegramServer, request: functions.users.GetFullUserRequest, dc_id: int
) -> TLObject:
    user = _user(server, request, request.id, "USER_ID_INVALID")
    photo = server.world.files.get(user.photo_id) if user.photo_id else None
    full = types.UserFull(
        id=user.id,
        settings=types.PeerSettings(),
        notify_settings=types.PeerNotifySettings(),
        common_chats_count=user.common_chats_count,
        about=user.bio,
        profile_photo=photo.to_media().photo if photo is not None else None,
    )
    return types.users.UserFull(full_user=full, chats=[], users=[user.to_tl()])


def profile_photo_part(
    server: TelegramServer, request: functions.upload.GetFileRequest, dc_id: int
) -> TLObject:
    """One part of the photo a user shows; an old photo id is refused like Telegram does."""
    from tests.fakes.telegram.server import _check_range  # the server imports this module

    location = request.location
    user = _user(server, request, location.peer, "PEER_ID_INVALID")
    file = server.world.files.get(location.photo_id)
    if file is None or user.photo_id != location.photo_id:
        raise rpc_error(request, 400, "LOCATION_INVALID")
    if file.dc_id != dc_id:
        raise rpc_error(request, 303, f"FILE_MIGRATE_{file.dc_id}")
    _check_range(request)
    chunk = file.data[request.offset : request.offset + request.limit]
    return types.upload.File(type=types.storage.FileJpeg(), mtime=0, bytes=chunk)


def _user(server: TelegramServer, request: TLRequest, wanted: Any, error: str) -> FakeUser:
    if isinstance(wanted, types.InputUserSelf | types.InputPeerSelf):
        return server.world.me
    user = server.world.users.get(getattr(wanted, "user_id", 0))
    if user is None or user.access_hash != getattr(wanted, "access_hash", None):
        raise rpc_error(request, 400, error)
    return user


PROFILE_HANDLERS: dict[type[TLRequest], Any] = {
    functions.users.GetFullUserRequest: full_user,
}

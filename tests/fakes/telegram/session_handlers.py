"""What a connected session asks besides history: the config, update state and differences, and
invite links (check, join). Registered on TelegramServer next to its own handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telethon.tl import TLObject, TLRequest, functions, types

from tests.fakes.telegram.faults import rpc_error
from tests.fakes.telegram.specs import FakeChat
from tests.fakes.telegram.world import FakeInvite

if TYPE_CHECKING:
    from tests.fakes.telegram.server import TelegramServer

LOCAL_DCS = (1, 2, 3, 4, 5)


def get_config(server: TelegramServer, request: Any, dc_id: int) -> TLObject:
    """Just enough of help.getConfig: every DC answers on 127.0.0.1 (the fake sender)."""
    now = datetime.now(UTC).replace(microsecond=0)
    options = [types.DcOption(id=dc, ip_address="127.0.0.1", port=443) for dc in LOCAL_DCS]
    numbers = dict.fromkeys(
        ("chat_size_max", "megagroup_size_max", "forwarded_count_max", "online_update_period_ms",
         "offline_blur_timeout_ms", "offline_idle_timeout_ms", "online_cloud_timeout_ms",
         "notify_cloud_delay_ms", "notify_default_delay_ms", "push_chat_period_ms",
         "push_chat_limit", "edit_time_limit", "revoke_time_limit", "revoke_pm_time_limit",
         "rating_e_decay", "stickers_recent_limit", "channels_read_media_period",
         "call_receive_timeout_ms", "call_ring_timeout_ms", "call_connect_timeout_ms",
         "call_packet_timeout_ms", "caption_length_max", "message_length_max", "webfile_dc_id"),
        1,
    )  # fmt: skip
    return types.Config(
        date=now, expires=now + timedelta(hours=1), test_mode=False, this_dc=dc_id,
        dc_options=options, dc_txt_domain_name="localhost", me_url_prefix="https://t.me/",
        **numbers,
    )  # fmt: skip


def get_state(server: TelegramServer, request: Any, dc_id: int) -> TLObject:
    return server.world.live.state()


def get_difference(
    server: TelegramServer, request: functions.updates.GetDifferenceRequest, dc_id: int
) -> TLObject:
    return server.world.live.difference(request.pts)


def get_channel_difference(
    server: TelegramServer, request: functions.updates.GetChannelDifferenceRequest, dc_id: int
) -> TLObject:
    chat = server._peer(request, request.channel)
    assert isinstance(chat, FakeChat)
    return server.world.live.channel_difference(chat, request.pts)


def _invite(server: TelegramServer, request: TLRequest, invite_hash: str) -> FakeInvite:
    invite = server.world.invites.get(invite_hash)
    if invite is None:
        raise rpc_error(request, 400, "INVITE_HASH_INVALID")
    if invite.expired:
        raise rpc_error(request, 400, "INVITE_HASH_EXPIRED")
    return invite


def check_chat_invite(
    server: TelegramServer, request: functions.messages.CheckChatInviteRequest, dc_id: int
) -> TLObject:
    invite = _invite(server, request, request.hash)
    chat = invite.chat
    if chat.member:
        return types.ChatInviteAlready(chat=chat.to_tl())
    return types.ChatInvite(
        title=chat.title, photo=types.PhotoEmpty(id=0), participants_count=chat.participants_count,
        color=0, channel=chat.is_channel or None, broadcast=chat.kind == "channel" or None,
        megagroup=chat.kind == "supergroup" or None, request_needed=invite.request_needed or None,
    )  # fmt: skip


def import_chat_invite(
    server: TelegramServer, request: functions.messages.ImportChatInviteRequest, dc_id: int
) -> TLObject:
    invite = _invite(server, request, request.hash)
    chat = invite.chat
    if chat.member:
        raise rpc_error(request, 400, "USER_ALREADY_PARTICIPANT")
    if invite.request_needed:
        raise rpc_error(request, 400, "INVITE_REQUEST_SENT")
    server.world.join(chat)
    now = datetime.now(UTC).replace(microsecond=0)
    return types.Updates(updates=[], users=[], chats=[chat.to_tl()], date=now, seq=0)


SESSION_HANDLERS: dict[type[TLRequest], Any] = {
    functions.help.GetConfigRequest: get_config,
    functions.updates.GetStateRequest: get_state,
    functions.updates.GetDifferenceRequest: get_difference,
    functions.updates.GetChannelDifferenceRequest: get_channel_difference,
    functions.messages.CheckChatInviteRequest: check_chat_invite,
    functions.messages.ImportChatInviteRequest: import_chat_invite,
}

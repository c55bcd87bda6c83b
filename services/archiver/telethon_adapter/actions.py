"""Service-message actions -> (name, JSON-able data), named as Telegram Desktop exports name them.

Sharing the export's vocabulary means a chat imported from an export and the same chat backfilled
from Telegram describe their service messages alike. Tables are keyed by TL class *names*, so a
layer that drops or adds an action degrades to a generic snake_case name instead of breaking.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telethon.tl import types

from services.archiver.telethon_adapter.entities import marked_id

ACTION_NAMES: dict[str, str] = {
    "MessageActionChatCreate": "create_group",
    "MessageActionChatEditTitle": "edit_group_title",
    "MessageActionChatEditPhoto": "edit_group_photo",
    "MessageActionChatDeletePhoto": "delete_group_photo",
    "MessageActionChatAddUser": "invite_members",
    "MessageActionChatDeleteUser": "remove_members",
    "MessageActionChatJoinedByLink": "join_group_by_link",
    "MessageActionChatJoinedByRequest": "join_group_by_request",
    "MessageActionChannelCreate": "create_channel",
    "MessageActionChatMigrateTo": "migrate_to_supergroup",
    "MessageActionChannelMigrateFrom": "migrate_from_group",
    "MessageActionPinMessage": "pin_message",
    "MessageActionHistoryClear": "clear_history",
    "MessageActionGameScore": "score_in_game",
    "MessageActionPaymentSent": "send_payment",
    "MessageActionPhoneCall": "phone_call",
    "MessageActionConferenceCall": "conference_call",
    "MessageActionScreenshotTaken": "take_screenshot",
    "MessageActionCustomAction": "custom_action",
    "MessageActionBotAllowed": "allow_sending_messages",
    "MessageActionSecureValuesSent": "send_passport_values",
    "MessageActionContactSignUp": "joined_telegram",
    "MessageActionGeoProximityReached": "proximity_reached",
    "MessageActionGroupCall": "group_call",
    "MessageActionInviteToGroupCall": "invite_to_group_call",
    "MessageActionSetMessagesTTL": "set_messages_ttl",
    "MessageActionGroupCallScheduled": "group_call_scheduled",
    "MessageActionSetChatTheme": "edit_chat_theme",
    "MessageActionWebViewDataSent": "send_webview_data",
    "MessageActionGiftPremium": "send_premium_gift",
    "MessageActionTopicCreate": "topic_created",
    "MessageActionTopicEdit": "topic_edit",
    "MessageActionSuggestProfilePhoto": "suggest_profile_photo",
    "MessageActionRequestedPeer": "requested_peer",
    "MessageActionSetChatWallPaper": "set_chat_wallpaper",
    "MessageActionGiftCode": "gift_code_prize",
    "MessageActionGiveawayLaunch": "giveaway_launch",
    "MessageActionGiveawayResults": "giveaway_results",
    "MessageActionBoostApply": "boost_apply",
    "MessageActionPaymentRefunded": "refunded_payment",
    "MessageActionGiftStars": "send_stars_gift",
    "MessageActionGiftTon": "send_ton_gift",
    "MessageActionPrizeStars": "stars_prize",
    "MessageActionStarGift": "send_star_gift",
    "MessageActionPaidMessagesRefunded": "paid_messages_refund",
    "MessageActionPaidMessagesPrice": "paid_messages_price_change",
    "MessageActionTodoCompletions": "todo_completions",
    "MessageActionTodoAppendTasks": "todo_append_tasks",
    "MessageActionSuggestedPostApproval": "process_suggested_post",
    "MessageActionSuggestedPostSuccess": "suggested_post_success",
    "MessageActionSuggestedPostRefund": "suggested_post_refund",
}
# Never worth keeping: opaque bytes and per-account secrets.
DROPPED_KEYS = frozenset({"_", "access_hash", "file_reference", "stripped_thumb"})


def action_name(action: Any) -> str:
    name = type(action).__name__
    if name in ACTION_NAMES:
        return ACTION_NAMES[name]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removeprefix("MessageAction")).lower()


def action_data(action: Any, message: Any) -> dict[str, Any] | None:
    """The action's details as JSON-able values; peers as marked ids, like every id we store."""
    special = _SPECIAL.get(type(action).__name__)
    data = special(action, message) if special else _jsonable(action.to_dict())
    return data or None


def _members(user_ids: Any) -> dict[str, Any]:
    return {"members": [int(u) for u in user_ids]}


_SPECIAL: dict[str, Callable[[Any, Any], dict[str, Any]]] = {
    "MessageActionChatCreate": lambda a, m: {"title": a.title, **_members(a.users)},
    "MessageActionChatAddUser": lambda a, m: _members(a.users),
    "MessageActionChatDeleteUser": lambda a, m: _members([a.user_id]),
    "MessageActionChatJoinedByLink": lambda a, m: {"inviter_id": a.inviter_id},
    "MessageActionChatEditPhoto": lambda a, m: {"photo_id": getattr(a.photo, "id", None)},
    "MessageActionChatMigrateTo": lambda a, m: {
        "channel_id": marked_id(types.PeerChannel(a.channel_id))
    },
    "MessageActionChannelMigrateFrom": lambda a, m: {
        "title": a.title,
        "chat_id": marked_id(types.PeerChat(a.chat_id)),
    },
    "MessageActionPinMessage": lambda a, m: {"message_id": m.reply_to_msg_id},
    "MessageActionGameScore": lambda a, m: {
        "game_message_id": m.reply_to_msg_id,
        "score": a.score,
    },
}


def _jsonable(value: Any) -> Any:
    """TL ``to_dict()`` output -> JSON: no bytes, no secrets, no Nones, dates in ISO 8601."""
    if isinstance(value, dict):
        cleaned = {k: _jsonable(v) for k, v in value.items() if k not in DROPPED_KEYS}
        return {k: v for k, v in cleaned.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value

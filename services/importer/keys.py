"""Every message key the Desktop JSON writer emits (reference: telegram-desktop-export-format.md).

Keys outside these sets are tolerated and counted as unknown, so a newer Desktop never stops an
import; the counts tell us what to learn next.
"""

from __future__ import annotations

COMMON = frozenset({"id", "type", "date", "date_unixtime", "edited", "edited_unixtime"})
TEXT = frozenset({"text", "text_entities"})
# Keys of regular messages kept in ``action_data`` (everything without a column of its own).
MESSAGE_EXTRAS = frozenset(
    {
        "saved_from", "reply_to_peer_id", "via_bot", "inline_bot_buttons", "reactions",
        # photo and document
        "photo", "photo_file_size", "width", "height", "media_spoiler",
        "self_destruct_period_seconds", "file", "file_name", "file_size", "thumbnail",
        "thumbnail_file_size", "media_type", "mime_type", "duration_seconds", "sticker_emoji",
        "performer", "title",
        # other media
        "contact_information", "contact_vcard", "contact_vcard_file_size",
        "location_information", "live_location_period_seconds", "place_name", "address",
        "game_title", "game_description", "game_link", "invoice_information", "poll",
        "todo_list", "giveaway_information", "giveaway_results", "paid_stars_amount",
    }
)  # fmt: skip
MESSAGE_COLUMNS = frozenset(
    {*COMMON, *TEXT, "from", "from_id", "author", "forwarded_from", "forwarded_from_id",
     "reply_to_message_id"}
)  # fmt: skip
SERVICE_COLUMNS = frozenset({*COMMON, *TEXT, "actor", "actor_id", "action"})
# Keys any service action writes besides the common ones (§5 of the reference).
SERVICE_EXTRAS = frozenset(
    {
        "title", "members", "photo", "photo_file_size", "width", "height", "media_spoiler",
        "inviter", "message_id", "reply_to_peer_id", "game_message_id", "score", "amount",
        "currency", "invoice_message_id", "recurring", "duration_seconds", "discard_reason",
        "is_active", "is_missed", "information_text", "reason_app_id", "reason_app_name",
        "reason_domain", "values", "from", "from_id", "to", "to_id", "distance", "duration",
        "period", "schedule_date", "emoticon", "cost", "months", "new_title",
        "new_icon_emoji_id", "button_id", "peers", "peer_id", "gift_code", "boost_peer_id",
        "unclaimed", "via_giveaway", "winners", "stars", "boosts", "peer_name", "charge_id",
        "amount_whole", "amount_nano", "boost_peer_name", "is_unclaimed", "giveaway_msg_id",
        "transaction_id", "gift_id", "is_limited", "is_anonymous", "gift_text",
        "messages_count", "stars_count", "price_stars", "is_broadcast_messages_allowed",
        "completed", "incompleted", "items", "rejected", "comment", "price_amount_whole",
        "price_amount_nano", "price_currency", "scheduled_date", "user_initiated",
        "inline_bot_buttons", "reactions",
    }
)  # fmt: skip
ACTIONS = frozenset(
    {
        "create_group", "edit_group_title", "edit_group_photo", "delete_group_photo",
        "invite_members", "remove_members", "join_group_by_link", "create_channel",
        "migrate_to_supergroup", "migrate_from_group", "pin_message", "clear_history",
        "score_in_game", "send_payment", "phone_call", "conference_call", "take_screenshot",
        "allow_sending_messages", "attach_menu_bot_allowed", "web_app_bot_allowed",
        "send_passport_values", "joined_telegram", "proximity_reached",
        "requested_phone_number", "group_call", "invite_to_group_call", "set_messages_ttl",
        "group_call_scheduled", "edit_chat_theme", "join_group_by_request",
        "send_webview_data", "send_premium_gift", "topic_created", "topic_edit",
        "suggest_profile_photo", "requested_peer", "set_chat_wallpaper",
        "set_same_chat_wallpaper", "gift_code_prize", "giveaway_launch", "giveaway_results",
        "boost_apply", "refunded_payment", "send_stars_gift", "send_ton_gift", "stars_prize",
        "send_star_gift", "paid_messages_refund", "paid_messages_price_change",
        "todo_completions", "todo_append_tasks", "process_suggested_post",
        "suggested_post_success", "suggested_post_refund",
        # written by a few 2022/2025 builds only
        "topic_icon_edit", "topic_title_edit", "send_paid_message",
    }
)  # fmt: skip
CUSTOM_ACTION = "custom_action"  # the variant without an ``action`` key (information_text)
# Values Desktop writes as a JSON string holding JSON text (its ``push(key, QByteArray)``).
JSON_IN_STRING = ("invoice_information", "peers")

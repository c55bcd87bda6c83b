"""Callback data of the buttons under an alert: short, versioned, far under Telegram's 64 bytes."""

from __future__ import annotations

from datetime import timedelta

from aiogram.filters.callback_data import CallbackData

ACK, ACKED, MUTE_HOUR, MUTE_DAY = "ack", "ok", "m1h", "m1d"
MUTE_FOR = {MUTE_HOUR: timedelta(hours=1), MUTE_DAY: timedelta(days=1)}


class AlertAction(CallbackData, prefix="al1"):
    """``al1:<action>:<alert id>:<rule id>``; rule 0 when the alert names no single rule."""

    action: str
    alert_id: int
    rule_id: int = 0

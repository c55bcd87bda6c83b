"""Outbox alerts as messages: a detection, a burst digest, or any other kind's own text.

Everything from the archive is escaped, every field clipped, so a message always fits
Telegram's 4,096 characters (counted here in UTF-16 units, the stricter reading).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.callbacks import ACK, ACKED, MUTE_DAY, MUTE_HOUR, AlertAction
from bot.presenters.common import message_link
from bot.text import MAX_MESSAGE_CHARS, clip, esc, fit, number, units, when
from bot.ui import Button, Reply, rows
from services.alerts.models import DETECTION, DIGEST, TASK, Names, OutboxAlert, PeerName
from services.detection.service import CONTEXT_CHARS

SEVERITY_ICON = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡"}
TASK_ICON = {"done": "✅", "failed": "❌", "cancelled": "✖"}
NAME_CHARS = 64
SIDE_UNITS, MATCH_UNITS = 600, 1200  # escaped context around the match, and the match itself
DIGEST_RULE_LINES = 10
QUOTE_CHARS = 120


def present_alert(alert: OutboxAlert, names: Names, tz: ZoneInfo, *, acked_by: str = "") -> Reply:
    """The message for an outbox alert; ``acked_by`` names who acknowledged it (keyboard)."""
    if alert.kind == DETECTION and "rule" in alert.payload:
        return _detection(alert, names, tz, acked_by)
    if alert.kind == DIGEST and "rules" in alert.payload:
        return _digest(alert, names, tz, acked_by)
    return Reply(_generic_text(alert))


# --- detection -------------------------------------------------------------------------------


def _detection(alert: OutboxAlert, names: Names, tz: ZoneInfo, acked_by: str) -> Reply:
    p = alert.payload
    severity = str(p.get("severity") or "")
    lines = [
        f"{SEVERITY_ICON.get(severity, '🔔')} <b>{esc(severity.upper() or 'ALERT')}</b> · "
        f"rule <b>{fit(str(p.get('rule')), NAME_CHARS)}</b>",
        f"💬 {_chat_line(p.get('chat_id'), p.get('message_id'), names)}",
        f"👤 {_sender_line(p.get('sender_id'), names)}",
        f"🕒 {_date(p.get('date'), tz)}",
        f"<blockquote>{_highlighted(p)}</blockquote>",
    ]
    link = _link(p.get("chat_id"), p.get("message_id"), names)
    raw_rule = p.get("rule_id")
    rule_id = raw_rule if isinstance(raw_rule, int) else 0
    buttons = _buttons(alert.id, rule_id, link, acked_by, ack_label="✅ Ack")
    return Reply("\n".join(lines), buttons)


def _chat_line(chat_id: Any, message_id: Any, names: Names) -> str:
    chat = names.chat(chat_id) if isinstance(chat_id, int) else None
    title = fit(_title(chat, f"chat {chat_id}"), NAME_CHARS)
    link = _link(chat_id, message_id, names)
    shown = f'<a href="{esc(link)}">{title}</a>' if link else title
    return shown + (f" · @{esc(chat.username)}" if chat and chat.username else "")


def _sender_line(sender_id: Any, names: Names) -> str:
    if not isinstance(sender_id, int):
        return "unknown sender"
    sender = names.sender(sender_id)
    shown = fit(_title(sender, "unknown"), NAME_CHARS)
    handle = f" · @{esc(sender.username)}" if sender and sender.username else ""
    return f"{shown}{handle} · <code>{sender_id}</code>"


def _title(peer: PeerName | None, fallback: str) -> str:
    if peer is None:
        return fallback
    return peer.title or (f"@{peer.username}" if peer.username else fallback)


def _link(chat_id: Any, message_id: Any, names: Names) -> str | None:
    if not isinstance(chat_id, int) or not isinstance(message_id, int):
        return None
    chat = names.chat(chat_id)
    return message_link(chat_id, message_id, chat.username if chat else None)


def _date(value: Any, tz: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return esc(value) if value else "—"
    return when(moment, tz) if moment.tzinfo else esc(value)


def _highlighted(p: Mapping[str, Any]) -> str:
    """The context with the match in bold; the match alone when the context lacks it."""
    context = str(p.get("context") or "")
    matched = str(p.get("matched_text") or "")
    span = _match_span(context, matched, p.get("match_start"), p.get("match_end"))
    if span is None:
        return f"<b>{fit(matched, MATCH_UNITS)}</b>" if matched else fit(context, MATCH_UNITS)
    start, end = span
    before = fit(context[:start], SIDE_UNITS, keep_end=True)
    after = fit(context[end:], SIDE_UNITS)
    return f"{before}<b>{fit(context[start:end], MATCH_UNITS)}</b>{after}"


def _match_span(context: str, matched: str, start: Any, end: Any) -> tuple[int, int] | None:
    """Where the match sits in the context (``services.detection.context_around``'s window)."""
    if isinstance(start, int) and isinstance(end, int) and end > start >= 0:
        offset = start if start <= CONTEXT_CHARS else CONTEXT_CHARS + 1
        length = end - start
        if offset + length <= len(context) and context.startswith(matched[:length], offset):
            return offset, offset + length
    if matched:
        found = context.find(matched)
        if found >= 0:
            return found, found + len(matched)
    return None


# --- digest ----------------------------------------------------------------------------------


def _digest(alert: OutboxAlert, names: Names, tz: ZoneInfo, acked_by: str) -> Reply:
    p = alert.payload
    count, rules = int(p.get("count") or 0), list(p.get("rules") or ())
    top = str(rules[0].get("severity")) if rules else ""
    lines = [
        f"{SEVERITY_ICON.get(top, '🔔')} <b>{number(count)} alerts</b> in "
        f"{number(int(p.get('chats') or 0))} chat(s) — sent as one digest",
        _severity_summary(p.get("severities") or {}),
        "",
        "<b>By rule</b>",
        *_rule_lines(rules),
        "",
        "<b>First alerts</b>",
        *(_item_line(i, item, names, tz) for i, item in enumerate(p.get("first") or (), 1)),
    ]
    shown = len(p.get("first") or ())
    if count > shown:
        lines.append(f"…and {number(count - shown)} more.")
    single_rule = rules[0].get("rule_id") if len(rules) == 1 else None
    rule_id = single_rule if isinstance(single_rule, int) else 0
    return Reply("\n".join(lines), _buttons(alert.id, rule_id, None, acked_by, "✅ Ack all"))


def _severity_summary(severities: Mapping[str, Any]) -> str:
    parts = [
        f"{SEVERITY_ICON.get(s, '🔔')} {esc(s)}: {number(int(n))}" for s, n in severities.items()
    ]
    return " · ".join(parts)


def _rule_lines(rules: list[Mapping[str, Any]]) -> list[str]:
    lines = [
        f"• {SEVERITY_ICON.get(str(r.get('severity')), '🔔')} "
        f"<b>{fit(str(r.get('rule')), NAME_CHARS)}</b> — {number(int(r.get('count') or 0))}"
        for r in rules[:DIGEST_RULE_LINES]
    ]
    if len(rules) > DIGEST_RULE_LINES:
        lines.append(f"…and {number(len(rules) - DIGEST_RULE_LINES)} more rules")
    return lines


def _item_line(index: int, item: Mapping[str, Any], names: Names, tz: ZoneInfo) -> str:
    chat = _chat_line(item.get("chat_id"), item.get("message_id"), names)
    quote = fit(str(item.get("matched_text") or ""), QUOTE_CHARS)
    rule = fit(str(item.get("rule")), NAME_CHARS)
    return f"{index}. <b>{rule}</b> · {chat} · {_date(item.get('date'), tz)} — “{quote}”"


# --- everything else -------------------------------------------------------------------------


def _generic_text(alert: OutboxAlert) -> str:
    p = alert.payload
    if alert.kind == TASK:
        state = str(p.get("state") or "")
        head = f"{TASK_ICON.get(state, '🔔')} Task #{esc(p.get('task_id'))} ({esc(p.get('kind'))})"
        head += f" {esc(state)}" if state else ""
    else:
        head = f"🔔 <b>{esc(alert.kind.replace('_', ' ').capitalize())}</b>"
    text = p.get("text")
    if not text:
        return f"{head}\nalert #{alert.id}"
    return f"{head}\n{fit(str(text), MAX_MESSAGE_CHARS - units(head) - 1)}"


# --- buttons ---------------------------------------------------------------------------------


def _buttons(
    alert_id: int, rule_id: int, link: str | None, acked_by: str, ack_label: str
) -> tuple[tuple[Button, ...], ...]:
    def action(name: str) -> str:
        return AlertAction(action=name, alert_id=alert_id, rule_id=rule_id).pack()

    mutes = [
        Button("🔕 1 hour", callback=action(MUTE_HOUR)),
        Button("🔕 1 day", callback=action(MUTE_DAY)),
    ]
    mutes = mutes if rule_id else []
    opener = [Button("Open ↗", url=link)] if link else []
    if acked_by:
        done = Button(f"☑ Acknowledged by {clip(acked_by, 40)}", callback=action(ACKED))
        return rows([done], [*mutes, *opener])
    return rows([Button(ack_label, callback=action(ACK)), *mutes], opener)

"""HTML parts: each a standalone page (inline style, no scripts) with its slice of messages.

Every value from the vault is escaped; the page's content security policy forbids scripts and
remote loads besides. Times are shown in the admin's time zone. Deleted messages and edits are
marked, and an edited message lists its earlier versions.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from services.export.models import ExportMessage, ExportWindow

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:1rem auto;padding:0 1rem;color:#222}
header.chat p{color:#555}
main:empty::after{content:"No messages in this range.";color:#777}
article{border-bottom:1px solid #ddd;padding:.5rem 0}
article.deleted{background:#fff1f0}
article.service{color:#555;font-style:italic}
.meta,.flags,details{font-size:.85rem;color:#666}
.flag{font-weight:600;margin-right:.6rem}
.deleted .flag.deleted{color:#b00}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.from{font-weight:600}
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'"


class HtmlFormat:
    """A page of ``<article>`` elements, one per message, anchored as ``#m<message id>``."""

    extension = "html"
    mime_type = "text/html"
    separator = b""

    def __init__(self, window: ExportWindow, tz: ZoneInfo) -> None:
        self._window = window
        self._tz = tz

    def header(self) -> bytes:
        chat = self._window.chat
        title = chat.title or (f"@{chat.username}" if chat.username else f"Chat {chat.id}")
        about = [f"Chat id {chat.id}", *([f"@{chat.username}"] if chat.username else [])]
        about.append(self._period())
        about.append(f"Times in {self._tz.key}")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
            f"<title>{_e(title)} — TelegramVault export</title>\n<style>{STYLE}</style>\n"
            f'</head>\n<body>\n<header class="chat">\n<h1>{_e(title)}</h1>\n'
            f"<p>{' · '.join(_e(part) for part in about)}</p>\n</header>\n<main>"
        ).encode("utf-8", "replace")

    def item(self, message: ExportMessage) -> bytes:
        return _article(message, self._tz).encode("utf-8", "replace")

    def footer(self) -> bytes:
        return b"</main>\n</body>\n</html>\n"

    def _period(self) -> str:
        since, until = self._window.since, self._window.until
        start = f"from {self._time(since)}" if since else "from the first message"
        end = f"until {self._time(until)} (excluded)" if until else "to the latest"
        return f"Messages {start} {end}"

    def _time(self, value: datetime) -> str:
        return local_time(value, self._tz)


def local_time(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _article(message: ExportMessage, tz: ZoneInfo) -> str:
    classes = " ".join(
        name
        for name, present in (
            ("service", message.kind == "service"),
            ("deleted", message.deleted_at is not None),
            ("edited", message.edit_date is not None or bool(message.versions)),
        )
        if present
    )
    anchor = f"m{message.message_id}"
    class_attribute = f' class="{classes}"' if classes else ""
    return (
        f'\n<article id="{anchor}"{class_attribute}>\n'
        f"{_heading(message, anchor, tz)}{_meta(message)}{_flags(message, tz)}"
        f'<div class="text">{_e(message.text)}</div>\n{_versions(message, tz)}</article>'
    )


def _heading(message: ExportMessage, anchor: str, tz: ZoneInfo) -> str:
    sender = message.sender_name or ("unknown sender" if message.sender_id is None else "")
    sender_id = f' <span class="from-id">({message.sender_id})</span>' if message.sender_id else ""
    return (
        f'<p class="meta"><a href="#{anchor}">#{message.message_id}</a> '
        f"{_time_tag(message.date, tz)} "
        f'<span class="from">{_e(sender)}</span>{sender_id}</p>\n'
    )


def _meta(message: ExportMessage) -> str:
    facts: list[str] = []
    if message.kind == "service":
        facts.append(f"Service message: {_e(message.action or 'unknown action')}")
    if message.reply_to is not None:
        facts.append(f'Reply to <a href="#m{message.reply_to}">#{message.reply_to}</a>')
    if message.forwarded:
        facts.append(f"Forwarded from {_e(message.forwarded_label or 'a hidden sender')}")
    if message.post_author:
        facts.append(f"Signed {_e(message.post_author)}")
    if message.via_bot:
        facts.append(f"Via @{_e(message.via_bot)}")
    if message.media_kind:
        facts.append(f"Media: {_e(_media_label(message))} (file not included)")
    return f'<p class="meta">{" · ".join(facts)}</p>\n' if facts else ""


def _media_label(message: ExportMessage) -> str:
    media = message.media
    details = [part for part in (media.file_name, media.mime_type) if part] if media else []
    kind = message.media_kind or ""
    return f"{kind}, {', '.join(details)}" if details else kind


def _flags(message: ExportMessage, tz: ZoneInfo) -> str:
    flags: list[str] = []
    if message.deleted_at is not None:
        flags.append(_flag("deleted", f"Deleted {_time_tag(message.deleted_at, tz)}"))
    if message.edit_date is not None:
        flags.append(_flag("edited", f"Edited {_time_tag(message.edit_date, tz)}"))
    return f'<p class="flags">{"".join(flags)}</p>\n' if flags else ""


def _flag(name: str, html: str) -> str:
    return f'<span class="flag {name}">{html}</span>'


def _versions(message: ExportMessage, tz: ZoneInfo) -> str:
    if not message.versions:
        return ""
    items = "".join(
        f"<li>{_time_tag(v.edit_date, tz) if v.edit_date else 'Original'}"
        f'<div class="text">{_e(v.text)}</div></li>\n'
        for v in message.versions
    )
    count = len(message.versions)
    label = "Earlier version" if count == 1 else f"Earlier versions ({count})"
    return f'<details class="versions"><summary>{label}</summary>\n<ol>\n{items}</ol></details>\n'


def _time_tag(value: datetime, tz: ZoneInfo) -> str:
    return f'<time datetime="{value.isoformat()}">{_e(local_time(value, tz))}</time>'


def _e(value: str) -> str:
    return escape(value, quote=True)

"""/search pages: a header, one block per hit with the matches in bold, and pager buttons.

A page is edited in place, so it must always fit one message: every piece is escaped and then
clipped to a share of Telegram's 4,096 characters, counted in UTF-16 units of the raw HTML
(more than Telegram counts after parsing, so the limit holds whatever the archive holds).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData

from bot.text import ELLIPSIS, MAX_MESSAGE_CHARS, escaped_within, fit, number, units, when
from bot.ui import Button, Reply, rows
from core.domain.search import SearchHit, SearchPage, Snippet

GO, SORT = "go", "sort"
QUERY_UNITS = 120
NOTE_UNITS = 200
MAX_NOTES = 3
TITLE_UNITS = 64
SENDER_UNITS = 48
MIN_LEAD_UNITS = 16  # context kept before the first match, however crowded the page
HIT_SEPARATOR = "\n\n"
SORT_NAMES = {"date": "newest first", "relevance": "by relevance"}
SORT_BUTTONS = {"date": "⇅ Newest first", "relevance": "⇅ By relevance"}
USAGE = (
    "🔎 <b>Search the archive</b>: /search &lt;query&gt;\n"
    "• words: <code>harbour report</code> — all of them, any order, accents ignored\n"
    '• <code>"exact phrase"</code>, <code>cat OR dog</code>, <code>-excluded</code>, '
    "<code>prefix*</code>\n"
    "• filters: <code>from:@user</code>, <code>in:@channel</code>, "
    '<code>in:"part of a title"</code>, <code>after:2024-05</code>, '
    "<code>before:2024-06-30</code>, <code>on:2024-05-31</code>\n"
    "• <code>has:media|photo|video|document|link</code>, "
    "<code>is:edited|deleted|forwarded</code>\n"
    "• order: newest first, or <code>sort:relevance</code>\n"
    "Example: <code>/search invoice from:@ana after:2024-01</code>"
)
EXPIRED = "This search has expired — send /search again"
# Snippets are one line in a page: line and paragraph breaks become spaces.
FLATTEN = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " "})


class SearchNav(CallbackData, prefix="sr1"):
    """``sr1:<token>:go:<page>`` opens a page; ``sr1:<token>:sort:0`` toggles the order."""

    token: str
    action: str
    page: int = 0


@dataclass(frozen=True, slots=True)
class PageView:
    """What a page shows besides the hits: where it is in its search."""

    query: str
    token: str
    number: int  # 1-based
    page_size: int
    has_next: bool  # a Next button (the session can open the following page)
    capped: bool = False  # there are more results, but no more pages are kept


def search_usage() -> Reply:
    return Reply(USAGE)


def search_page(page: SearchPage, view: PageView, tz: ZoneInfo) -> Reply:
    """The page as one message, with ◀ Prev / Next ▶ and the sort toggle."""
    if not page.hits and view.number == 1:
        return Reply(_no_results(page, view))
    head = "\n".join([_header(page, view), *_notes(page, view)])
    blocks = list(_blocks(page, view, tz, units(head)))
    body = HIT_SEPARATOR.join(blocks) if blocks else "No more results."
    return Reply(f"{head}{HIT_SEPARATOR}{body}", _buttons(page, view))


def _header(page: SearchPage, view: PageView) -> str:
    count = f"{'≈' if page.total_is_estimate else ''}{number(page.total)}"
    noun = "result" if page.total == 1 and not page.total_is_estimate else "results"
    where = f"page {view.number}"
    if not page.total_is_estimate and page.total > 0:
        where += f" of {max(math.ceil(page.total / view.page_size), view.number)}"
    order = SORT_NAMES.get(page.sort, page.sort)
    return f"🔎 <b>{fit(view.query, QUERY_UNITS)}</b> — {count} {noun} · {order} · {where}"


def _notes(page: SearchPage, view: PageView) -> list[str]:
    notes = [f"<i>ℹ️ {fit(note, NOTE_UNITS)}</i>" for note in page.notes[:MAX_NOTES]]
    if view.capped:
        notes.append("<i>ℹ️ no more pages are kept for one search: narrow it to see the rest</i>")
    return notes


def _no_results(page: SearchPage, view: PageView) -> str:
    lines = [
        f"🔎 <b>{fit(view.query, QUERY_UNITS)}</b> — no results.",
        "Try fewer or shorter words, a prefix (<code>infor*</code>), OR between alternatives, "
        "or fewer filters. /search alone shows the query language.",
        *_notes(page, view),
    ]
    return "\n".join(lines)


def _blocks(page: SearchPage, view: PageView, tz: ZoneInfo, head_units: int) -> Iterator[str]:
    count = max(len(page.hits), 1)
    room = MAX_MESSAGE_CHARS - head_units - units(HIT_SEPARATOR) * count
    share = room // count
    first = (view.number - 1) * view.page_size + 1
    for offset, hit in enumerate(page.hits):
        yield hit_block(hit, first + offset, tz, share)


def hit_block(hit: SearchHit, position: int, tz: ZoneInfo, budget: int) -> str:
    """One hit in at most ``budget`` UTF-16 units: chat, sender, date and marks on the first
    line, then the snippet with its matches in bold and a link to the original message.

    The number, date and marks always show; the link, chat and sender take shares of what
    is left, and the snippet everything they did not need.
    """
    number_part, stamp = f"<b>{position}.</b>", f"{when(hit.date, tz)}{_marks(hit)}"
    left = budget - units(number_part) - units(stamp) - 2  # a space and a line break
    link = f' <a href="{html.escape(hit.link)}">open</a>' if hit.link else ""
    if units(link) > left // 3:
        link = ""  # a crowded page keeps the words, not the link
    left -= units(link)
    title = _bold(_chat_name(hit), min(TITLE_UNITS, left // 4))
    left -= units(title) + 3
    sender = fit(_sender(hit), min(SENDER_UNITS, left // 5))
    left -= units(sender) + 3
    first_line = " · ".join(part for part in (title, sender, stamp) if part)
    return f"{number_part} {first_line}\n{highlight(hit.snippet, max(left, 0))}{link}"


def highlight(snippet: Snippet, budget: int) -> str:
    """The snippet escaped with its spans in <b>…</b>, cut to ``budget`` UTF-16 units.

    When the text before the first match would take over a third of the budget, its start
    gives way (an ellipsis stands for it), so a crowded page still shows every match.
    """
    pieces = _pieces(snippet)
    if len(pieces) > 1 and not pieces[0][1]:
        pieces[0] = (_tail(pieces[0][0], max(budget // 3, MIN_LEAD_UNITS)), False)
    out: list[str] = []
    left = budget
    for index, (text, marked) in enumerate(pieces):
        tags = units("<b></b>") if marked else 0
        escaped = html.escape(text, quote=False)
        reserve = 0 if index == len(pieces) - 1 else 1  # room for an ellipsis after it
        if units(escaped) + tags + reserve <= left:
            out.append(f"<b>{escaped}</b>" if marked else escaped)
            left -= units(escaped) + tags
            continue
        part = escaped_within(text, left - tags - 1)[0]
        if part:
            out.append(f"<b>{part}</b>" if marked else part)
            left -= units(part) + tags
        if left >= 1:
            out.append(ELLIPSIS)
        break
    return "".join(out)


def _pieces(snippet: Snippet) -> list[tuple[str, bool]]:
    """The snippet as (text, highlighted) pieces, line breaks flattened to spaces."""
    text = snippet.text.translate(FLATTEN)
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for span in snippet.spans:
        start, end = max(span.start, pos), min(span.end, len(text))
        if start >= end:
            continue
        if start > pos:
            pieces.append((text[pos:start], False))
        pieces.append((text[start:end], True))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def _tail(text: str, budget: int) -> str:
    """``text``, or an ellipsis and its end, escaping to at most ``budget`` units."""
    if units(html.escape(text, quote=False)) <= budget:
        return text
    kept: list[str] = []
    used = units(ELLIPSIS)
    for char in reversed(text):
        used += units(html.escape(char, quote=False))
        if used > budget:
            break
        kept.append(char)
    return ELLIPSIS + "".join(reversed(kept))


def _marks(hit: SearchHit) -> str:
    return (" ✏️ edited" if hit.edited else "") + (" 🗑 deleted" if hit.deleted else "")


def _chat_name(hit: SearchHit) -> str:
    if hit.chat_title:
        return hit.chat_title
    return f"@{hit.chat_username}" if hit.chat_username else f"chat {hit.chat_id}"


def _sender(hit: SearchHit) -> str:
    if hit.sender_name:
        return hit.sender_name
    if hit.sender_username:
        return f"@{hit.sender_username}"
    return f"id {hit.sender_id}" if hit.sender_id is not None else ""


def _bold(text: str, budget: int) -> str:
    inner = fit(text, budget - 7)
    return f"<b>{inner}</b>" if inner else ""


def _buttons(page: SearchPage, view: PageView) -> tuple[tuple[Button, ...], ...]:
    pager = []
    if view.number > 1:
        pager.append(Button("◀ Prev", callback=_go(view.token, view.number - 1)))
    if view.has_next:
        pager.append(Button("Next ▶", callback=_go(view.token, view.number + 1)))
    other = "relevance" if page.sort == "date" else "date"
    toggle = SearchNav(token=view.token, action=SORT).pack()
    return rows(pager, [Button(SORT_BUTTONS[other], callback=toggle)])


def _go(token: str, page: int) -> str:
    return SearchNav(token=token, action=GO, page=page).pack()

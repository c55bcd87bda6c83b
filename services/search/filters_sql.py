"""Filter conditions over ``messages`` that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Text, and_, cast, false, func, not_, or_

from core.db.tables import messages
from services.search.resolve import ResolvedFilters

m = messages.c
MEDIA_KINDS = {"photo": ("photo",), "video": ("video", "video_note"), "document": ("document",)}
LINK_MARKERS = ("%://%", "%t.me/%", "%www.%")
LINK_ENTITIES = ('%"url"%', '%"text_link"%')


@dataclass(frozen=True, slots=True)
class Keyset:
    """A position in newest-first order: rows strictly older come next."""

    date: datetime
    id: int


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows a page may come from: older than ``after``; not newer arrivals than ``max_id``."""

    after: Keyset | None = None
    max_id: int | None = None


def window_conditions(window: Window) -> list[ColumnElement[bool]]:
    conditions = older_than(window.after)
    if window.max_id is not None:
        conditions.append(m.id <= window.max_id)
    return conditions


def older_than(position: Keyset | None) -> list[ColumnElement[bool]]:
    """Rows after ``position`` in ``ORDER BY date DESC, id DESC``."""
    if position is None:
        return []
    return [
        m.date <= position.date,
        or_(m.date < position.date, m.id < position.id),
    ]


def walk_conditions(filters: ResolvedFilters) -> list[ColumnElement[bool]]:
    """The conditions an index can serve (chat, sender, dates): they drive a newest-first walk."""
    conditions: list[ColumnElement[bool]] = []
    if filters.impossible:
        conditions.append(false())
    if filters.chat_ids:
        conditions.append(m.chat_id.in_(filters.chat_ids))
    if filters.sender_ids:
        conditions.append(m.sender_id.in_(filters.sender_ids))
    if filters.dates.start is not None:
        conditions.append(m.date >= filters.dates.start)
    if filters.dates.end is not None:
        conditions.append(m.date < filters.dates.end)
    return conditions


def row_conditions(filters: ResolvedFilters) -> list[ColumnElement[bool]]:
    """The conditions checked on each candidate row (exclusions, has:, is:)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.excluded_chat_ids:
        conditions.append(m.chat_id.not_in(filters.excluded_chat_ids))
    if filters.excluded_sender_ids:
        conditions.append(
            or_(m.sender_id.is_(None), m.sender_id.not_in(filters.excluded_sender_ids))
        )
    conditions.extend(_has(filters))
    conditions.extend(not_(c) for c in _has_each(filters.has_not))
    conditions.extend(_is(name) for name in sorted(filters.is_))
    conditions.extend(not_(_is(name)) for name in sorted(filters.is_not))
    return conditions


def media_conditions(filters: ResolvedFilters) -> list[ColumnElement[bool]]:
    """The has: filters' media condition, which the media index serves (it holds only
    messages with media, and a kind or ``IS NOT NULL`` implies that)."""
    kinds = [kind for value in sorted(filters.has) for kind in MEDIA_KINDS.get(value, ())]
    if kinds:
        return [m.media_kind.in_(kinds)]
    if "media" in filters.has:
        return [m.media_kind.is_not(None)]
    return []


def _has(filters: ResolvedFilters) -> list[ColumnElement[bool]]:
    """Media kinds named together match any of them; ``media`` and ``link`` must hold too."""
    conditions = media_conditions(filters)
    if "link" in filters.has:
        conditions.append(has_link())
    return conditions


def _has_each(values: frozenset[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for value in sorted(values):
        if value == "link":
            conditions.append(has_link())
        elif value == "media":
            conditions.append(m.media_kind.is_not(None))
        else:  # coalesce: NOT (NULL IN ...) would drop messages without media
            conditions.append(func.coalesce(m.media_kind, "").in_(MEDIA_KINDS[value]))
    return conditions


def has_link() -> ColumnElement[bool]:
    """A URL in the text, or a url/text_link entity (lower-cased: LIKE differs per dialect)."""
    body = func.lower(m.text)
    in_text = [body.like(marker) for marker in LINK_MARKERS]
    entities = cast(m.entities, Text)
    in_entities = [and_(m.entities.is_not(None), entities.like(p)) for p in LINK_ENTITIES]
    return or_(*in_text, *in_entities)


def _is(name: str) -> ColumnElement[bool]:
    if name == "edited":
        return m.edit_date.is_not(None)
    if name == "deleted":
        return m.deleted_at.is_not(None)
    # The predicate of ix_messages_date_forwarded, so the index can serve it (a forward header
    # carries an origin id or name; fwd_date alone is not tested).
    return or_(m.fwd_from_id.is_not(None), m.fwd_from_name.is_not(None))

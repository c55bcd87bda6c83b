"""Search results as the services hand them to presenters: messages, pages and people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Span:
    """A highlighted range ``[start, end)`` of a snippet, in Python string indexes."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Snippet:
    """An excerpt of a message around its first match; presenters decide the markup of spans."""

    text: str
    spans: tuple[Span, ...] = ()

    def highlighted(self) -> list[str]:
        """The highlighted substrings, in order (handy for tests and plain-text output)."""
        return [self.text[span.start : span.end] for span in self.spans]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One archived message matching a search."""

    pk: int  # the vault's row key
    chat_id: int
    chat_title: str | None
    chat_username: str | None
    message_id: int
    sender_id: int | None
    sender_name: str | None
    sender_username: str | None
    date: datetime
    edited: bool
    deleted: bool
    snippet: Snippet
    link: str | None  # opens the original message in Telegram, when Telegram can


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of hits, newest first unless the query asked for relevance.

    ``next_cursor`` fetches the following page (None on the last one). ``total`` counts every
    match when that is cheap; otherwise it is a lower bound and ``total_is_estimate`` is set.
    ``notes`` explain anything the user may want to know (a fallback scan, an ignored term).
    """

    hits: tuple[SearchHit, ...]
    next_cursor: str | None
    total: int
    total_is_estimate: bool
    sort: str  # "date" or "relevance"
    used_fallback: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonHit:
    """A person (or bot) whose name, username or bio matches; ``matched`` says which field.

    When only an earlier name or username matched, ``matched`` starts with ``earlier_`` and
    ``earlier_value`` holds that earlier value.
    """

    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    bio: str | None
    is_bot: bool
    is_deleted: bool
    matched: str  # name, username, bio, earlier_name, earlier_username
    earlier_value: str | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else str(self.user_id))


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """One change the archive saw on a person: ``field`` went from ``old_value`` to
    ``new_value`` (as text; None when unknown or empty) at ``changed_at``."""

    field: str  # first_name, last_name, username, phone, bio, photo_id, is_deleted
    old_value: str | None
    new_value: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class PersonProfile:
    """A person (or bot) as the archive knows them now, with the changes it saw over time.

    ``history`` is newest first and holds at most the requested number of changes;
    ``history_total`` counts all of them. ``former_username`` is set when the lookup matched
    a username this person used to have (and nobody has now).
    """

    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    phone: str | None
    bio: str | None
    is_bot: bool
    is_deleted: bool
    is_verified: bool
    is_scam: bool
    is_fake: bool
    first_seen_at: datetime
    updated_at: datetime
    message_count: int  # their messages in the archive
    last_message_at: datetime | None
    history: tuple[ProfileChange, ...]
    history_total: int
    former_username: str | None = None
    is_watched: bool = False  # the admins are alerted when this person changes

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else str(self.user_id))

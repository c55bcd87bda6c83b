"""Profile changes: which removals a full profile reveals, and the alert a watched person gets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from core.domain.profiles import FullProfile, ProfileChange

USER_CHANGE: Final = "user_change"
# Fields a full profile knows to be empty when it has no value (a phone may just be hidden).
REMOVABLE: Final = ("last_name", "username", "bio", "photo_id")
LABELS: Final = {
    "first_name": "first name",
    "last_name": "last name",
    "username": "username",
    "phone": "phone",
    "bio": "bio",
}
VALUE_CHARS: Final = 60


def removed_fields(current: Mapping[str, Any] | None, profile: FullProfile) -> tuple[str, ...]:
    """Stored values the profile no longer has. A deleted account keeps its last names."""
    if current is None or profile.is_deleted:
        return ()
    return tuple(
        name
        for name in REMOVABLE
        if getattr(profile, name) is None and current.get(name) is not None
    )


def noteworthy(changes: Sequence[ProfileChange], *, enriched_before: bool) -> list[ProfileChange]:
    """Changes worth telling an admin. Before a first enrichment a missing bio was unknown, not
    empty: learning a value then is no change of the person's."""
    if enriched_before:
        return list(changes)
    return [change for change in changes if change.old is not None]


def describe(change: ProfileChange) -> str:
    """One change in plain words: ``bio: "old" → "new"``, ``photo: changed``."""
    if change.field == "photo_id":
        if change.old is None:
            return "photo: added"
        return "photo: removed" if change.new is None else "photo: changed"
    if change.field == "is_deleted":
        return "account: deleted" if change.new == "True" else "account: restored"
    label = LABELS.get(change.field, change.field.replace("_", " "))
    return f"{label}: {_shown(change.field, change.old)} → {_shown(change.field, change.new)}"


def alert_text(profile: FullProfile, changes: Sequence[ProfileChange]) -> str:
    """The plain-text alert the bot sends (it escapes it)."""
    info = profile.as_user_info()
    who = "Deleted account" if profile.is_deleted else info.display_name
    handle = f"@{profile.username}, " if profile.username and not profile.is_deleted else ""
    lines = [f"{who} ({handle}id {profile.id}) changed their profile:"]
    lines.extend(f"• {describe(change)}" for change in changes)
    return "\n".join(lines)


def alert_rows(
    profile: FullProfile,
    changes: Sequence[ProfileChange],
    recipients: Sequence[int],
    at: datetime,
) -> list[dict[str, Any]]:
    """One outbox row per admin; the key makes a re-run of the same refresh alert nobody twice."""
    payload = {
        "user_id": profile.id,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
        "text": alert_text(profile, changes),
    }
    stamp = at.strftime("%Y%m%dT%H%M%S%f")
    return [
        {
            "dedup_key": f"{USER_CHANGE}:{profile.id}:{stamp}:{chat}",
            "kind": USER_CHANGE,
            "recipient_chat_id": chat,
            "payload": payload,
            "created_at": at,
        }
        for chat in dict.fromkeys(recipients)
    ]


def _shown(field: str, value: str | None) -> str:
    if value is None or value == "":
        return "(none)"
    if field == "username":
        return f"@{value}"
    clipped = value if len(value) <= VALUE_CHARS else value[: VALUE_CHARS - 1] + "…"
    return f'"{clipped}"'

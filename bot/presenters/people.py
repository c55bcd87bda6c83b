"""/who: people matching a name, and one person's profile with every change the archive saw."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData

from bot.text import MAX_MESSAGE_CHARS, clip, fit, number, units, when
from bot.ui import Button, Reply, rows
from core.domain.search import PersonHit, PersonProfile, ProfileChange

NAME_UNITS = 80
LIST_NAME_UNITS = 48
BIO_UNITS = 400
VALUE_UNITS = 120  # one side of a change
QUERY_UNITS = 80
TAIL_UNITS = 48  # the blank line and "… and N earlier changes"
BUTTON_CHARS = 24
PROFILE_BUTTONS = 10
FIELD_NAMES = {
    "first_name": "first name",
    "last_name": "last name",
    "username": "username",
    "phone": "phone",
    "bio": "bio",
}
MATCHED = {"name": "name", "username": "username", "bio": "bio"}
USAGE = (
    "👤 <b>Find people</b>: /who &lt;name|@username|id&gt;\n"
    "• <code>/who ana garcía</code> — names, usernames and bios, earlier ones too\n"
    "• <code>/who @username</code> or <code>/who 12345</code> — one person's profile and the "
    "history of their names, usernames and bio"
)


class WhoWatch(CallbackData, prefix="ww1"):
    """Turn change alerts for a person on or off (a watched person)."""

    user_id: int
    on: bool


class WhoProfile(CallbackData, prefix="wh1"):
    """``wh1:<user id>``: show this person's profile."""

    user_id: int


def who_usage() -> Reply:
    return Reply(USAGE)


def people_list(query: str, people: list[PersonHit]) -> Reply:
    """Matching people, one line each, with a profile button for the first few."""
    asked = fit(query, QUERY_UNITS)
    if not people:
        return Reply(
            f"👤 No one in the archive matches <b>{asked}</b>.\n"
            "Try part of a name, a @username, or a word from a bio."
        )
    head = f"👤 <b>{asked}</b> — {number(len(people))} found"
    room = MAX_MESSAGE_CHARS - units(head) - TAIL_UNITS
    listed: list[str] = []
    for person in people:
        line = _person_line(person)
        room -= units(line) + 1
        if room < 0:
            break
        listed.append(line)
    hidden = len(people) - len(listed)
    tail = [f"… and {number(hidden)} more: narrow the search"] if hidden else []
    buttons = [
        Button(f"👤 {clip(p.display_name, BUTTON_CHARS)}", callback=_open(p.user_id))
        for p in people[: min(PROFILE_BUTTONS, len(listed))]
    ]
    keyboard = rows(*(buttons[i : i + 2] for i in range(0, len(buttons), 2)))
    return Reply("\n".join([head, *listed, *tail]), keyboard)


def _person_line(person: PersonHit) -> str:
    parts = [f"• <b>{fit(person.display_name, LIST_NAME_UNITS)}</b>"]
    if person.username:
        parts.append(f"@{fit(person.username, LIST_NAME_UNITS)}")
    parts.append(f"id <code>{person.user_id}</code>")
    parts += _flags(person.is_bot, person.is_deleted)
    return " · ".join([*parts, _matched(person)])


def _matched(person: PersonHit) -> str:
    if person.earlier_value is None:
        return f"<i>{MATCHED.get(person.matched, person.matched)}</i>"
    earlier = person.earlier_value
    shown = f"@{earlier}" if person.matched == "earlier_username" else earlier
    return f"<i>formerly {fit(shown, LIST_NAME_UNITS)}</i>"


def _flags(is_bot: bool, is_deleted: bool) -> list[str]:
    return (["🤖 bot"] if is_bot else []) + (["deleted account"] if is_deleted else [])


def _open(user_id: int) -> str:
    return WhoProfile(user_id=user_id).pack()


def person_profile(profile: PersonProfile, tz: ZoneInfo) -> Reply:
    """A person now, then their changes newest first, as many as one message holds."""
    head = "\n".join(_profile_lines(profile, tz))
    buttons = rows([_watch_button(profile)])
    if not profile.history:
        return Reply(f"{head}\n\n<i>No changes seen yet.</i>", buttons)
    noun = "change" if profile.history_total == 1 else "changes"
    title = f"<b>History</b> ({number(profile.history_total)} {noun}, newest first)"
    room = MAX_MESSAGE_CHARS - units(head) - units(title) - TAIL_UNITS
    shown: list[str] = []
    for change in profile.history:
        line = _change_line(change, tz)
        room -= units(line) + 1
        if room < 0:
            break
        shown.append(line)
    hidden = profile.history_total - len(shown)
    tail = [f"… and {number(hidden)} earlier changes"] if hidden > 0 else []
    return Reply("\n".join([head, "", title, *shown, *tail]), buttons)


def _watch_button(profile: PersonProfile) -> Button:
    if profile.is_watched:
        data = WhoWatch(user_id=profile.user_id, on=False).pack()
        return Button("🔕 Stop change alerts", callback=data)
    return Button(
        "🔔 Alert me when they change", callback=WhoWatch(user_id=profile.user_id, on=True).pack()
    )


def _profile_lines(profile: PersonProfile, tz: ZoneInfo) -> list[str]:
    first = [f"👤 <b>{fit(profile.display_name, NAME_UNITS)}</b>"]
    if profile.username:
        first.append(f"@{fit(profile.username, NAME_UNITS)}")
    first.append(f"id <code>{profile.user_id}</code>")
    first += _flags(profile.is_bot, profile.is_deleted)
    first += [name for name, on in _badges(profile) if on]
    lines = [" · ".join(first)]
    if profile.former_username:
        lines.append(f"<i>@{fit(profile.former_username, NAME_UNITS)} was their username</i>")
    if profile.phone:
        lines.append(f"Phone: {fit(profile.phone, 40)}")
    if profile.bio:
        lines.append(f"Bio: {fit(profile.bio, BIO_UNITS)}")
    if profile.is_watched:
        lines.append("🔔 Admins are alerted when this person changes")
    last = f", the last on {when(profile.last_message_at, tz)}" if profile.message_count else ""
    lines.append(f"Messages in the archive: {number(profile.message_count)}{last}")
    lines.append(
        f"First seen {when(profile.first_seen_at, tz)} · updated {when(profile.updated_at, tz)}"
    )
    if profile.message_count:
        lines.append(f"Their messages: <code>/search from:{profile.user_id}</code>")
    return lines


def _badges(profile: PersonProfile) -> list[tuple[str, bool]]:
    return [("✔ verified", profile.is_verified), ("⚠️ scam", profile.is_scam),
            ("⚠️ fake", profile.is_fake)]  # fmt: skip


def _change_line(change: ProfileChange, tz: ZoneInfo) -> str:
    at = when(change.changed_at, tz)
    if change.field == "photo_id":
        return f"• {at} · profile photo changed"
    if change.field == "is_deleted":
        state = "deleted" if change.new_value == "True" else "restored"
        return f"• {at} · account {state}"
    name = FIELD_NAMES.get(change.field, change.field)
    old, new = _value(change.field, change.old_value), _value(change.field, change.new_value)
    return f"• {at} · {fit(name, 32)}: {old} → {new}"


def _value(field: str, value: str | None) -> str:
    if not value:
        return "—"
    shown = f"@{value}" if field == "username" else value
    return fit(" ".join(shown.split()), VALUE_UNITS)

"""A deterministic, realistic Telegram Desktop export written to disk a message at a time.

``generate_export`` never holds more than one message in memory, so it can write the 1M-message
file the import benchmark reads. The mix follows what real exports contain: mostly text (some
with entities, mixed scripts), photos and files (most as "not included" placeholders), service
actions, replies, forwards, edits, reactions, polls and locations.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

START = 1_640_995_200  # 2022-01-01T00:00:00Z
SPAN = 2 * 365 * 86_400  # two years of history
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
LANGUAGE_LINES = (
    "the meeting is moved to tomorrow at noon please bring the report and the new numbers",
    "la reunión se mueve a mañana por la tarde año niño acción información teléfono dirección",
    "привет как дела встреча завтра в офисе отчёт готов спасибо",
    "مرحبا كَيْفَ الحَالُ الاجتماع غدا شكرا",
    "我们 明天 开会 请 带上 报告 谢谢 東京 会議 資料",
)
WORDS = tuple(word for line in LANGUAGE_LINES for word in line.split())
NAMES = ("Ana García", "José Núñez", "Дмитрий Иванов", "فاطمة الزهراء", "王伟", "Lucía Peña", None)
CHAT_TYPES = ("personal_chat", "private_supergroup", "public_channel", "private_group", "bot_chat")
ACTIONS = ("pin_message", "invite_members", "edit_group_title", "phone_call", "join_group_by_link")


def generate_export(path: Path, messages: int, seed: int, *, chats: int = 30) -> None:
    """Write ``messages`` messages over ``chats`` chats to ``path`` (one chat: single-chat form)."""
    rng = random.Random(seed)
    sizes = _chat_sizes(rng, messages, max(1, chats))
    with path.open("w", encoding="utf-8") as out:
        if len(sizes) == 1:
            _write_chat(out, rng, 0, sizes[0])
        else:
            _write_account(out, rng, sizes)
        out.write("\n")


def _chat_sizes(rng: random.Random, messages: int, chats: int) -> list[int]:
    weights = [1.0 / (rank + 1) for rank in range(chats)]
    total = sum(weights)
    sizes = [int(messages * w / total) for w in weights]
    sizes[0] += messages - sum(sizes)
    rng.shuffle(sizes)
    return sizes


def _write_account(out: IO[str], rng: random.Random, sizes: list[int]) -> None:
    out.write('{\n "about": "Here is the data you requested.",\n "personal_information": ')
    out.write(json.dumps({"user_id": 1001, "first_name": "Ana", "last_name": "García",
                          "phone_number": "+34 600 000 000", "username": "@ana"},
                         ensure_ascii=False))  # fmt: skip
    out.write(',\n "contacts": {"about": "Contacts.", "list": [')
    out.write(json.dumps({"user_id": 2002, "first_name": "José", "last_name": "Núñez",
                          "phone_number": "+34 611", "date": "2023-01-01T10:00:00",
                          "date_unixtime": "1672567200"}, ensure_ascii=False))  # fmt: skip
    out.write(']},\n "chats": {\n  "about": "This page lists all chats from this export.",\n')
    out.write('  "list": [')
    for ordinal, size in enumerate(sizes[:-1]):
        out.write(",\n" if ordinal else "\n")
        _write_chat(out, rng, ordinal, size)
    out.write('\n  ]\n },\n "left_chats": {\n  "about": "Left chats.",\n  "list": [\n')
    _write_chat(out, rng, len(sizes) - 1, sizes[-1], chat_type="private_channel")
    out.write("\n  ]\n }\n}")


def _write_chat(
    out: IO[str], rng: random.Random, ordinal: int, size: int, chat_type: str | None = None
) -> None:
    kind = chat_type or CHAT_TYPES[ordinal % len(CHAT_TYPES)]
    bare_id = 1_500_000_000 + ordinal * 7919
    header = {"name": f"Chat {ordinal} — «{rng.choice(WORDS)}»", "type": kind, "id": bare_id}
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',\n "messages": [')
    for index, message in enumerate(_messages(rng, size, ordinal)):
        out.write(",\n  " if index else "\n  ")
        out.write(json.dumps(message, ensure_ascii=False))
    out.write("\n ]}")


def _messages(rng: random.Random, size: int, ordinal: int) -> Iterator[dict[str, Any]]:
    step = SPAN / max(size, 1)
    for number in range(1, size + 1):
        stamp = START + int(number * step) + rng.randint(0, max(int(step) - 1, 0)) + ordinal
        yield _message(rng, number, stamp)


def _message(rng: random.Random, number: int, stamp: int) -> dict[str, Any]:
    base: dict[str, Any] = {"id": number, "type": "message", **_date("date", stamp)}
    roll = rng.random()
    if roll < 0.03:
        return _service(rng, base, number)
    sender = rng.randrange(len(NAMES))
    base.update({"from": NAMES[sender], "from_id": f"user{2000 + sender}"})
    if rng.random() < 0.05:
        base.update(_date("edited", stamp + rng.randint(10, 3600)))
    if rng.random() < 0.1 and number > 1:
        base["reply_to_message_id"] = rng.randint(max(1, number - 50), number - 1)
    if rng.random() < 0.03:
        base["forwarded_from"] = rng.choice(NAMES)
    base.update(_media(rng, number, roll))
    _add_text(rng, base)
    if rng.random() < 0.05:
        base["reactions"] = [{"type": "emoji", "count": rng.randint(1, 9), "emoji": "👍"}]
    return base


def _date(key: str, stamp: int) -> dict[str, str]:
    local = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return {key: local, f"{key}_unixtime": str(stamp)}


def _service(rng: random.Random, base: dict[str, Any], number: int) -> dict[str, Any]:
    action = rng.choice(ACTIONS)
    base.update({"type": "service", "actor": rng.choice(NAMES), "actor_id": "user2001",
                 "action": action})  # fmt: skip
    if action == "pin_message":
        base["message_id"] = max(1, number - 1)
    elif action == "invite_members":
        base["members"] = [rng.choice(NAMES)]
    elif action == "edit_group_title":
        base["title"] = " ".join(rng.choices(WORDS, k=3))
    elif action == "phone_call":
        base.update({"duration_seconds": rng.randint(1, 900), "discard_reason": "hangup"})
    else:
        base["inviter"] = rng.choice(NAMES)
    base.update({"text": "", "text_entities": []})
    return base


def _media(rng: random.Random, number: int, roll: float) -> dict[str, Any]:
    if roll < 0.11:
        return {"photo": PLACEHOLDER, "width": 1280, "height": 960}
    if roll < 0.15:
        kind = rng.choice(("video_file", "voice_message", "sticker", "animation", "audio_file"))
        return {"file": PLACEHOLDER, "file_size": rng.randint(1_000, 9_000_000),
                "media_type": kind, "mime_type": "video/mp4", "duration_seconds": 12}  # fmt: skip
    if roll < 0.155:
        return {"poll": {"question": "¿Mañana?", "closed": False, "total_voters": 3,
                         "answers": [{"text": "Sí", "voters": 2, "chosen": True},
                                     {"text": "No", "voters": 1, "chosen": False}]}}  # fmt: skip
    if roll < 0.16:
        return {"location_information": {"latitude": 40.4168, "longitude": -3.7038}}
    return {}


def _add_text(rng: random.Random, message: dict[str, Any]) -> None:
    words = rng.choices(WORDS, k=rng.randint(0 if "photo" in message else 1, 24))
    body = " ".join(words)
    if body and rng.random() < 0.15:
        link = "https://t.me/example"
        parts = [{"type": "plain", "text": body + " "}, {"type": "link", "text": link}]
        message["text"] = [body + " ", {"type": "link", "text": link}]
        message["text_entities"] = parts
        return
    message["text"] = body
    message["text_entities"] = [{"type": "plain", "text": body}] if body else []

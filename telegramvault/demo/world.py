"""The demo's simulated Telegram: the content of ``content`` written into a FakeTelegram, with
the one failure the demo shows (the photo's first download) injected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telethon.tl import functions

from telegramvault.demo.content import (
    ACCOUNT_USERNAME,
    CHATS,
    NEWS,
    PEOPLE,
    PHOTO_POST,
    ChatScript,
)
from tests.fakes.telegram import FakeChat, FakeFile, FakeTelegram, FakeUser, rpc_error

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
# A small, valid JPEG header and body: media validation checks the magic bytes.
PHOTO_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 64 + b"\xff\xd9"


@dataclass
class DemoWorld:
    """The scripted Telegram and the handles the scenario needs."""

    telegram: FakeTelegram
    people: dict[str, FakeUser] = field(default_factory=dict)
    chats: dict[str, FakeChat] = field(default_factory=dict)
    scripts: dict[str, ChatScript] = field(default_factory=dict)
    photo: FakeFile | None = None

    @property
    def news(self) -> FakeChat:
        return self.chats[NEWS]

    def joined(self) -> list[ChatScript]:
        return [script for script in self.scripts.values() if script.joined]

    def post_live(self, chat_key: str, person_key: str, text: str) -> None:
        """A new message pushed to the connected archiver, as Telegram pushes it."""
        self.telegram.live.post(self.chats[chat_key], text, self.people[person_key])


def build_world() -> DemoWorld:
    telegram = FakeTelegram(start=START, step=timedelta(minutes=7))
    telegram.me.username = ACCOUNT_USERNAME
    world = DemoWorld(telegram)
    for person in PEOPLE:
        world.people[person.key] = telegram.add_user(
            person.first_name, last_name=person.last_name, username=person.username
        )
    for script in CHATS:
        world.chats[script.key] = _add_chat(world, script)
        world.scripts[script.key] = script
    _fail_first_photo_download(world)
    return world


def _add_chat(world: DemoWorld, script: ChatScript) -> FakeChat:
    telegram = world.telegram
    adders = {
        "channel": telegram.add_channel,
        "supergroup": telegram.add_supergroup,
        "group": telegram.add_group,
    }
    chat = adders[script.kind](script.title, username=script.username, member=script.joined)
    for number, (person, text) in enumerate(script.lines, start=1):
        sender = world.people[person] if person else None
        if script.key == NEWS and number == PHOTO_POST:
            world.photo = telegram.add_photo(PHOTO_BYTES)
            telegram.post(chat, text, sender, media=world.photo)
        else:
            telegram.post(chat, text, sender)
    return chat


def _fail_first_photo_download(world: DemoWorld) -> None:
    """The photo's file reference expires during its first download, and again right after
    the archiver refreshes it: that download fails, and a later retry gets the file."""
    get_file = functions.upload.GetFileRequest
    faults = world.telegram.faults
    first = faults.received[get_file.__name__] + 1
    for nth in (first, first + 1):
        faults.fail(get_file, nth=nth, error=lambda r: rpc_error(r, 400, "FILE_REFERENCE_EXPIRED"))

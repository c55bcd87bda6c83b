"""TelethonGateway with the real Telethon client over the scripted Telegram: chats and media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from telethon import TelegramClient, errors
from telethon.sessions import MemorySession
from telethon.tl import functions

from core.error_categories import ErrorCategory
from core.errors import ConfigurationError, InvalidInputError, MediaUnavailableError, NotFoundError
from core.retry_policy import RetryPolicy
from services.archiver.telethon_adapter import create_client
from services.archiver.telethon_adapter.peers import AccessHashLookup
from tests.fakes.telegram import API_HASH, API_ID, FakeChat, FakeTelegram, FakeUser, rpc_error
from tests.fakes.telegram.archiver import GatewayStack, build_gateway

GetFile = functions.upload.GetFileRequest
MiB = 1024 * 1024


@dataclass
class Script:
    world: FakeTelegram
    ana: FakeUser
    news: FakeChat
    talk: FakeChat
    family: FakeChat
    secret: FakeChat


@pytest.fixture
def script() -> Script:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana_garcia")
    news = world.add_channel("News", username="news")
    talk = world.add_supergroup("Talk", username="talk")
    family = world.add_group("Family", participants_count=4)
    secret = world.add_channel("Secret", private=True)
    for chat in (news, talk, family, secret):
        world.fill(chat, 3, ana)
    world.post(ana, "hola")  # a private conversation
    return Script(world, ana, news, talk, family, secret)


@pytest.fixture
async def telegram(script: Script) -> AsyncIterator[GatewayStack]:
    stack = build_gateway(script.world)
    yield stack
    await stack.close()


@pytest.mark.parametrize(
    "reference",
    [
        "@talk",
        "talk",
        "t.me/talk",
        "https://t.me/talk/2",
        "https://t.me/s/talk",
        "tg://resolve?domain=talk",
    ],
)
async def test_a_public_chat_resolves_from_every_username_form(
    script: Script, telegram: GatewayStack, reference: str
) -> None:
    resolved = await telegram.gateway.resolve_chat(reference)
    assert (resolved.chat.id, resolved.chat.kind, resolved.chat.title) == (
        script.talk.marked_id,
        "supergroup",
        "Talk",
    )
    assert script.world.log.count(functions.contacts.ResolveUsernameRequest) == 1


async def test_private_links_and_numeric_ids_resolve_through_the_dialogs(
    script: Script, telegram: GatewayStack
) -> None:
    by_link = await telegram.gateway.resolve_chat(f"https://t.me/c/{script.news.id}/3")
    by_id = await telegram.gateway.resolve_chat(str(script.family.marked_id))
    person = await telegram.gateway.resolve_chat(str(script.ana.id))

    assert (by_link.chat.id, by_link.chat.kind, by_link.top_message_id) == (
        script.news.marked_id,
        "channel",
        3,
    )
    assert (by_id.chat.kind, by_id.chat.participants_count) == ("group", 4)
    assert (person.chat.id, person.chat.kind, person.chat.title) == (script.ana.id, "user", "Ana")


async def test_a_chat_seen_before_resolves_from_the_session_cache(
    script: Script, telegram: GatewayStack
) -> None:
    await telegram.gateway.resolve_chat("@news")
    again = await telegram.gateway.resolve_chat(str(script.news.marked_id))
    assert again.chat.title == "News"
    assert script.world.log.count(functions.messages.GetDialogsRequest) == 0
    assert script.world.log.count(functions.channels.GetChannelsRequest) == 1


@pytest.mark.parametrize(
    ("reference", "error", "message"),
    [
        ("@nobody_here", NotFoundError, "nobody uses this username"),
        ("-1009999999999", NotFoundError, "no such chat"),
        ("12345678", NotFoundError, "no such chat"),
        ("not a chat!", InvalidInputError, "not a chat reference"),
        ("https://t.me/+AbCdEfGh", InvalidInputError, "invite links"),
        ("https://example.com/talk", InvalidInputError, "not a chat reference"),
    ],
)
async def test_references_that_name_no_reachable_chat_fail_clearly(
    telegram: GatewayStack, reference: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await telegram.gateway.resolve_chat(reference)


async def test_a_private_channel_is_reported_as_unreachable(
    script: Script, telegram: GatewayStack
) -> None:
    stack = build_gateway(script.world, access_hashes=_known_hash(script.secret))
    try:
        with pytest.raises(NotFoundError, match="private"):
            await stack.gateway.resolve_chat(f"t.me/c/{script.secret.id}/1")
        with pytest.raises(NotFoundError, match="private"):
            await stack.gateway.fetch_history(script.secret.marked_id, offset_id=0, limit=100)
    finally:
        await stack.close()


def _known_hash(chat: FakeChat) -> AccessHashLookup:
    async def lookup(chat_id: int) -> int | None:
        return chat.access_hash if chat_id == chat.marked_id else None

    return lookup


async def test_history_of_a_private_conversation_names_the_person_as_the_chat(
    script: Script, telegram: GatewayStack
) -> None:
    history = await telegram.gateway.fetch_history(script.ana.id, offset_id=0, limit=100)
    assert [m.text for m in history.page.messages] == ["hola"]
    assert [m.sender_id for m in history.page.messages] == [script.ana.id]
    assert [(c.id, c.kind) for c in history.page.chats] == [(script.ana.id, "user")]


# -- media --------------------------------------------------------------------------------


def _post_file(script: Script, size: int) -> tuple[int, bytes]:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    file = script.world.add_document(data, "application/pdf", file_name="report.pdf")
    message = script.world.post(script.news, "the report", media=file)
    return message.id, data


async def _download(telegram: GatewayStack, chat_id: int, message_id: int) -> bytes:
    return b"".join([chunk async for chunk in telegram.gateway.download_media(chat_id, message_id)])


async def test_media_streams_in_chunks(script: Script, telegram: GatewayStack) -> None:
    message_id, data = _post_file(script, 2 * MiB + 1000)
    chunks = [c async for c in telegram.gateway.download_media(script.news.marked_id, message_id)]
    assert b"".join(chunks) == data
    assert [len(c) for c in chunks] == [512 * 1024] * 4 + [1000]


async def test_an_expired_file_reference_is_refreshed_and_the_bytes_recovered(
    script: Script, telegram: GatewayStack, caplog: pytest.LogCaptureFixture
) -> None:
    message_id, data = _post_file(script, 300_000)
    file_id = next(iter(f for f in script.world.files.values() if f.data == data)).id
    script.world.faults.expire_file_reference(file_id)

    assert await _download(telegram, script.news.marked_id, message_id) == data
    assert script.world.log.count(functions.channels.GetMessagesRequest) == 2  # located, refreshed
    served = script.world.log.served(GetFile)
    assert [r.location.file_reference for r in served] == [b"ref-1"]


async def test_an_expiry_mid_stream_resumes_where_the_bytes_stopped(
    script: Script, telegram: GatewayStack
) -> None:
    message_id, data = _post_file(script, 2 * MiB)
    file = next(f for f in script.world.files.values() if f.data == data)

    def expire(request: Any) -> BaseException:
        file.rotate_reference()
        return rpc_error(request, 400, "FILE_REFERENCE_EXPIRED")

    script.world.faults.fail(GetFile, nth=3, error=expire)

    assert await _download(telegram, script.news.marked_id, message_id) == data
    assert [r.offset for r in script.world.log.served(GetFile)] == [
        0,
        512 * 1024,
        MiB,
        3 * 512 * 1024,
    ]


async def test_a_flood_wait_between_chunks_is_waited_and_the_stream_goes_on(
    script: Script, telegram: GatewayStack
) -> None:
    message_id, data = _post_file(script, MiB + 10)
    script.world.faults.flood_wait(GetFile, nth=2, seconds=5)

    assert await _download(telegram, script.news.marked_id, message_id) == data
    assert telegram.sleep.calls == [5.0]
    assert [r.offset for r in script.world.log.served(GetFile)] == [0, 512 * 1024, MiB]


async def test_a_second_expiry_in_a_row_is_not_retried_forever(
    script: Script, telegram: GatewayStack
) -> None:
    message_id, _ = _post_file(script, 1000)
    script.world.faults.fail(
        GetFile, nth=1, error=lambda r: rpc_error(r, 400, "FILE_REFERENCE_EXPIRED")
    )
    script.world.faults.fail(
        GetFile, nth=2, error=lambda r: rpc_error(r, 400, "FILE_REFERENCE_EXPIRED")
    )
    with pytest.raises(errors.FileReferenceExpiredError):
        await _download(telegram, script.news.marked_id, message_id)
    assert script.world.log.count(GetFile) == 2


async def test_media_on_another_dc_come_through_telethons_exported_sender(
    script: Script, telegram: GatewayStack
) -> None:
    photo = script.world.add_photo(b"\xff\xd8" + b"p" * 5000, dc_id=4)
    message = script.world.post(script.news, "", media=photo)
    assert await _download(telegram, script.news.marked_id, message.id) == photo.data
    assert {e.dc_id for e in script.world.log.exchanges if isinstance(e.request, GetFile)} == {4}


@pytest.mark.parametrize("which", ["text only", "deleted"])
async def test_a_message_without_media_is_permanently_unavailable(
    script: Script, telegram: GatewayStack, which: str
) -> None:
    message = script.world.post(script.news, "no file here")
    if which == "deleted":
        script.world.delete(script.news, message.id)
    with pytest.raises(MediaUnavailableError):
        await _download(telegram, script.news.marked_id, message.id)


# -- account-level failures ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("inject", "error"),
    [
        ("revoke_session", errors.AuthKeyUnregisteredError),
        ("deactivate_account", errors.UserDeactivatedBanError),
    ],
)
async def test_a_dead_session_is_a_permanent_error_never_retried(
    script: Script, telegram: GatewayStack, inject: str, error: type[Exception]
) -> None:
    getattr(script.world.faults, inject)()
    with pytest.raises(ConfigurationError, match=r"revoked|deactivated") as raised:
        await telegram.gateway.fetch_history(script.talk.marked_id, offset_id=0, limit=100)
    cause = raised.value.__cause__
    assert isinstance(cause, error)
    assert telegram.retry.categorize_error(cause) is ErrorCategory.PERMANENT
    assert len(script.world.log.exchanges) == 1
    assert telegram.sleep.calls == []


async def test_a_flood_wait_over_the_cap_is_recorded_but_not_waited(script: Script) -> None:
    stack = build_gateway(script.world, policy=RetryPolicy(flood_wait_max=60.0))
    script.world.faults.flood_wait(functions.messages.GetHistoryRequest, nth=1, seconds=3600)
    try:
        with pytest.raises(errors.FloodWaitError):
            await stack.gateway.fetch_history(script.talk.marked_id, offset_id=0, limit=10)
    finally:
        await stack.close()
    assert stack.sleep.calls == []
    ledger = stack.retry.flood_ledger
    assert ledger is not None
    assert [(e.seconds, e.honoured) for e in ledger.recent()] == [(3600.0, False)]


async def test_a_retried_flood_wait_is_not_refused_by_telethons_own_memory(
    script: Script,
) -> None:
    # With updates on, Telethon remembers the wait by wall clock and would refuse the retry
    # locally, since the injected sleep does not pass real time.
    def with_updates() -> TelegramClient:
        return create_client(MemorySession(), API_ID, API_HASH, receive_updates=True)

    stack = build_gateway(script.world, factory=with_updates)
    script.world.faults.flood_wait(functions.messages.GetHistoryRequest, nth=1, seconds=30)
    try:
        history = await stack.gateway.fetch_history(script.talk.marked_id, offset_id=0, limit=10)
    finally:
        await stack.close()
    assert len(history.page.messages) == 3
    assert stack.sleep.calls == [30.0]
    assert script.world.log.count(functions.messages.GetHistoryRequest) == 2


def test_every_flood_wait_reaches_the_wrapper() -> None:
    client = create_client(MemorySession(), API_ID, API_HASH)
    assert client.flood_sleep_threshold == 0

"""The adapter's small pure parts: invite links, the client from settings, dead-session errors,
migration links and chat merging, live pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telethon import errors
from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import functions, types

from core.domain.archive import Deletion
from core.domain.messages import ChatInfo
from core.errors import ConfigurationError, InvalidInputError
from services.archiver.telethon_adapter.client import TEST_DC, client_from_settings
from services.archiver.telethon_adapter.invites import invite_hash
from services.archiver.telethon_adapter.live_pages import deletion_page
from services.archiver.telethon_adapter.messages import history_page
from services.archiver.telethon_adapter.migrations import merge_chats, migration_links
from services.archiver.telethon_adapter.session_errors import (
    ACCOUNT_DEACTIVATED,
    SESSION_REVOKED,
    session_error,
)
from tests.fakes.telegram import FakeTelegram, over_the_wire
from tests.fakes.telegram.archiver import telegram_settings
from tests.fakes.telegram.server import TelegramServer

WHEN = datetime(2025, 3, 1, tzinfo=UTC)
REQUEST = functions.updates.GetStateRequest()


@pytest.mark.parametrize(
    "link",
    [
        "https://t.me/+AbC_d-123",
        "t.me/+AbC_d-123",
        "http://www.telegram.me/joinchat/AbC_d-123/",
        "https://telegram.dog/+AbC_d-123",
        "tg://join?invite=AbC_d-123",
        "  https://t.me/joinchat/AbC_d-123  ",
    ],
)
def test_every_invite_link_form_gives_its_hash(link: str) -> None:
    assert invite_hash(link) == "AbC_d-123"


@pytest.mark.parametrize(
    "text", ["@news", "https://t.me/news", "https://t.me/+", "https://example.com/+AbCdEf", ""]
)
def test_anything_else_is_no_invite_link(text: str) -> None:
    with pytest.raises(InvalidInputError, match="not an invite link"):
        invite_hash(text)


# -- the client from settings ----------------------------------------------------------------


def test_the_client_receives_updates_in_order_and_leaves_flood_waits_to_the_wrapper() -> None:
    client = client_from_settings(telegram_settings(), None)
    assert client.flood_sleep_threshold == 0
    assert client._sequential_updates is True
    assert client._no_updates is False
    assert client.session.auth_key is None  # a new session, for logging in


def test_missing_api_credentials_and_a_broken_session_string_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="TELEGRAM_API_ID"):
        client_from_settings(telegram_settings(TELEGRAM_API_ID=""), None)
    with pytest.raises(ConfigurationError, match="not a valid Telethon string session"):
        client_from_settings(telegram_settings(), "1not-base64!")


def _saved_session(dc_id: int, address: str) -> str:
    session = StringSession()
    session.set_dc(dc_id, address, 443)
    session.auth_key = AuthKey(b"k" * 256)
    return str(session.save())


def test_a_new_session_starts_on_the_configured_or_test_data_centre() -> None:
    custom = telegram_settings(
        TELEGRAM_DC_ID="3", TELEGRAM_DC_ADDRESS="10.1.2.3", TELEGRAM_DC_PORT="8443"
    )
    session = client_from_settings(custom, None).session
    assert (session.dc_id, session.server_address, session.port) == (3, "10.1.2.3", 8443)
    test = client_from_settings(telegram_settings(TELEGRAM_TEST_SERVERS="true"), None).session
    assert (test.dc_id, test.server_address, test.port) == TEST_DC


def test_a_saved_session_keeps_its_data_centre_and_takes_a_new_address_for_it() -> None:
    custom = telegram_settings(
        TELEGRAM_DC_ID="2", TELEGRAM_DC_ADDRESS="10.1.2.3", TELEGRAM_DC_PORT="8443"
    )
    moved = client_from_settings(custom, _saved_session(4, "10.9.9.9")).session
    assert (moved.dc_id, moved.server_address) == (4, "10.9.9.9")  # Telegram moved it there
    same = client_from_settings(custom, _saved_session(2, "10.9.9.9")).session
    assert (same.dc_id, same.server_address, same.port) == (2, "10.1.2.3", 8443)
    assert same.auth_key == AuthKey(b"k" * 256)


# -- dead sessions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (errors.AuthKeyUnregisteredError(REQUEST), SESSION_REVOKED),
        (errors.SessionRevokedError(REQUEST), SESSION_REVOKED),
        (errors.AuthKeyDuplicatedError(REQUEST), SESSION_REVOKED),
        (errors.UserDeactivatedBanError(REQUEST), ACCOUNT_DEACTIVATED),
        (errors.UserDeactivatedError(REQUEST), ACCOUNT_DEACTIVATED),
    ],
)
def test_dead_sessions_become_one_clear_configuration_error(error: Exception, message: str) -> None:
    translated = session_error(error)
    assert translated is not None
    assert (translated.report, translated.exit_code) == (message, 78)


def test_other_errors_are_left_alone() -> None:
    assert session_error(errors.FloodWaitError(REQUEST, capture=5)) is None
    assert session_error(errors.SessionPasswordNeededError(REQUEST)) is None
    assert session_error(ValueError("no")) is None


# -- migrations and merging ------------------------------------------------------------------


def test_either_migration_message_links_both_chats() -> None:
    to = types.MessageService(
        id=9, peer_id=types.PeerChat(77), date=WHEN,
        action=types.MessageActionChatMigrateTo(channel_id=1234),
    )  # fmt: skip
    came = types.MessageService(
        id=1, peer_id=types.PeerChannel(1234), date=WHEN,
        action=types.MessageActionChannelMigrateFrom(title="Family", chat_id=77),
    )  # fmt: skip
    plain = types.Message(id=2, peer_id=types.PeerChannel(1234), date=WHEN, message="hi")
    expected = [
        ChatInfo(id=-77, kind="group", migrated_to_id=-1000000001234),
        ChatInfo(id=-1000000001234, kind="supergroup", migrated_from_id=-77),
    ]
    assert migration_links([to, plain]) == expected
    assert migration_links([came]) == expected


def test_merging_keeps_what_any_sighting_knew() -> None:
    merged = merge_chats(
        [
            ChatInfo(id=-100, kind="supergroup", title="Old", migrated_from_id=-5),
            ChatInfo(id=-7, kind="group", title="Other"),
            ChatInfo(id=-100, kind="supergroup", title="New", username="talk"),
        ]
    )
    assert merged == [
        ChatInfo(id=-100, kind="supergroup", title="New", username="talk", migrated_from_id=-5),
        ChatInfo(id=-7, kind="group", title="Other"),
    ]


def test_a_deletion_names_its_chat_only_when_telegram_did() -> None:
    in_channel = deletion_page([4, 5], -1000000001234, WHEN)
    elsewhere = deletion_page([6], None, WHEN)
    assert in_channel.deletions == [Deletion((4, 5), WHEN, -1000000001234)]
    assert elsewhere.deletions == [Deletion((6,), WHEN, None)]
    assert (len(in_channel), in_channel.messages, in_channel.observed_at) == (1, [], WHEN)


def test_a_backfilled_supergroup_learns_where_it_came_from() -> None:
    world = FakeTelegram()
    group = world.add_group("Family")
    supergroup = world.migrate(group)
    peer = types.InputPeerChannel(supergroup.id, supergroup.access_hash)
    request = functions.messages.GetHistoryRequest(peer, 0, None, 0, 100, 0, 0, 0)
    raw = over_the_wire(request, TelegramServer(world).handle(request, 2))

    page = history_page(raw, supergroup.marked_id)

    chats = {chat.id: chat for chat in page.chats}
    assert chats[supergroup.marked_id].migrated_from_id == group.marked_id
    assert chats[supergroup.marked_id].title == supergroup.title  # the entity's fields stay
    assert chats[group.marked_id].migrated_to_id == supergroup.marked_id

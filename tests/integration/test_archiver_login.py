"""``telegramvault login`` end to end: the real Telethon client (built by the product from the
settings) over the scripted Telegram, which checks login codes, verifies the SRP proof of the
two-step password and issues QR tokens; scripted answers instead of a terminal."""

from __future__ import annotations

import argparse
import stat
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telethon import TelegramClient
from telethon.tl import functions

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.errors import ConfigurationError, InvalidInputError
from services.archiver.session_store import EncryptedSessionStore
from services.archiver.telethon_adapter.client import client_from_settings
from services.archiver.telethon_adapter.connection import connect_account
from services.archiver.telethon_adapter.login import LoginPrompts
from telegramvault.login_command import (
    STRING_SESSION_NOTE,
    add_login_parser,
    cmd_login,
    console_prompts,
    login,
    print_qr,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import SETTINGS_API_HASH
from tests.fakes.telegram.client import API_ID, fake_client

SECRET_KEY = "k3Q9vX2mP7rT5wY8zA1bC4dE6fG0hJ2L"
PHONE = "+34 600 000 001"
PASSWORD = "correct horse battery staple"
SendCode = functions.auth.SendCodeRequest
SignIn = functions.auth.SignInRequest
CheckPassword = functions.auth.CheckPasswordRequest
ImportLoginToken = functions.auth.ImportLoginTokenRequest


@dataclass
class Person:
    """Answers the prompts from a script and remembers everything shown."""

    answers: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    qr_urls: list[str] = field(default_factory=list)
    on_qr: Callable[[str], None] | None = None

    def answer(self, question: str) -> str:
        self.asked.append(question)
        return self.answers.pop(0)

    def show_qr(self, url: str) -> None:
        self.qr_urls.append(url)
        if self.on_qr is not None:
            self.on_qr(url)

    def prompts(self) -> LoginPrompts:
        return LoginPrompts(self.answer, self.answer, self.said.append, self.show_qr)

    @property
    def output(self) -> str:
        return "\n".join([*self.asked, *self.said, *self.qr_urls])


@pytest.fixture
def world() -> FakeTelegram:
    world = FakeTelegram()
    world.me.phone = "34600000001"
    return world


def make_config(tmp_path: Path, **environ: str) -> ConfigManager:
    values = {
        "TELEGRAM_API_ID": str(API_ID),
        "TELEGRAM_API_HASH": SETTINGS_API_HASH,
        "SECRET_KEY": SECRET_KEY,
        "DATA_DIR": str(tmp_path),
        "TELEGRAM_SESSION_FILE": str(tmp_path / "account.session"),
        **environ,
    }
    return ConfigManager(env_file=None, environ=values)


def over_the_fake(world: FakeTelegram) -> Callable[[TelegramSettings, str | None], TelegramClient]:
    """The product's client factory, with the fake sender in place of the network."""

    def factory(settings: TelegramSettings, session: str | None) -> TelegramClient:
        return fake_client(world, lambda: client_from_settings(settings, session), signed_in=False)

    return factory


def stored_session(tmp_path: Path) -> str:
    session = EncryptedSessionStore(tmp_path / "account.session", SECRET_KEY).load()
    assert session
    return session


async def logged_in_as(world: FakeTelegram, tmp_path: Path, config: ConfigManager) -> int:
    """Start a new client from the stored session, as the archiver will: whose account is it?"""
    settings = config.settings.telegram
    client = over_the_fake(world)(settings, stored_session(tmp_path))
    try:
        me = await connect_account(client, APIRetryWrapper(config))
    finally:
        await client.disconnect()
    return me.id


async def run(
    world: FakeTelegram, config: ConfigManager, person: Person, *, qr: bool = False
) -> int:
    return await login(config, qr=qr, prompts=person.prompts(), client_factory=over_the_fake(world))


# -- phone, code, password -------------------------------------------------------------------


async def test_phone_and_code_log_in_and_the_session_is_stored_encrypted_owner_only(
    world: FakeTelegram, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    person = Person(answers=[PHONE, world.auth.code])

    assert await run(world, config, person) == 0

    assert person.asked[0].startswith("Phone number")
    assert world.auth.sent_codes == ["34600000001"]
    assert [type(e.request) for e in world.log.exchanges if e.served].count(SignIn) == 1
    path = tmp_path / "account.session"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session = stored_session(tmp_path)
    assert session not in path.read_text()
    assert session not in person.output
    assert world.auth.code not in "\n".join(person.said)
    assert "Logged in as Vault Owner (@vault_owner)" in person.said[-1]
    assert await logged_in_as(world, tmp_path, config) == world.me.id


async def test_a_wrong_code_is_asked_again_and_too_many_give_up(
    world: FakeTelegram, tmp_path: Path
) -> None:
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE)
    person = Person(answers=["11111", world.auth.code])
    assert await run(world, config, person) == 0
    assert person.asked == ["Login code: ", "Login code: "]
    assert "That code is not right; try again." in person.said

    stubborn = Person(answers=["1", "2", "3"])
    with pytest.raises(InvalidInputError, match="too many wrong login codes"):
        await run(FakeTelegram(), make_config(tmp_path / "other", TELEGRAM_PHONE=PHONE), stubborn)


async def test_two_step_verification_is_proved_with_srp_and_a_wrong_password_asked_again(
    world: FakeTelegram, tmp_path: Path
) -> None:
    world.auth.set_password(PASSWORD, hint="the comic")
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE)
    person = Person(answers=[world.auth.code, "wrong password", PASSWORD])

    assert await run(world, config, person) == 0

    assert person.asked[1:] == ["Two-step verification password (hint: the comic): "] * 2
    checks = [e for e in world.log.exchanges if isinstance(e.request, CheckPassword)]
    assert [e.served for e in checks] == [False, True]  # the fake verified both proofs
    assert all(PASSWORD.encode() not in bytes(e.request) for e in checks)  # only a proof travels
    assert PASSWORD not in person.output
    assert await logged_in_as(world, tmp_path, config) == world.me.id


async def test_phone_and_password_from_the_configuration_leave_only_the_code_to_ask(
    world: FakeTelegram, tmp_path: Path
) -> None:
    world.auth.set_password(PASSWORD)
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE, TELEGRAM_PASSWORD=PASSWORD)
    person = Person(answers=[world.auth.code])
    assert await run(world, config, person) == 0
    assert person.asked == ["Login code: "]


async def test_a_wrong_configured_password_is_a_configuration_error(
    world: FakeTelegram, tmp_path: Path
) -> None:
    world.auth.set_password(PASSWORD)
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE, TELEGRAM_PASSWORD="not it")
    with pytest.raises(ConfigurationError, match="TELEGRAM_PASSWORD"):
        await run(world, config, Person(answers=[world.auth.code]))
    assert not (tmp_path / "account.session").exists()


@pytest.mark.parametrize(
    ("phone", "message"),
    [("12", "not valid"), ("+1 555 000 1234", "no Telegram account uses this phone number")],
)
async def test_a_phone_number_telegram_refuses_says_why(
    world: FakeTelegram, tmp_path: Path, phone: str, message: str
) -> None:
    person = Person(answers=[phone, world.auth.code])
    with pytest.raises(InvalidInputError, match=message):
        await run(world, make_config(tmp_path), person)


# -- QR code ---------------------------------------------------------------------------------


async def test_a_scanned_qr_code_logs_in_and_an_expired_one_is_replaced(
    world: FakeTelegram, tmp_path: Path
) -> None:
    world.auth.expire_next_qr_tokens = 1
    person = Person()
    person.on_qr = lambda url: world.auth.scan_qr(url) if len(person.qr_urls) == 2 else None

    assert await run(world, make_config(tmp_path), person, qr=True) == 0

    assert len(person.qr_urls) == 2
    assert all(url.startswith("tg://login?token=") for url in person.qr_urls)
    assert "The QR code expired; here is a new one." in person.said
    assert world.auth.sent_codes == []
    assert await logged_in_as(world, tmp_path, make_config(tmp_path)) == world.me.id


async def test_a_qr_login_for_an_account_on_another_dc_migrates_and_imports_the_token(
    world: FakeTelegram, tmp_path: Path
) -> None:
    world.auth.home_dc = 4
    world.auth.set_password(PASSWORD)
    person = Person(answers=[PASSWORD])
    person.on_qr = world.auth.scan_qr
    config = make_config(tmp_path)

    assert await run(world, config, person, qr=True) == 0

    assert world.log.count(ImportLoginToken) == 1
    assert [dc for dc, _, _ in world.log.connections] == [2, 4]
    assert (
        client_from_settings(config.settings.telegram, stored_session(tmp_path)).session.dc_id == 4
    )
    assert person.asked == ["Two-step verification password: "]


# -- sessions ---------------------------------------------------------------------------------


async def test_a_second_login_with_a_live_session_changes_nothing(
    world: FakeTelegram, tmp_path: Path
) -> None:
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE)
    await run(world, config, Person(answers=[world.auth.code]))
    before = stored_session(tmp_path)

    person = Person()
    assert await run(world, config, person) == 0

    assert "Already logged in as Vault Owner" in person.said[0]
    assert stored_session(tmp_path) == before
    assert len(world.auth.sent_codes) == 1


async def test_a_revoked_session_is_replaced_by_logging_in_again(
    world: FakeTelegram, tmp_path: Path
) -> None:
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE)
    await run(world, config, Person(answers=[world.auth.code]))
    old_key = over_the_fake(world)(config.settings.telegram, stored_session(tmp_path))
    world.auth.revoke(old_key.session.auth_key)
    with pytest.raises(ConfigurationError, match="revoked: run 'telegramvault login' again"):
        await logged_in_as(world, tmp_path, config)

    assert await run(world, config, Person(answers=[world.auth.code])) == 0
    assert await logged_in_as(world, tmp_path, config) == world.me.id


async def test_a_configured_string_session_is_reported_and_nothing_secret_printed(
    world: FakeTelegram, tmp_path: Path
) -> None:
    secret_session = "1" + "A" * 352
    config = make_config(tmp_path, TELEGRAM_SESSION_STRING=secret_session)
    person = Person()
    assert await run(world, config, person) == 0
    assert person.said == [STRING_SESSION_NOTE]
    assert secret_session not in person.output
    assert world.log.exchanges == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TELEGRAM_DC_ID": "2", "TELEGRAM_DC_ADDRESS": "10.0.0.5", "TELEGRAM_DC_PORT": "8443"},
         (2, "10.0.0.5", 8443)),
        ({"TELEGRAM_TEST_SERVERS": "true"}, (2, "149.154.167.40", 443)),
    ],
)  # fmt: skip
async def test_a_custom_or_test_data_centre_is_where_the_login_connects(
    world: FakeTelegram, tmp_path: Path, environ: dict[str, str], expected: tuple[int, str, int]
) -> None:
    config = make_config(tmp_path, TELEGRAM_PHONE=PHONE, **environ)
    assert await run(world, config, Person(answers=[world.auth.code])) == 0

    assert world.log.connections[0] == expected
    session = client_from_settings(config.settings.telegram, stored_session(tmp_path)).session
    assert (session.dc_id, session.server_address, session.port) == expected


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"TELEGRAM_API_ID": ""}, "TELEGRAM_API_ID"),
        ({"TELEGRAM_DC_ID": "2", "TELEGRAM_DC_ADDRESS": "dc.example.org"}, "TELEGRAM_DC"),
    ],
)
async def test_a_configuration_that_cannot_log_in_is_refused_before_any_request(
    world: FakeTelegram, tmp_path: Path, environ: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=key):
        await run(world, make_config(tmp_path, **environ), Person(answers=[PHONE]))
    assert world.log.exchanges == []


# -- the command line ------------------------------------------------------------------------


def test_the_login_command_is_registered_with_its_options() -> None:
    parser = argparse.ArgumentParser(prog="telegramvault")
    add_login_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["login", "--qr", "--env-file", "prod.env"])
    assert (args.handler, args.qr, args.env_file) == (cmd_login, True, "prod.env")
    assert parser.parse_args(["login"]).qr is False


def test_the_command_with_a_string_session_only_prints_the_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args: Any = argparse.Namespace(qr=False)
    config = make_config(tmp_path, TELEGRAM_SESSION_STRING="1" + "B" * 352)
    assert cmd_login(args, config) == 0
    out = capsys.readouterr().out
    assert out.strip() == STRING_SESSION_NOTE


def test_the_qr_url_is_printed_and_drawn_when_qrcode_is_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "tg://login?token=AbCd"
    monkeypatch.setitem(sys.modules, "qrcode", None)  # not installed
    print_qr(url)
    plain = capsys.readouterr().out
    assert url in plain
    assert "install the 'qrcode' package" in plain

    drawn: list[str] = []

    class FakeCode:
        def __init__(self, border: int) -> None:
            self.data = ""

        def add_data(self, data: str) -> None:
            self.data = data

        def make(self, fit: bool) -> None:
            return None

        def print_ascii(self, out: Any, invert: bool) -> None:
            drawn.append(self.data)
            out.write("██ QR ██\n")

    monkeypatch.setitem(sys.modules, "qrcode", types.SimpleNamespace(QRCode=FakeCode))
    print_qr(url)
    assert drawn == [url]
    assert "██ QR ██" in capsys.readouterr().out


def test_no_terminal_to_answer_on_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def closed_stdin(question: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", closed_stdin)
    with pytest.raises(InvalidInputError, match="TELEGRAM_PHONE"):
        console_prompts().ask("Phone number: ")

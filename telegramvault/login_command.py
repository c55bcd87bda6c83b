"""``telegramvault login``: log the archiving Telegram account in and store its session encrypted.

Registered by ``add_login_parser``. Needs TELEGRAM_API_ID/TELEGRAM_API_HASH and SECRET_KEY. It
logs in the account TELEGRAM_ACCOUNT names (``main`` by default) and stores its session
encrypted, owner-only, where that account's archiver looks for it (TELEGRAM_SESSION_FILE, or a
file per account in DATA_DIR: see ``account_session_file``). TELEGRAM_PHONE and
TELEGRAM_PASSWORD are used when set, else asked for; ``--qr`` logs in by scanning a QR code in a
Telegram app instead. Nothing secret is printed: not the session, not the code or password.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import sys
from collections.abc import Callable
from typing import Any

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.config_spec import DEFAULT_ACCOUNT
from core.errors import ConfigurationError, InvalidInputError
from services.archiver.session_store import EncryptedSessionStore, account_session_file
from services.archiver.telethon_adapter.login import ClientFactory, LoginPrompts, log_in

EX_OK = 0
GENERAL_KEYS = ("SECRET_KEY", "DATA_DIR", "env file")
STRING_SESSION_NOTE = (
    "TELEGRAM_SESSION_STRING is set: the archiver uses that string session, so there is nothing "
    "to log in. Unset it to log in here and keep the session in TELEGRAM_SESSION_FILE."
)
QR_HELP = (
    "Scan it in a Telegram app where this account is logged in: Settings > Devices > "
    "Link Desktop Device."
)


def add_login_parser(subparsers: Any) -> None:
    """Register ``login`` on the CLI's sub-parsers (``argparse._SubParsersAction``)."""
    parser = subparsers.add_parser(
        "login", help="log the archiving Telegram account in (phone and code, or --qr)"
    )
    parser.add_argument(
        "--qr", action="store_true", help="log in by scanning a QR code in a Telegram app"
    )
    parser.add_argument(
        "--env-file", default=".env", help="configuration file read besides the environment"
    )
    parser.set_defaults(handler=cmd_login)


def cmd_login(args: argparse.Namespace, config: ConfigManager) -> int:
    """Log in at the terminal; errors reach the CLI's usual messages and exit codes."""
    return asyncio.run(login(config, qr=args.qr, prompts=console_prompts()))


async def login(
    config: ConfigManager,
    *,
    qr: bool,
    prompts: LoginPrompts,
    client_factory: ClientFactory | None = None,
) -> int:
    """The command without the terminal: prompts and the Telegram client are injectable."""
    _require_login_keys(config)
    settings = config.settings
    if settings.telegram.session_string:
        prompts.say(STRING_SESSION_NOTE)
        return EX_OK
    store = EncryptedSessionStore(account_session_file(config), settings.core.secret_key or "")
    logged = await log_in(
        settings.telegram, prompts, APIRetryWrapper(config), qr=qr,
        session_string=store.load(), client_factory=client_factory,
    )  # fmt: skip
    who = _display(logged.user.first_name, logged.user.last_name, logged.user.username)
    who += _account_note(settings.telegram.account)
    if logged.already:
        prompts.say(f"Already logged in as {who}; the session in {store.path} is unchanged.")
        return EX_OK
    store.save(logged.session_string)
    prompts.say(f"Logged in as {who}. The session is stored encrypted in {store.path}.")
    return EX_OK


def _require_login_keys(config: ConfigManager) -> None:
    config.load()
    problems = [
        p
        for p in config.problems(("archiver",))
        if (key := p.split(":", 1)[0]).startswith("TELEGRAM_") or key in GENERAL_KEYS
    ]
    if problems:
        report = "\n".join(["Configuration cannot log in:", *(f"  - {p}" for p in problems)])
        raise ConfigurationError(report, problems)


def _account_note(account: str) -> str:
    """Names the account label only when it is not the default one (a multi-account vault)."""
    return "" if account == DEFAULT_ACCOUNT else f" for the account '{account}'"


def _display(first: str | None, last: str | None, username: str | None) -> str:
    name = " ".join(part for part in (first, last) if part) or "this account"
    return f"{name} (@{username})" if username else name


def console_prompts() -> LoginPrompts:
    return LoginPrompts(
        ask=_at_terminal(input),
        ask_secret=_at_terminal(getpass.getpass),
        say=print,
        show_qr=print_qr,
    )


def _at_terminal(read: Callable[[str], str]) -> Callable[[str], str]:
    def ask(question: str) -> str:
        try:
            return read(question)
        except EOFError:
            raise InvalidInputError(
                "no terminal to answer on: run 'telegramvault login' interactively "
                "(TELEGRAM_PHONE and TELEGRAM_PASSWORD spare two of the questions)"
            ) from None

    return ask


def print_qr(url: str) -> None:
    """The login URL, and the QR code itself when the optional ``qrcode`` package is there."""
    print(f"Log in by QR code: {url}")
    try:
        qrcode = importlib.import_module("qrcode")  # optional: not a dependency, nicer output
    except ImportError:
        print("(install the 'qrcode' package to see the code here, or turn the URL into one)")
    else:
        code = qrcode.QRCode(border=1)
        code.add_data(url)
        code.make(fit=True)
        code.print_ascii(out=sys.stdout, invert=True)
    print(QR_HELP)

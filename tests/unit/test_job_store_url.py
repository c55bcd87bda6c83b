"""The scheduler's job store reaches PostgreSQL with the TLS the vault's URL asks for."""

from __future__ import annotations

import ssl

import pytest
from sqlalchemy.engine import make_url

from core.errors import ConfigurationError
from services.jobs.store import postgres_connect_args, store_url

BASE = "postgresql+asyncpg://vault:pw@db.example:5432/vault"


def test_the_store_uses_a_synchronous_driver() -> None:
    assert store_url(make_url(BASE)).drivername == "postgresql+pg8000"
    assert store_url(make_url("sqlite+aiosqlite:////data/vault.db")).drivername == "sqlite"


@pytest.mark.parametrize("query", ["", "?ssl=disable", "?sslmode=prefer"])
def test_plain_connections_get_no_tls_context(query: str) -> None:
    arguments = postgres_connect_args(make_url(BASE + query))
    assert "ssl_context" not in arguments
    assert arguments["application_name"] == "telegramvault-scheduler"


@pytest.mark.parametrize("query", ["?ssl=require", "?sslmode=require"])
def test_require_encrypts_without_checking_the_certificate(query: str) -> None:
    context = postgres_connect_args(make_url(BASE + query))["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_verify_full_checks_the_certificate_and_the_name() -> None:
    context = postgres_connect_args(make_url(BASE + "?sslmode=verify-full"))["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_verify_ca_checks_the_certificate_only() -> None:
    context = postgres_connect_args(make_url(BASE + "?ssl=verify-ca"))["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname


def test_an_unknown_mode_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigurationError, match="'sometimes'"):
        postgres_connect_args(make_url(BASE + "?sslmode=sometimes"))

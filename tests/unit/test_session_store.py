"""The session file: encrypted, owner-only, unreadable with another SECRET_KEY."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from services.archiver.session_store import EncryptedSessionStore

SESSION = "1BVtsOK4Bu" + "A" * 340
KEY = "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo"


def test_round_trip_is_encrypted_and_owner_only(tmp_path: Path) -> None:
    store = EncryptedSessionStore(tmp_path / "s" / "vault.session", KEY)
    assert store.load() is None
    store.save(SESSION)
    raw = store.path.read_bytes()
    assert SESSION.encode() not in raw
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == SESSION
    assert EncryptedSessionStore(store.path, KEY).load() == SESSION


def test_another_secret_key_gets_a_clear_error(tmp_path: Path) -> None:
    EncryptedSessionStore(tmp_path / "vault.session", KEY).save(SESSION)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not the one"):
        EncryptedSessionStore(tmp_path / "vault.session", KEY + "x").load()


def test_a_damaged_file_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "vault.session"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="damaged"):
        EncryptedSessionStore(path, KEY).load()


def test_saving_again_replaces_and_stays_private(tmp_path: Path) -> None:
    store = EncryptedSessionStore(tmp_path / "vault.session", KEY)
    store.save(SESSION)
    store.path.chmod(0o644)
    store.save(SESSION + "B")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == SESSION + "B"

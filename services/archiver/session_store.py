"""The Telegram session at rest: encrypted with a key derived from SECRET_KEY, owner-only file.

A session is a full login to the account, so it is never written in the clear. The file holds
a random salt and a Fernet token (AES-128-CBC + HMAC-SHA256) over Telethon's string session; the
key comes from SECRET_KEY through PBKDF2-HMAC-SHA256. A wrong SECRET_KEY cannot decrypt it.

Each account (TELEGRAM_ACCOUNT) has a file of its own, so several archivers can share DATA_DIR;
``telegramvault login`` and the archiver find it with ``account_session_file``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from core.config_manager import ConfigManager
from core.config_spec import DEFAULT_ACCOUNT
from core.errors import ConfigurationError

FORMAT_VERSION = 1
KDF_ITERATIONS = 390_000
OWNER_ONLY = 0o600


def account_session_file(config: ConfigManager) -> Path:
    """Where the session of the configured account lives.

    TELEGRAM_SESSION_FILE when it is set. Otherwise the default account keeps the file it
    always had (``<DATA_DIR>/telegramvault.session``: a single-account vault logs in once) and
    any other account has ``<DATA_DIR>/sessions/<account>.session``.
    """
    settings = config.settings
    account = settings.telegram.account
    if account == DEFAULT_ACCOUNT:
        return settings.telegram.session_file
    own = settings.core.data_dir / "sessions" / f"{account}.session"
    return config.get_path("TELEGRAM_SESSION_FILE", own)


def _fernet(secret_key: str, salt: bytes) -> Fernet:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=KDF_ITERATIONS)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(secret_key.encode("utf-8"))))


class EncryptedSessionStore:
    """Load and save one account's string session at ``path``."""

    def __init__(self, path: Path, secret_key: str) -> None:
        if not secret_key:
            raise ConfigurationError("SECRET_KEY is required to store the Telegram session")
        self.path = path
        self._secret_key = secret_key

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> str | None:
        """The string session, or None when no session was saved yet."""
        if not self.path.is_file():
            return None
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            salt = base64.b64decode(document["salt"])
            token = document["token"].encode("ascii")
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigurationError(
                f"the session file {self.path} is damaged ({type(error).__name__}); "
                "remove it and run 'telegramvault login' again"
            ) from error
        try:
            return _fernet(self._secret_key, salt).decrypt(token).decode("utf-8")
        except InvalidToken as error:
            raise ConfigurationError(
                f"the session file {self.path} cannot be decrypted: SECRET_KEY is not the one it "
                "was saved with (restore that key, or log in again)"
            ) from error

    def save(self, session_string: str) -> None:
        """Write atomically with owner-only permissions (the temp file is never world-readable)."""
        salt = secrets.token_bytes(16)
        token = _fernet(self._secret_key, salt).encrypt(session_string.encode("utf-8"))
        document = {
            "version": FORMAT_VERSION,
            "salt": base64.b64encode(salt).decode("ascii"),
            "token": token.decode("ascii"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.chmod(temp, OWNER_ONLY)  # an existing temp file keeps its old mode otherwise
        os.replace(temp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)

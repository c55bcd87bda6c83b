"""Secret redaction for log events and rendered log lines: no secret reaches a log, ever."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"

# Secrets shorter than this would match inside ordinary ids and words.
MIN_SECRET_LENGTH = 4

_MAX_DEPTH = 12

# Every pattern begins with a literal so that the regex engine can skip ahead to candidates:
# patterns that begin with a character class cost ~50x more on digit-heavy JSON lines.
# The secret half of a bot token ("<bot id>:<secret>"); the 5+ digits before it are checked apart.
_BOT_TOKEN_SECRET = re.compile(r":[A-Za-z0-9_-]{30,}")
_BOT_ID_MIN_DIGITS = 5
_BOT_TOKEN_MIN_LENGTH = _BOT_ID_MIN_DIGITS + 31
_ASCII_DIGITS = frozenset("0123456789")
# A Telethon StringSession: version "1" + urlsafe base64 of dc, address, port and the 256-byte key.
_STRING_SESSION = re.compile(r"1[A-Za-z0-9_-]{199,}={0,2}")
_STRING_SESSION_MIN_LENGTH = 200
# International phone numbers: "+", then 7 to 15 digits, optionally grouped by spaces, dashes
# or parentheses ("+7 (999) 123-45-67").
_PHONE = re.compile(r"\+\d(?:[ ()-]{0,2}\d){6,14}")
# The password in "scheme://user:password@host".
_URL_PASSWORD = re.compile(r"(?P<head>://[^\s:/@]*:)[^\s/@]+(?P<tail>@)")

_SENSITIVE_WORDS = frozenset(
    {
        "authorization",
        "cookie",
        "cookies",
        "credential",
        "credentials",
        "passphrase",
        "passwd",
        "password",
        "passwords",
        "phone",
        "phones",
        "pwd",
        "secret",
        "secrets",
        "session",
        "sessions",
        "token",
        "tokens",
    }
)
_SENSITIVE_PAIRS = frozenset({("api", "hash"), ("api", "key"), ("auth", "key"), ("private", "key")})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KEY_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """True when a key names a secret (``bot_token``, ``apiHash``, ``Authorization``...)."""
    words = [w for w in _KEY_SEPARATORS.split(_CAMEL_BOUNDARY.sub("_", key).lower()) if w]
    if any(word in _SENSITIVE_WORDS for word in words):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in pairwise(words))


def _rendered_forms(secret: str) -> set[str]:
    """The ways a renderer or a URL may spell the secret: JSON, repr and percent escapes."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        json.dumps(repr(secret)[1:-1])[1:-1],
        json.dumps(repr(secret)[1:-1], ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }


def _redact_bot_tokens(text: str) -> str:
    pieces: list[str] = []
    done = 0
    for match in _BOT_TOKEN_SECRET.finditer(text):
        bot_id_start = match.start()
        while bot_id_start > done and text[bot_id_start - 1] in _ASCII_DIGITS:
            bot_id_start -= 1
        if match.start() - bot_id_start >= _BOT_ID_MIN_DIGITS:
            pieces += (text[done:bot_id_start], REDACTED)
            done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _as_text(value: object) -> str:
    # structlog's renderers honour __structlog__ before falling back to repr.
    structlog_repr = getattr(value, "__structlog__", None)
    return str(structlog_repr()) if callable(structlog_repr) else repr(value)


def _same_container_kind(original: object, items: list[Any]) -> Any:
    # Plain built-in kinds only: a namedtuple or custom subclass may not accept one iterable.
    if isinstance(original, tuple):
        return tuple(items)
    if isinstance(original, frozenset):
        return frozenset(items)
    if isinstance(original, set):
        return set(items)
    return items


class Redactor:
    """Replaces configured secret values and recognisable credentials with ``[REDACTED]``.

    Usable as a structlog processor (it walks the event dict, nested containers included, and
    blanks the value of every key named like a secret) and on any text through ``redact_text``.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {
            form
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            for form in _rendered_forms(secret)
        }
        # Longest first, so a secret that contains another one is replaced whole.
        self._secrets = tuple(sorted(forms, key=lambda form: (-len(form), form)))

    def redact_text(self, text: str) -> str:
        """Return ``text`` with every secret and credential-looking run replaced."""
        # Plain substring search per secret is several times faster than one regex alternation.
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # The cheap membership tests spare the regexes most short values (levels, names, ids).
        if len(text) >= _BOT_TOKEN_MIN_LENGTH and ":" in text:
            text = _redact_bot_tokens(text)
        if len(text) >= _STRING_SESSION_MIN_LENGTH:
            text = _STRING_SESSION.sub(REDACTED, text)
        if "+" in text:
            text = _PHONE.sub(REDACTED, text)
        if "://" in text:
            text = _URL_PASSWORD.sub(rf"\g<head>{REDACTED}\g<tail>", text)
        return text

    def redact_value(self, value: Any, depth: int = 0) -> Any:
        """Redact strings inside ``value``, descending into mappings, lists, tuples and sets.

        Any other object becomes its redacted text, as renderers would print it (``repr``):
        redacted after rendering, a secret in a repr would reach JSON escaped twice.
        """
        if isinstance(value, str):
            return self.redact_text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if depth < _MAX_DEPTH and isinstance(value, Mapping):
            return self.redact_mapping(value, depth + 1)
        if depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
            items = [self.redact_value(item, depth + 1) for item in value]
            return _same_container_kind(value, items)
        return self.redact_text(_as_text(value))

    def redact_mapping(self, mapping: Mapping[Any, Any], depth: int = 0) -> dict[Any, Any]:
        """A copy of ``mapping`` with secret-named keys blanked and every value redacted."""
        redacted: dict[Any, Any] = {}
        for key, value in mapping.items():
            # Keys are mostly names chosen in code: they are left to the rendered-line pass.
            if isinstance(key, str) and is_sensitive_key(key):
                redacted[key] = REDACTED
            else:
                redacted[key] = self.redact_value(value, depth)
        return redacted

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """structlog processor interface."""
        return self.redact_mapping(event_dict)

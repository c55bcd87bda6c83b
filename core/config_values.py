"""Parsing and validating configuration values: every problem collected, never the first only."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from environs import Env, EnvError

from core.config_spec import (
    ALL_ROLES,
    DATA_DIR_TOKEN,
    DATABASE_URL_FORMS,
    KEYS,
    KeySpec,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration; it blocks only the roles in ``roles``."""

    key: str
    message: str
    roles: frozenset[str] = ALL_ROLES

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class Resolution:
    """Effective typed values (defaults stand in for unset or invalid ones) and every problem."""

    values: dict[str, object]
    configured: frozenset[str]  # keys whose configured value is valid and in use
    problems: tuple[Problem, ...]


class _InvalidValueError(ValueError):
    """A configured value that cannot be used; the message never contains a secret."""


class _MappingEnv(Env):
    """environs reading one explicit mapping instead of the process environment."""

    def __init__(self, source: Mapping[str, str]) -> None:
        super().__init__(eager=True)
        self._source = source

    def _get_value(self, env_key: str, default: Any) -> Any:
        return self._source.get(env_key, default)


def _shown(spec: KeySpec, text: str) -> str:
    return "the value (hidden)" if spec.secret else repr(text)


def _listed(items: list[str], one: str, many: str) -> str:
    """Names the offending items of a list: ``'x' is an integer`` / ``'x', 'y' are integers``."""
    names = ", ".join(repr(item) for item in items)
    return f"{names} is {one}" if len(items) == 1 else f"{names} are {many}"


def _items(values: list[Any] | None) -> list[str]:
    return [str(item).strip() for item in values or () if str(item).strip()]


def _ints(spec: KeySpec, items: list[str]) -> tuple[int, ...]:
    bad = [item for item in items if not re.fullmatch(r"[+-]?\d+", item)]
    if bad:
        raise _InvalidValueError(
            f"{_listed(bad, 'not an integer', 'not integers')}; expected {spec.expected}"
        )
    return tuple(int(item) for item in items)


def _parse(spec: KeySpec, text: str) -> object:
    env, name = _MappingEnv({spec.name: text}), spec.name
    try:
        match spec.kind:
            case "int":
                return env.int(name)
            case "float":
                return env.float(name)
            case "bool":
                return env.bool(name)
            case "path":
                return env.path(name)
            case "url":
                return _check_url(spec, env.str(name))
            case "list":
                return tuple(_items(env.list(name)))
            case "int-list":
                return _ints(spec, _items(env.list(name)))
            case _:
                return env.str(name)
    except EnvError as error:
        raise _InvalidValueError(
            f"{_shown(spec, text)} is not valid; expected {spec.expected}"
        ) from error


def _check_url(spec: KeySpec, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _InvalidValueError(f"is not a usable URL; expected {spec.expected}")
    return value


def _check_range(spec: KeySpec, value: float) -> None:
    too_low = spec.minimum is not None and value < spec.minimum
    too_high = spec.maximum is not None and value > spec.maximum
    if too_low or too_high:
        raise _InvalidValueError(f"{value} is out of range; expected {spec.expected}")


def _choose(spec: KeySpec, values: tuple[str, ...]) -> tuple[str, ...]:
    canonical = {choice.casefold(): choice for choice in spec.choices}
    bad = [value for value in values if value.casefold() not in canonical]
    if bad:
        raise _InvalidValueError(
            f"{_listed(bad, 'not allowed', 'not allowed')}; expected {spec.expected}"
        )
    return tuple(canonical[value.casefold()] for value in values)


def _check_text(spec: KeySpec, value: str) -> None:
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        raise _InvalidValueError(
            f"{_shown(spec, value)} has the wrong form; expected {spec.expected}"
        )
    if len(value) < spec.min_length:
        raise _InvalidValueError(
            f"is too short ({len(value)} characters); expected {spec.expected}"
        )


_PLACEHOLDER_MARKERS = ("changeme", "yoursecret", "replaceme", "placeholder", "example")


def _check_secret_key(spec: KeySpec, value: object) -> object:
    folded = re.sub(r"[^a-z0-9]", "", str(value).lower())
    if (
        folded in {"secret", "secretkey"}
        or any(marker in folded for marker in _PLACEHOLDER_MARKERS)
        or len(set(str(value))) < 8  # "xxxxxxxx…" style fillers
    ):
        raise _InvalidValueError(f"is a placeholder, not a random key; expected {spec.expected}")
    return value


_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalize_database_url(url: str) -> str:
    """Rewrite a supported database URL to its async driver; raise ValueError for any other.

    The message names at most the URL's scheme, never the rest (it may hold a password).
    """
    scheme, separator, rest = url.partition("://")
    driver = _ASYNC_DRIVERS.get(scheme.lower()) if separator else None
    if driver is None:
        named = f"scheme {scheme!r}" if separator else "the value"
        raise _InvalidValueError(f"{named} is not supported; expected {DATABASE_URL_FORMS}")
    if driver.startswith("sqlite") and not rest.startswith("/"):
        raise _InvalidValueError(
            "a SQLite URL needs three slashes before the path (sqlite:///path)"
        )
    return f"{driver}://{rest}"


def _check_database_url(spec: KeySpec, value: object) -> object:
    return normalize_database_url(str(value))


def _check_timezone(spec: KeySpec, value: object) -> object:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _InvalidValueError(
            f"{value!r} is not a known time zone; expected {spec.expected}"
        ) from error
    return value


def _check_positive_ids(spec: KeySpec, value: object) -> object:
    ids = value if isinstance(value, tuple) else ()
    bad = [str(item) for item in ids if item <= 0]
    if bad:
        wrong = _listed(bad, "not a positive user id", "not positive user ids")
        raise _InvalidValueError(f"{wrong}; expected {spec.expected}")
    if not ids:
        raise _InvalidValueError(f"lists no user id; expected {spec.expected}")
    return value


_CHECKS: dict[str, Callable[[KeySpec, object], object]] = {
    "secret_key": _check_secret_key,
    "database_url": _check_database_url,
    "timezone": _check_timezone,
    "positive_ids": _check_positive_ids,
}


def parse_value(spec: KeySpec, text: str) -> object:
    """Parse and check one configured value; ValueError says what is wrong without secrets."""
    value = _parse(spec, text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        _check_range(spec, value)
    if spec.choices and isinstance(value, str):
        value = _choose(spec, (value,))[0]
    if spec.choices and isinstance(value, tuple):
        value = _choose(spec, value)
    if spec.check:
        value = _CHECKS[spec.check](spec, value)
    if isinstance(value, str):
        _check_text(spec, value)
    return value


def _default(spec: KeySpec, values: Mapping[str, object]) -> object:
    if not spec.default:
        return () if spec.kind in ("list", "int-list") else None
    text = spec.default
    if DATA_DIR_TOKEN in text:
        text = text.replace(DATA_DIR_TOKEN, str(values["DATA_DIR"]))
    return parse_value(spec, text)


def _missing(spec: KeySpec, placeholder: bool) -> list[Problem]:
    if not spec.required_for:
        return []
    who = "every role" if spec.required_for == ALL_ROLES else f"the {spec.required_text}"
    state = "still holds the .env.example placeholder" if placeholder else "not set"
    message = f"required for {who} but {state}; expected {spec.expected}"
    return [Problem(spec.name, message, spec.required_for)]


_DC_KEYS = ("TELEGRAM_DC_ID", "TELEGRAM_DC_ADDRESS", "TELEGRAM_DC_PORT")


def _check_custom_dc(
    raw: Mapping[str, str], values: dict[str, object], configured: set[str]
) -> list[Problem]:
    if all(key in configured for key in _DC_KEYS):
        return []
    # Half a custom data centre must never reach the client: drop all three.
    for key in _DC_KEYS:
        values[key] = None
        configured.discard(key)
    missing = [key for key in _DC_KEYS if not raw.get(key, "").strip()]
    if len(missing) in (0, len(_DC_KEYS)):
        return []
    message = f"set {', '.join(_DC_KEYS)} together or none of them; missing {', '.join(missing)}"
    return [Problem("TELEGRAM_DC_*", message)]


def resolve(raw: Mapping[str, str]) -> Resolution:
    """Parse every spec key from ``raw``; collect every problem instead of stopping at the first.

    Blank values count as unset. A required key left at its .env.example placeholder counts as
    missing. Defaults that live in DATA_DIR follow the configured DATA_DIR.
    """
    values: dict[str, object] = {}
    configured: set[str] = set()
    problems: list[Problem] = []
    for spec in KEYS:  # DATA_DIR comes first, so derived defaults can use it
        text = raw.get(spec.name, "")
        text = text if spec.secret else text.strip()
        placeholder = bool(spec.example) and text.strip() == spec.example
        if placeholder or not text.strip():
            values[spec.name] = _default(spec, values)
            problems += _missing(spec, placeholder)
            continue
        try:
            values[spec.name] = parse_value(spec, text)
            configured.add(spec.name)
        except ValueError as error:
            values[spec.name] = _default(spec, values)
            problems.append(Problem(spec.name, str(error)))
    problems += _check_custom_dc(raw, values, configured)
    return Resolution(values, frozenset(configured), tuple(problems))

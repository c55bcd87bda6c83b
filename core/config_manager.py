"""ConfigManager: reads the environment and .env, validates every key at once, masks secrets."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import unquote

import structlog
from dotenv import dotenv_values

from core.config_settings import Settings, build_settings
from core.config_spec import GROUPS, KEY_BY_NAME, KEYS, ROLES, KeySpec, Kind
from core.config_values import Problem, Resolution, parse_value, resolve
from core.errors import ConfigurationError

__all__ = ["ConfigEntry", "ConfigManager", "Settings", "mask_secret", "mask_url_password"]

log = structlog.get_logger(__name__)

DEFAULT_ENV_FILE = ".env"
SOURCE_ENV = "env"
SOURCE_ENV_FILE = ".env file"
SOURCE_DEFAULT = "default"

# Which spec kinds each typed getter serves; a mismatch is a programming error (TypeError).
_GETTER_KINDS: dict[str, tuple[str, ...]] = {
    "int": ("int",),
    "float": ("int", "float"),
    "bool": ("bool",),
    "path": ("path",),
    "list": ("list", "int-list"),
}


@dataclass(frozen=True)
class ConfigEntry:
    """One key as ``telegramvault config check`` shows it: secrets masked, with its source."""

    key: str
    group: str
    value: str
    source: str
    description: str
    secret: bool
    valid: bool


def mask_secret(value: str) -> str:
    """``12…(46 chars)``: at most two leading characters, none for a short value."""
    shown = value[:2] if len(value) >= 16 else ""
    return f"{shown}…({len(value)} chars)"


def _query_items(query: str) -> list[tuple[str, str]]:
    return [(name, value) for name, _, value in (item.partition("=") for item in query.split("&"))]


def _userinfo(rest: str) -> tuple[str, str, str] | None:
    """(user, password, what follows the @) when the part after ``://`` carries a password.

    The last @ ends the user info: a password with a raw @, / or ? is then masked whole rather
    than partly shown.
    """
    userinfo, at, after = rest.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return (user, password, after) if at and colon else None


def mask_url_password(url: str) -> str:
    """The URL with its password (``user:password@`` or a ``password=`` query item) as ***."""
    head, separator, rest = url.partition("://")
    if not separator:
        return url
    userinfo = _userinfo(rest)
    if userinfo is not None:
        rest = f"{userinfo[0]}:***@{userinfo[2]}"
    base, question, query = rest.partition("?")
    if question:
        items = [(n, "***" if n.lower() == "password" else v) for n, v in _query_items(query)]
        query = "&".join(f"{name}={value}" if value else name for name, value in items)
    return f"{head}://{base}{question}{query}"


def url_passwords(url: str) -> list[str]:
    """Every password a URL carries, as written and percent-decoded."""
    _, separator, rest = url.partition("://")
    userinfo = _userinfo(rest) if separator else None
    found = [userinfo[1]] if userinfo is not None else []
    query = rest.rpartition("@")[2].partition("?")[2] if separator else ""
    found += [value for name, value in _query_items(query) if name.lower() == "password"]
    return [variant for password in found if password for variant in (password, unquote(password))]


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    return str(value)


def _role_set(roles: Iterable[str]) -> frozenset[str]:
    wanted = frozenset((roles,) if isinstance(roles, str) else roles)
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise ValueError(f"unknown roles {unknown}; expected any of {', '.join(ROLES)}")
    return wanted


class ConfigManager:
    """Every setting of TelegramVault, read from the environment and a .env file.

    The environment wins over the file. ``load()`` validates every key for every role at once and
    keeps defaults usable even when something is wrong; ``problems``/``report``/``require_valid``
    say what, per role. Build one per process in the composition root and hand it down.
    """

    def __init__(
        self,
        env_file: str | Path | None = DEFAULT_ENV_FILE,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._env_file = env_file
        self._environ = environ
        self._raw: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self._resolution: Resolution | None = None
        self._problems: tuple[Problem, ...] = ()
        self._settings: Settings | None = None

    def load(self) -> bool:
        """Read the sources again and validate; True when valid for every role."""
        # Not logged here: logging is configured from this very configuration, later.
        self._load()
        return not self._problems

    def _load(self) -> Resolution:
        file_values, file_problem = self._read_env_file()
        environ = os.environ if self._environ is None else self._environ
        self._raw, self._sources = {}, {}
        for source, values in ((SOURCE_ENV_FILE, file_values), (SOURCE_ENV, environ)):
            for key, value in values.items():
                if value.strip():  # blank counts as unset, so it cannot hide the file's value
                    self._raw[key], self._sources[key] = value, source
        resolution = resolve(self._raw)
        self._resolution, self._settings = resolution, None
        self._problems = (*((file_problem,) if file_problem else ()), *resolution.problems)
        return resolution

    def _read_env_file(self) -> tuple[dict[str, str], Problem | None]:
        if self._env_file is None:
            return {}, None
        path = Path(self._env_file)
        if not path.exists():
            if path == Path(DEFAULT_ENV_FILE):
                return {}, None  # the implicit default file is optional
            return {}, Problem("env file", f"{path} does not exist; expected an existing file")
        try:
            values = dotenv_values(path, interpolate=False, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = type(error).__name__
            return {}, Problem("env file", f"{path} cannot be read ({reason})")
        return {key: value for key, value in values.items() if value is not None}, None

    def _resolved(self) -> Resolution:
        """The last load, loading first if nobody called ``load()`` yet."""
        return self._resolution if self._resolution is not None else self._load()

    @property
    def settings(self) -> Settings:
        """Typed, frozen settings grouped by prefix; invalid values are replaced by defaults."""
        if self._settings is None:
            self._settings = build_settings(self._resolved().values)
        return self._settings

    def problems(self, roles: Iterable[str] = ROLES) -> list[str]:
        """Every problem that blocks any of ``roles``, one line each, naming the key."""
        self._resolved()
        wanted = _role_set(roles)
        return [str(problem) for problem in self._problems if problem.roles & wanted]

    def report(self, roles: Iterable[str] = ROLES) -> str:
        """A heading plus one line per problem; never contains a secret value."""
        wanted = _role_set(roles)
        lines = self.problems(wanted)
        who = ", ".join(role for role in ROLES if role in wanted)
        if not lines:
            return f"Configuration is valid for: {who}."
        heading = f"Configuration has {len(lines)} problem(s) for {who}:"
        return "\n".join([heading, *(f"  - {line}" for line in lines)])

    def require_valid(self, roles: Iterable[str] = ROLES) -> None:
        """Raise ConfigurationError listing every problem that blocks ``roles``."""
        wanted = _role_set(roles)
        problems = self.problems(wanted)
        if problems:
            raise ConfigurationError(self.report(wanted), problems)

    def _value(self, key: str, default: object, kind: Kind) -> object:
        """Configured value, else ``default`` when given, else the spec's default."""
        resolution = self._resolved()
        spec = KEY_BY_NAME.get(key)
        if spec is None:
            return self._unknown_key(key, default, kind)
        if kind != "str" and spec.kind not in _GETTER_KINDS[kind]:
            raise TypeError(f"{key} is a {spec.kind} setting, not {kind}")
        if default is None or key in resolution.configured:
            return resolution.values[key]
        return default

    def _unknown_key(self, key: str, default: object, kind: Kind) -> object:
        if default is None:
            raise KeyError(f"unknown configuration key: {key}")
        text = self._raw.get(key, "").strip()
        if not text:
            return default
        try:
            return parse_value(KeySpec(key, kind), text)
        except ValueError:
            log.warning("config_value_ignored", key=key, expected=kind)
            return default

    def _required(self, key: str, default: object, kind: Kind) -> object:
        value = self._value(key, default, kind)
        if value is None:
            raise LookupError(f"{key} is not set and has no default")
        return value

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value as text (lists comma-joined, booleans true/false); None when unset."""
        value = self._value(key, default, "str")
        return None if value is None else _as_text(value)

    def get_int(self, key: str, default: int | None = None) -> int:
        value = self._required(key, default, "int")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{key} is not an integer setting")
        return value

    def get_float(self, key: str, default: float | None = None) -> float:
        value = self._required(key, default, "float")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{key} is not a number setting")
        return float(value)

    def get_bool(self, key: str, default: bool | None = None) -> bool:
        value = self._required(key, default, "bool")
        if not isinstance(value, bool):
            raise TypeError(f"{key} is not a boolean setting")
        return value

    def get_path(self, key: str, default: str | Path | None = None) -> Path:
        explicit = None if default is None else Path(default)
        value = self._required(key, explicit, "path")
        if not isinstance(value, Path):
            raise TypeError(f"{key} is not a path setting")
        return value

    def get_list(self, key: str, default: Iterable[str] | None = None) -> list[str]:
        explicit = None if default is None else tuple(default)
        value = self._required(key, explicit, "list")
        if not isinstance(value, tuple):
            raise TypeError(f"{key} is not a list setting")
        return [str(item) for item in value]

    def secret_values(self) -> list[str]:
        """Every non-empty configured secret (and database password), longest first."""
        self._resolved()
        found = {self._raw.get(spec.name, "") for spec in KEYS if spec.secret}
        found.update(value.strip() for value in list(found))
        found.update(url_passwords(self._raw.get("DATABASE_URL", "")))
        return sorted((value for value in found if value.strip()), key=lambda v: (-len(v), v))

    def _shown(self, spec: KeySpec) -> str:
        resolution = self._resolved()
        raw = self._raw.get(spec.name, "")
        in_use = spec.name in resolution.configured or not raw.strip()
        value = resolution.values[spec.name] if in_use else raw
        text = "" if value is None else _as_text(value)
        if not text:
            return "(not set)"
        if spec.secret:
            return mask_secret(text)
        masks_url = spec.name == "DATABASE_URL" or spec.kind == "url"
        return mask_url_password(text) if masks_url else text

    def describe(self) -> list[ConfigEntry]:
        """Every key with its shown value (secrets masked) and where it came from."""
        self._resolved()
        flagged = [problem.key for problem in self._problems]  # may be a pattern: TELEGRAM_DC_*
        return [
            ConfigEntry(
                key=spec.name,
                group=spec.group,
                value=self._shown(spec),
                source=self._sources.get(spec.name, SOURCE_DEFAULT),
                description=spec.description,
                secret=spec.secret,
                valid=not any(fnmatchcase(spec.name, key) for key in flagged),
            )
            for spec in KEYS
        ]

    def render_table(self) -> str:
        """Plain-text table of ``describe()`` grouped by prefix; ``!`` marks keys with problems."""
        entries = self.describe()
        key_width = max(len(entry.key) for entry in entries)
        value_width = max(len(entry.value) for entry in entries)
        lines: list[str] = []
        for group in GROUPS:
            lines.append(group.title)
            for entry in (entry for entry in entries if entry.group == group.name):
                flag = " " if entry.valid else "!"
                row = f" {flag} {entry.key:<{key_width}}  {entry.value:<{value_width}}  "
                lines.append(row + entry.source)
        return "\n".join(lines) + "\n"

"""The declarative list of every configuration key: type, default, limits, secrecy, who needs it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["str", "int", "float", "bool", "path", "list", "int-list", "url"]

ROLES: tuple[str, ...] = ("bot", "archiver")
ALL_ROLES: frozenset[str] = frozenset(ROLES)
ARCHIVER: frozenset[str] = frozenset({"archiver"})
BOT: frozenset[str] = frozenset({"bot"})

# Defaults that live inside DATA_DIR name it with this token; the manager substitutes it.
DATA_DIR_TOKEN = "<DATA_DIR>"
EXAMPLE_DATA_DIR = "./data"
# The account an archiver runs when TELEGRAM_ACCOUNT is not set: the one of a single-account vault.
DEFAULT_ACCOUNT = "main"

MEDIA_TYPES = ("photo", "video", "document", "audio", "voice", "video_note", "sticker", "animation")
FTS_LANGUAGES = (
    "simple", "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian", "spanish",
    "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_URL_FORMS = (
    "a sqlite:///, sqlite+aiosqlite:///, postgresql://, postgres:// or postgresql+asyncpg:// URL"
)

_KIND_NOUNS: dict[str, str] = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "path": "a file system path",
    "list": "a comma-separated list",
    "int-list": "a comma-separated list of integers",
    "url": "an http(s) URL",
}


@dataclass(frozen=True)
class KeySpec:
    """One configuration key. ``default`` is written as in a .env file; empty means unset.

    ``check`` names an extra rule the parser applies (see core.config_settings); ``example`` is the
    placeholder written to .env.example for required keys, rejected as if the key were missing.
    """

    name: str
    kind: Kind
    default: str = ""
    description: str = ""
    group: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    min_length: int = 0
    secret: bool = False
    required_for: frozenset[str] = frozenset()
    hint: str = ""
    example: str = ""
    check: str = ""

    @property
    def attr(self) -> str:
        """The field name in the group's settings dataclass (the key without the group prefix)."""
        return self.name.removeprefix(GROUP_BY_NAME[self.group].prefix).lower()

    @property
    def allowed(self) -> str:
        """What values are accepted, for tables: ``1..100``, ``one of: a, b``, or the hint."""
        if self.hint:
            return self.hint
        if self.choices:
            return ("any of: " if self.kind == "list" else "one of: ") + ", ".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)}..{_number(self.maximum)}"
        if self.minimum is not None:
            return f">= {_number(self.minimum)}"
        return ""

    @property
    def expected(self) -> str:
        """What a valid value looks like, for problem reports."""
        noun = _KIND_NOUNS[self.kind]
        if self.hint:
            return self.hint
        if self.choices:
            return f"{noun} of: {', '.join(self.choices)}" if self.kind == "list" else self.allowed
        if self.maximum is not None:
            return f"{noun} in {self.allowed}"
        return f"{noun} {self.allowed}".strip()

    @property
    def required_text(self) -> str:
        if self.required_for == ALL_ROLES:
            return "all"
        return ", ".join(role for role in ROLES if role in self.required_for)


@dataclass(frozen=True)
class GroupSpec:
    """Keys sharing a prefix; each group becomes one settings dataclass."""

    name: str
    prefix: str
    title: str
    keys: tuple[KeySpec, ...]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _group(name: str, prefix: str, title: str, *keys: KeySpec) -> GroupSpec:
    return GroupSpec(name, prefix, title, tuple(replace(key, group=name) for key in keys))


# The table is aligned by hand: one key per two or three lines reads better than the formatter's
# one argument per line.
# fmt: off
GROUPS: tuple[GroupSpec, ...] = (
    _group("core", "", "Core",
        KeySpec("DATA_DIR", "path", EXAMPLE_DATA_DIR,
                "Directory for the SQLite database, the Telegram session and media."),
        KeySpec("SECRET_KEY", "str", "", "Random key that signs internal tokens.",
                secret=True, required_for=ALL_ROLES, min_length=32, check="secret_key",
                hint="a random string of at least 32 characters, not a placeholder",
                example="change-me-to-a-random-string-of-at-least-32-characters"),
    ),
    _group("database", "DATABASE_", "Database",
        KeySpec("DATABASE_URL", "str", f"sqlite+aiosqlite:///{DATA_DIR_TOKEN}/vault.db",
                "Database to use; sync driver names are rewritten to aiosqlite/asyncpg.",
                check="database_url", hint=DATABASE_URL_FORMS),
        KeySpec("DATABASE_POOL_SIZE", "int", "5", "Connections kept open in the pool.",
                minimum=1, maximum=100),
        KeySpec("DATABASE_ECHO", "bool", "false", "Log every SQL statement (debugging only)."),
    ),
    _group("telegram", "TELEGRAM_", "Telegram",
        KeySpec("TELEGRAM_API_ID", "int", "", "Application id from my.telegram.org.",
                minimum=1, required_for=ARCHIVER, example="1234567"),
        KeySpec("TELEGRAM_API_HASH", "str", "", "Application hash from my.telegram.org.",
                secret=True, required_for=ARCHIVER, pattern="[0-9a-fA-F]{32}",
                hint="32 hexadecimal characters", example="0123456789abcdef0123456789abcdef"),
        KeySpec("TELEGRAM_ACCOUNT", "str", DEFAULT_ACCOUNT,
                "Label of the Telegram account this archiver process runs; an account other "
                "than main keeps its session in DATA_DIR/sessions/LABEL.session by default.",
                pattern="[a-z0-9_-]{1,32}", hint="1 to 32 of: a-z, 0-9, _ and -"),
        KeySpec("TELEGRAM_SESSION_FILE", "path", f"{DATA_DIR_TOKEN}/telegramvault.session",
                "Telethon session file of the archiving account."),
        KeySpec("TELEGRAM_SESSION_STRING", "str", "",
                "Telethon string session used instead of the session file (for containers).",
                secret=True),
        KeySpec("TELEGRAM_PHONE", "str", "", "Phone number of the archiving account (first login).",
                secret=True, pattern=r"\+?[0-9](?:[ ()-]{0,2}[0-9]){6,14}",
                hint="an international phone number such as +15551234567"),
        KeySpec("TELEGRAM_PASSWORD", "str", "",
                "Two-step verification password of the archiving account, if it has one.",
                secret=True),
        KeySpec("TELEGRAM_DC_ID", "int", "",
                "Custom data centre id (test servers); set all three TELEGRAM_DC_* or none.",
                minimum=1, maximum=5),
        KeySpec("TELEGRAM_DC_ADDRESS", "str", "", "Custom data centre IP address or host name.",
                pattern=r"[0-9A-Za-z][0-9A-Za-z.:-]*", hint="an IP address or host name"),
        KeySpec("TELEGRAM_DC_PORT", "int", "", "Custom data centre port.",
                minimum=1, maximum=65535),
        KeySpec("TELEGRAM_TEST_SERVERS", "bool", "false",
                "Use Telegram's test servers instead of production."),
        KeySpec("TELEGRAM_API_RETRY_MAX_ATTEMPTS", "int", "3",
                "Attempts per Telegram API call on temporary errors.", minimum=1, maximum=20),
        KeySpec("TELEGRAM_API_RETRY_DELAY_BASE", "float", "2",
                "Base of the exponential backoff between attempts, in seconds.",
                minimum=0, maximum=300),
        KeySpec("TELEGRAM_API_TIMEOUT", "float", "30",
                "Timeout of one Telegram API attempt, in seconds.", minimum=1, maximum=3600),
        KeySpec("TELEGRAM_FLOOD_WAIT_MAX", "float", "900",
                "Longest server-requested wait honoured, in seconds; longer ones fail the call.",
                minimum=0, maximum=86400),
    ),
    _group("archive", "ARCHIVE_", "Archive",
        KeySpec("ARCHIVE_BACKFILL_PAGE_SIZE", "int", "100",
                "Messages per history request during backfill (Telegram caps it at 100).",
                minimum=1, maximum=100),
        KeySpec("ARCHIVE_LIVE_BATCH_SIZE", "int", "500", "Live events written per micro-batch.",
                minimum=1, maximum=10000),
        KeySpec("ARCHIVE_LIVE_FLUSH_MS", "int", "250",
                "Longest wait before a partial live batch is written, in milliseconds.",
                minimum=10, maximum=60000),
        KeySpec("ARCHIVE_ALL_DIALOGS", "bool", "false",
                "Archive every dialog of the account, not only the chats added with the bot."),
        KeySpec("ARCHIVE_EXCLUDE_CHATS", "int-list", "",
                "Chat ids never archived, comma-separated (e.g. -1001234567890)."),
    ),
    _group("bot", "BOT_", "Bot",
        KeySpec("BOT_TOKEN", "str", "", "Bot token from @BotFather.",
                secret=True, required_for=BOT, pattern="[0-9]{5,16}:[A-Za-z0-9_-]{30,50}",
                hint="<digits>:<about 35 letters, digits, - or _>",
                example="123456789:replace-with-the-token-from-BotFather"),
        KeySpec("BOT_ADMIN_IDS", "int-list", "", "Telegram user ids allowed to control the bot.",
                required_for=BOT, check="positive_ids", example="123456789",
                hint="comma-separated positive user ids, at least one"),
        KeySpec("BOT_ALERT_CHAT_ID", "int", "",
                "Chat that receives watch alerts; group and channel ids are negative."),
        KeySpec("BOT_API_SERVER", "url", "https://api.telegram.org",
                "Bot API server; point it at a local Bot API server if you run one."),
        KeySpec("BOT_TIMEZONE", "str", "UTC", "Time zone of dates shown by the bot and digests.",
                check="timezone", hint="an IANA time zone such as UTC or Europe/Madrid"),
    ),
    _group("media", "MEDIA_", "Media",
        KeySpec("MEDIA_DIR", "path", f"{DATA_DIR_TOKEN}/media", "Content-addressed media store."),
        KeySpec("MEDIA_RETRY_MAX_ATTEMPTS", "int", "5",
                "Download attempts per media file before it is marked failed.",
                minimum=1, maximum=100),
        KeySpec("MEDIA_RETRY_DELAY_BASE", "int", "30",
                "Base delay before a failed download is retried, in seconds (grows per attempt).",
                minimum=1, maximum=86400),
        KeySpec("MEDIA_DOWNLOAD_TIMEOUT", "int", "300", "Timeout of one download, in seconds.",
                minimum=5, maximum=86400),
        KeySpec("MEDIA_VALIDATION_ENABLED", "bool", "true",
                "Check downloaded files (size, hash) before they are kept."),
        KeySpec("MEDIA_MAX_FILE_SIZE_MB", "int", "200",
                "Largest file downloaded, in MB; 0 means no cap.", minimum=0, maximum=4096),
        KeySpec("MEDIA_DOWNLOAD_TYPES", "list", ",".join(MEDIA_TYPES),
                "Media kinds downloaded; others are kept as references only.",
                choices=MEDIA_TYPES),
        KeySpec("MEDIA_DOWNLOAD_CONCURRENCY", "int", "3", "Downloads running at the same time.",
                minimum=1, maximum=32),
    ),
    _group("search", "SEARCH_", "Search",
        KeySpec("SEARCH_FTS_LANGUAGE", "str", "simple",
                "PostgreSQL text-search configuration: simple suits multilingual chats, "
                "a language enables stemming.", choices=FTS_LANGUAGES),
        KeySpec("SEARCH_FALLBACK_TO_ILIKE", "bool", "true",
                "Fall back to a substring (ILIKE) search when full-text search cannot serve."),
        KeySpec("SEARCH_LOG_FAILURES", "bool", "true",
                "Log queries that full-text search failed to serve."),
        KeySpec("SEARCH_PAGE_SIZE", "int", "10", "Results per page in the bot.",
                minimum=1, maximum=50),
        KeySpec("SEARCH_RELEVANCE_CANDIDATES", "int", "2000",
                "Most matches ranked by relevance for one query.", minimum=100, maximum=100000),
    ),
    _group("detection", "DETECTION_", "Detection",
        KeySpec("DETECTION_CACHE_SIZE", "int", "1000", "Compiled watch patterns kept in memory.",
                minimum=1, maximum=100000),
        KeySpec("DETECTION_VALIDATE_PATTERNS", "bool", "true",
                "Reject watch patterns that do not compile when they are added."),
        KeySpec("DETECTION_LOG_COMPILATION_ERRORS", "bool", "true",
                "Log watch patterns that fail to compile."),
        KeySpec("DETECTION_MAX_PATTERN_LENGTH", "int", "2000",
                "Longest watch pattern accepted, in characters.", minimum=1, maximum=100000),
    ),
    _group("enrichment", "USER_ENRICHMENT_", "User enrichment",
        KeySpec("USER_ENRICHMENT_TIMEOUT", "int", "30", "Timeout of one user lookup, in seconds.",
                minimum=1, maximum=600),
        KeySpec("USER_ENRICHMENT_BATCH_SIZE", "int", "20", "Users refreshed per batch.",
                minimum=1, maximum=200),
        KeySpec("USER_ENRICHMENT_MAX_RETRIES", "int", "3",
                "Retries per user lookup on temporary errors.", minimum=0, maximum=20),
    ),
    _group("logging", "LOG_", "Logging",
        KeySpec("LOG_LEVEL", "str", "INFO", "Lowest level written (case-insensitive).",
                choices=LOG_LEVELS),
        KeySpec("LOG_FORMAT", "str", "text", "json for log collectors, text for people.",
                choices=("json", "text")),
        KeySpec("LOG_FILE", "path", "", "Also write logs to this file, rotated by size."),
        KeySpec("LOG_MAX_SIZE_MB", "int", "10", "Size at which the log file rotates, in MB.",
                minimum=1, maximum=1024),
        KeySpec("LOG_BACKUP_COUNT", "int", "5", "Rotated log files kept.",
                minimum=0, maximum=100),
    ),
    _group("scheduler", "SCHEDULER_", "Scheduler",
        KeySpec("SCHEDULER_CATCHUP_MINUTES", "int", "15",
                "Minutes between catch-up runs for messages missed while offline.",
                minimum=1, maximum=1440),
        KeySpec("SCHEDULER_MEDIA_RETRY_MINUTES", "int", "10",
                "Minutes between retries of failed media downloads.", minimum=1, maximum=1440),
        KeySpec("SCHEDULER_ENRICHMENT_HOURS", "int", "24",
                "Hours between user-profile refreshes.", minimum=1, maximum=720),
        KeySpec("SCHEDULER_MAINTENANCE_HOURS", "int", "24",
                "Hours between database maintenance runs.", minimum=1, maximum=720),
        KeySpec("SCHEDULER_DIGEST_HOUR", "int", "8",
                "Hour of the day (in BOT_TIMEZONE) when the daily digest is sent.",
                minimum=0, maximum=23),
    ),
    _group("http", "HTTP_", "HTTP",
        KeySpec("HTTP_HOST", "str", "127.0.0.1", "Address the health/metrics endpoint listens on."),
        KeySpec("HTTP_PORT", "int", "8080", "Port of the health/metrics endpoint; 0 disables it.",
                minimum=0, maximum=65535),
    ),
)
# fmt: on

GROUP_BY_NAME: dict[str, GroupSpec] = {group.name: group for group in GROUPS}
KEYS: tuple[KeySpec, ...] = tuple(key for group in GROUPS for key in group.keys)
KEY_BY_NAME: dict[str, KeySpec] = {key.name: key for key in KEYS}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(group: str | None = None) -> str:
    """The Markdown reference table of one group's keys, or of every key when ``group`` is None."""
    keys = KEYS if group is None else GROUP_BY_NAME[group].keys
    lines = [
        "| Key | Default | Allowed | Required for | Secret | Description |",
        "|---|---|---|---|---|---|",
    ]
    for key in keys:
        default = f"`{key.default}`" if key.default else ""
        row = (
            f"`{key.name}`",
            default,
            key.allowed,
            key.required_text,
            "yes" if key.secret else "",
            key.description,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


_ENV_EXAMPLE_HEADER = """\
# TelegramVault configuration. Copy this file to .env and replace the placeholders.
# Real environment variables win over this file. Required keys are uncommented with
# placeholders that `telegramvault config check` rejects until you replace them; optional
# keys are commented out with their defaults. Full reference: docs/configuration.md
"""


def _env_comment(key: KeySpec) -> str:
    notes = [key.description]
    if key.allowed:
        notes.append(f"[{key.allowed}]")
    if key.required_for:
        who = "every role" if key.required_for == ALL_ROLES else f"the {key.required_text}"
        notes.append(f"Required by {who}.")
    if key.secret:
        notes.append("Secret.")
    return "# " + " ".join(notes)


def _env_assignment(key: KeySpec) -> str:
    if key.example:
        return f"{key.name}={key.example}"
    return f"# {key.name}={key.default.replace(DATA_DIR_TOKEN, EXAMPLE_DATA_DIR)}"


def env_example() -> str:
    """The text of .env.example: every key, grouped by prefix, one comment line per key."""
    parts = [_ENV_EXAMPLE_HEADER]
    for group in GROUPS:
        lines = [f"# === {group.title} ==="]
        for key in group.keys:
            lines += [_env_comment(key), _env_assignment(key)]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m core.config_spec [--env-example]``: print the key table or the .env example."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.write(env_example() if "--env-example" in args else markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rules as admins type them: one-line rule specs, rule names, backtest targets and chat scopes,
checked with the exact reason a value is refused; and the vault look-ups that make backtest hits
and rule deletions readable (chat names, the text around a hit, past detections)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from core.db.database import Database
from core.db.tables import chats, messages
from core.domain.detection import DetectionRule, RuleKind
from core.errors import InvalidInputError, NotFoundError
from services.detection.service import DetectionService
from services.detection.validation import validate_rule
from services.export.chats import LINK, chat_reference, find_chat
from services.search.filters_syntax import NUMERIC_ID

MAX_NAME_CHARS = 64
KIND_WORDS = {
    "regex": RuleKind.REGEX,
    "re": RuleKind.REGEX,
    "keywords": RuleKind.KEYWORDS,
    "kw": RuleKind.KEYWORDS,
    "builtin": RuleKind.BUILTIN,
}
RULE_SPEC_USAGE = (
    "/rule_add <name> regex <pattern>, /rule_add <name> keywords a, b, c "
    "or /rule_add builtin <detector>"
)
KEYWORDS_PREFIX, BUILTIN_PREFIX = "kw:", "builtin:"
SCOPE_SEPARATORS = re.compile(r"[\s,]+")
CONTEXT_CHARS = 40
RULES_PER_QUERY = 100


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule typed on one line; an empty ``name`` means "the built-in under its own name"."""

    name: str
    kind: RuleKind
    pattern: str


@dataclass(frozen=True, slots=True)
class ScopeChat:
    """A chat a rule is limited to, with what to call it."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class HitView:
    """A backtest hit with the chat's name and the text around the match."""

    chat_id: int
    message_id: int
    date: datetime | None
    matched_text: str
    chat_title: str | None = None
    chat_username: str | None = None
    before: str = ""
    after: str = ""


# --- parsing (pure) --------------------------------------------------------------------------


def check_rule_name(raw: str) -> str:
    """A usable rule name; refused when it could be mistaken for a rule id or a command."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInputError(f"a rule needs a name of 1 to {MAX_NAME_CHARS} characters")
    if name.isdigit() or name.startswith(("#", "/")):
        raise InvalidInputError(
            "a rule name cannot be a number or start with # or /: those name rules by id "
            "or are commands"
        )
    return name


def parse_rule_spec(text: str) -> RuleSpec:
    """``<name> regex <pattern>``, ``<name> keywords a, b, c`` or ``builtin <detector>``."""
    parts = text.strip().split(maxsplit=2)
    if len(parts) == 2 and parts[0].lower() == "builtin":
        return RuleSpec("", RuleKind.BUILTIN, parts[1].lower())
    if len(parts) == 3 and parts[1].lower() in KIND_WORDS:
        return RuleSpec(check_rule_name(parts[0]), KIND_WORDS[parts[1].lower()], parts[2].strip())
    raise InvalidInputError(f"could not read that rule; write {RULE_SPEC_USAGE}")


def parse_test_target(text: str) -> tuple[RuleKind, str]:
    """A pattern to backtest: ``kw:`` keywords, ``builtin:`` a detector, else a regex."""
    target = text.strip()
    for prefix, kind in ((KEYWORDS_PREFIX, RuleKind.KEYWORDS), (BUILTIN_PREFIX, RuleKind.BUILTIN)):
        if target.lower().startswith(prefix):
            return kind, target[len(prefix) :].strip()
    if not target:
        raise InvalidInputError("name a rule, or give a pattern to test")
    return RuleKind.REGEX, target


def pattern_problem(kind: RuleKind, pattern: str, *, max_length: int) -> str | None:
    """Why ``pattern`` cannot be a ``kind`` rule (the reason the detection service would give),
    or None when it can."""
    try:
        validate_rule(kind, pattern, max_length=max_length)
    except InvalidInputError as error:
        return str(error)
    return None


def scope_tokens(text: str) -> list[str]:
    """The chats an admin listed, each an @username, a t.me link or an id."""
    tokens = [token for token in SCOPE_SEPARATORS.split(text.strip()) if token]
    if not tokens:
        raise InvalidInputError("list chats as @username or id, separated by commas or spaces")
    wrong = [t for t in tokens if not (t.startswith("@") or NUMERIC_ID.match(t) or LINK.match(t))]
    if wrong:
        raise InvalidInputError(
            f"not a chat @username, t.me link or id: {', '.join(wrong)}; "
            "list chats as @username or id, separated by commas or spaces"
        )
    return list(dict.fromkeys(tokens))


# --- vault look-ups --------------------------------------------------------------------------


async def resolve_scope(db: Database, text: str) -> list[ScopeChat]:
    """The vault's chats that ``text`` lists; NotFoundError naming every one it does not know."""
    found: dict[int, ScopeChat] = {}
    unknown: list[str] = []
    async with db.reader() as uow:
        for token in scope_tokens(text):
            try:
                chat = await find_chat(uow.connection, chat_reference(token))
            except NotFoundError:
                unknown.append(token)
                continue
            label = f"@{chat.username}" if chat.username else chat.title or str(chat.id)
            found[chat.id] = ScopeChat(chat.id, label)
    if unknown:
        raise NotFoundError(f"not in the vault: {', '.join(unknown)}")
    return list(found.values())


async def hit_views(db: Database, hits: Sequence[dict[str, Any]]) -> list[HitView]:
    """Backtest hits (``BacktestReport.first_hits``) with chat names and surrounding text."""
    if not hits:
        return []
    pairs = {(h["chat_id"], h["message_id"]) for h in hits}
    async with db.reader() as uow:
        conn = uow.connection
        names = {
            row.id: (row.title, row.username)
            for row in await conn.execute(
                select(chats.c.id, chats.c.title, chats.c.username).where(
                    chats.c.id.in_(sorted({chat for chat, _ in pairs}))
                )
            )
        }
        wanted = or_(
            *(and_(messages.c.chat_id == c, messages.c.message_id == m) for c, m in sorted(pairs))
        )
        texts = {
            (row.chat_id, row.message_id): row.text or ""
            for row in await conn.execute(
                select(messages.c.chat_id, messages.c.message_id, messages.c.text).where(wanted)
            )
        }
    return [_hit_view(hit, names, texts) for hit in hits]


def _hit_view(
    hit: dict[str, Any],
    names: dict[int, tuple[str | None, str | None]],
    texts: dict[tuple[int, int], str],
) -> HitView:
    title, username = names.get(hit["chat_id"], (None, None))
    text = texts.get((hit["chat_id"], hit["message_id"]), "")
    matched = str(hit["matched_text"])
    start = text.find(matched) if matched else -1
    before = after = ""
    if start >= 0:
        end = start + len(matched)
        left = max(0, start - CONTEXT_CHARS)
        before = ("…" if left else "") + text[left:start]
        after = text[end : end + CONTEXT_CHARS] + ("…" if len(text) > end + CONTEXT_CHARS else "")
    return HitView(
        hit["chat_id"], hit["message_id"], hit["date"], matched, title, username, before, after
    )


async def detection_count(db: Database, rule_id: int) -> int:
    """How many messages a rule has matched (deleting the rule deletes these detections)."""
    async with db.reader() as uow:
        return await uow.detections.count_for_rule(rule_id)


async def every_rule(service: DetectionService) -> list[DetectionRule]:
    """All rules, page by page."""
    rules, total = await service.list_rules(0, RULES_PER_QUERY)
    while len(rules) < total:
        more, total = await service.list_rules(len(rules), RULES_PER_QUERY)
        if not more:
            break
        rules += more
    return rules


def builtin_rules(rules: Sequence[DetectionRule]) -> dict[str, list[DetectionRule]]:
    """The rules that run each built-in detector, by detector name."""
    found: dict[str, list[DetectionRule]] = {}
    for rule in rules:
        if rule.kind is RuleKind.BUILTIN:
            found.setdefault(rule.pattern.strip().lower(), []).append(rule)
    return found

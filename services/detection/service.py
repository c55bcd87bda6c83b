"""DetectionService: rules an admin manages, scanned against every new message on ingest."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.uow import UnitOfWork
from core.domain.detection import (
    DetectionRule,
    Prematched,
    RuleKind,
    RuleMatch,
    RuleSnapshot,
    ScanTarget,
    Severity,
)
from core.domain.messages import ArchivedMessage, WrittenMessage
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError, NotFoundError
from services.detection.backtest import BacktestReport, run_backtest
from services.detection.builtins import BUILTIN_NAMES
from services.detection.cache import RuleSetCache, rule_set_key
from services.detection.engine import CompiledRuleSet
from services.detection.prematch import taken_matches
from services.detection.validation import validate_rule

SERVICE = "DetectionService"
CONTEXT_CHARS = 80
MATCHED_TEXT_CHARS = 500
HIT_FIELDS = ("rule_id", "message_pk", "matched_text", "context")
MAX_CACHED_RULE_SETS = 4


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """What an admin submits; validated before it becomes a rule."""

    name: str
    kind: RuleKind
    pattern: str
    severity: Severity = Severity.MEDIUM
    case_sensitive: bool = False
    chat_ids: frozenset[int] = field(default_factory=frozenset)
    sender_ids: frozenset[int] = field(default_factory=frozenset)
    cooldown_seconds: int = 0

    def as_rule(self, rule_id: int = 0) -> DetectionRule:
        return DetectionRule(
            id=rule_id,
            name=self.name,
            kind=self.kind,
            pattern=self.pattern,
            severity=self.severity,
            case_sensitive=self.case_sensitive,
            chat_ids=self.chat_ids,
            sender_ids=self.sender_ids,
            cooldown_seconds=self.cooldown_seconds,
        )


def context_around(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


class DetectionService:
    """Rules CRUD, the on-ingest scan (a MessageScanner), re-scans and backtests."""

    def __init__(
        self,
        config: ConfigManager,
        logger: EnhancedLoggingSystem,
        *,
        db: Database,
        recipients: Sequence[int] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.logger = logger
        self.cache_size = config.get_int("DETECTION_CACHE_SIZE")
        self.validate_patterns = config.get_bool("DETECTION_VALIDATE_PATTERNS")
        self.log_compilation_errors = config.get_bool("DETECTION_LOG_COMPILATION_ERRORS")
        self.max_pattern_length = config.get_int("DETECTION_MAX_PATTERN_LENGTH")
        self._db = db
        self._recipients = tuple(dict.fromkeys(recipients))
        self._clock = clock
        # The cache holds whole compiled rule sets (~12 MB each at 1,000 rules); a handful covers
        # toggling rules back and forth, so DETECTION_CACHE_SIZE is capped here.
        self._cache = RuleSetCache(min(self.cache_size, MAX_CACHED_RULE_SETS))
        self._rules: list[DetectionRule] = []
        self._rules_key: Hashable = rule_set_key(())
        self._rules_version: object = None

    # --- rules -------------------------------------------------------------------------------

    async def compile_pattern(self, pattern: str) -> str | None:
        """The seed's check of one regular expression: the pattern when usable, else None."""
        try:
            await self._validate(RuleKind.REGEX, pattern)
        except InvalidInputError:
            return None
        return pattern

    async def _validate(self, kind: RuleKind, pattern: str) -> None:
        try:
            validate_rule(kind, pattern, max_length=self.max_pattern_length)
        except InvalidInputError as error:
            if self.log_compilation_errors:
                await self.logger.log_error(
                    SERVICE,
                    "compile_pattern",
                    "Invalid detection pattern",
                    error=error,
                    details={"kind": kind.value, "pattern": pattern[:200]},
                )
            raise

    async def add_rule(self, draft: RuleDraft, *, created_by: int | None = None) -> DetectionRule:
        name = draft.name.strip()
        if not name or len(name) > 64:
            raise InvalidInputError("a rule needs a name of 1 to 64 characters")
        if draft.cooldown_seconds < 0:
            raise InvalidInputError("the cooldown cannot be negative")
        if self.validate_patterns:
            await self._validate(draft.kind, draft.pattern)
        values = {
            "name": name,
            "kind": draft.kind.value,
            "pattern": draft.pattern,
            "options": {"case_sensitive": draft.case_sensitive},
            "chat_ids": sorted(draft.chat_ids),
            "sender_ids": sorted(draft.sender_ids),
            "severity": draft.severity.value,
            "cooldown_seconds": draft.cooldown_seconds,
            "created_by": created_by,
        }
        async with self._db.unit_of_work() as uow:
            rule = await uow.rules.add(values, self._clock())
            await uow.commit()
        return rule

    async def enable_builtin(
        self, name: str, *, severity: Severity = Severity.MEDIUM, created_by: int | None = None
    ) -> DetectionRule:
        detector = name.strip().lower()
        if detector not in BUILTIN_NAMES:
            raise InvalidInputError(
                f"unknown built-in detector {name!r}; choose one of {', '.join(BUILTIN_NAMES)}"
            )
        draft = RuleDraft(f"builtin:{detector}", RuleKind.BUILTIN, detector, severity=severity)
        return await self.add_rule(draft, created_by=created_by)

    async def get_rule(self, ref: str | int) -> DetectionRule:
        async with self._db.reader() as uow:
            return await self._find(uow, ref)

    async def _find(self, uow: UnitOfWork, ref: str | int) -> DetectionRule:
        text = str(ref).strip().lstrip("#")
        rule = await uow.rules.get(rule_id=int(text)) if text.isdigit() else None
        rule = rule or await uow.rules.get(name=text)
        if rule is None:
            raise NotFoundError(f"no rule {ref!r}")
        return rule

    async def list_rules(self, offset: int = 0, limit: int = 10) -> tuple[list[DetectionRule], int]:
        async with self._db.reader() as uow:
            return await uow.rules.page(max(0, offset), max(1, min(limit, 100)))

    async def set_enabled(self, ref: str | int, enabled: bool) -> DetectionRule:
        return await self._change(ref, {"enabled": enabled})

    async def mute(self, ref: str | int, until: datetime | None) -> DetectionRule:
        return await self._change(ref, {"muted_until": until})

    async def _change(self, ref: str | int, values: dict[str, Any]) -> DetectionRule:
        async with self._db.unit_of_work() as uow:
            rule = await self._find(uow, ref)
            await uow.rules.change(rule.id, values, self._clock())
            changed = await uow.rules.get(rule_id=rule.id)
            await uow.commit()
        assert changed is not None
        return changed

    async def delete_rule(self, ref: str | int) -> DetectionRule:
        async with self._db.unit_of_work() as uow:
            rule = await self._find(uow, ref)
            await uow.rules.remove(rule.id)
            await uow.commit()
        return rule

    # --- scanning ----------------------------------------------------------------------------

    async def _current_rules(self, uow: UnitOfWork) -> dict[int, DetectionRule]:
        """The enabled rules by id, reloaded when they changed (the bot may change them)."""
        version = await uow.rules.version()
        if version != self._rules_version:
            self._rules = await uow.rules.enabled()
            self._rules_key = rule_set_key(self._rules)
            self._rules_version = version
        return {rule.id: rule for rule in self._rules}

    @property
    def compilations(self) -> int:
        """Rule sets this service has compiled so far (a changed rule set is compiled anew)."""
        return self._cache.misses

    def _compiled(self) -> CompiledRuleSet:
        """The current rules compiled (once per distinct rule set, then cached)."""
        return self._cache.get(self._rules)

    async def rule_snapshot(self) -> RuleSnapshot:
        """The enabled rules now and their key (see ``Prematched``)."""
        async with self._db.reader() as uow:
            await self._current_rules(uow)
        return RuleSnapshot(tuple(self._rules), self._rules_key)

    async def scan(
        self,
        uow: UnitOfWork,
        messages: Sequence[WrittenMessage],
        *,
        alerts: bool = True,
        prematched: Prematched | None = None,
    ) -> int:
        """Scan messages just written in the caller's transaction; returns the new hits.

        The MessageScanner of the ingest step: the caller marked the rows scanned already.
        ``alerts=False`` (history: imports) stores the hits and enqueues no alert.
        ``prematched`` matches are taken for the messages they cover while the rules are
        still those they were found with; every other message is scanned here.
        """
        rules = await self._current_rules(uow)
        if not rules or not messages:
            return 0
        by_pk = {written.pk: written.message for written in messages}
        if prematched is not None and prematched.key == self._rules_key:
            matches, unscanned = taken_matches(prematched, by_pk)
        else:
            matches, unscanned = [], by_pk
        if unscanned:
            matches += self._compiled().scan_many(
                ScanTarget(pk, message.chat_id, message.sender_id, message.text)
                for pk, message in unscanned.items()
            )
        if not matches:
            return 0
        now = self._clock()
        hits = [
            (m.rule_id, m.message_pk, m.matched_text[:MATCHED_TEXT_CHARS],
             context_around(by_pk[m.message_pk].text, m.start, m.end))
            for m in matches
        ]  # fmt: skip
        if not alerts:  # history: an import stores about one hit per message
            return await uow.detections.store_hits(hits, now)
        new_hits = await uow.detections.add_hits(
            [dict(zip(HIT_FIELDS, hit, strict=True), created_at=now) for hit in hits]
        )
        await self._enqueue_alerts(uow, new_hits, matches, rules, by_pk)
        return len(new_hits)

    async def _enqueue_alerts(
        self,
        uow: UnitOfWork,
        hits: list[dict[str, Any]],
        matches: Sequence[RuleMatch],
        rules: dict[int, DetectionRule],
        messages: dict[int, ArchivedMessage],
    ) -> None:
        if not hits or not self._recipients:
            return
        now = self._clock()
        last = await uow.detections.last_alert_at(sorted({h["rule_id"] for h in hits}))
        found = {(m.rule_id, m.message_pk): m for m in matches}
        alerts: list[dict[str, Any]] = []
        for hit in sorted(hits, key=lambda h: h["id"]):
            rule = rules[hit["rule_id"]]
            if rule.muted_until is not None and rule.muted_until > now:
                continue
            previous = last.get(rule.id)
            if previous and (now - previous).total_seconds() < rule.cooldown_seconds:
                continue
            last[rule.id] = now
            message = messages[hit["message_pk"]]
            payload = _payload(rule, found[(rule.id, hit["message_pk"])], message)
            alerts.extend(
                {
                    "dedup_key": f"det:{hit['id']}:{chat}",
                    "kind": "detection",
                    "detection_id": hit["id"],
                    "recipient_chat_id": chat,
                    "payload": payload,
                    "created_at": now,
                }
                for chat in self._recipients
            )
        await uow.detections.enqueue_alerts(alerts)

    async def rescan_unscanned(self, batch: int = 2000) -> int:
        """Scan what was stored without a scan (a write with no scanner); idempotent (hits and
        alerts are unique). Alerts are enqueued: these are not imports, which scan on write."""
        total, last_pk = 0, 0
        while True:
            async with self._db.unit_of_work() as uow:
                pks = await uow.detections.unscanned(last_pk, batch)
                if not pks:
                    return total
                rows = await uow.detections.message_texts(pks)
                await uow.detections.mark_scanned(pks, self._clock())
                total += await self.scan(uow, [_written(row) for row in rows])
                await uow.commit()
            last_pk = pks[-1]

    # --- backtest ----------------------------------------------------------------------------

    async def backtest(self, draft: RuleDraft, *, first: int = 10) -> BacktestReport:
        """Run a rule over the whole archive without storing hits or alerting anyone."""
        await self._validate(draft.kind, draft.pattern)
        started = time.perf_counter()
        report = await run_backtest(self._db, draft.as_rule(), first=first)
        report.seconds = time.perf_counter() - started
        return report

    async def backtest_rule(self, ref: str | int, *, first: int = 10) -> BacktestReport:
        rule = await self.get_rule(ref)
        draft = RuleDraft(
            rule.name,
            rule.kind,
            rule.pattern,
            rule.severity,
            rule.case_sensitive,
            rule.chat_ids,
            rule.sender_ids,
            rule.cooldown_seconds,
        )
        return await self.backtest(draft, first=first)


def _written(row: dict[str, Any]) -> WrittenMessage:
    """A stored row (``DetectionRepo.message_texts``) as the scan takes it."""
    message = ArchivedMessage(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        date=row["date"],
        text=row["text"] or "",
        sender_id=row["sender_id"],
    )
    return WrittenMessage(row["id"], message)


def _payload(rule: DetectionRule, match: RuleMatch, message: ArchivedMessage) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "rule": rule.name,
        "severity": rule.severity.value,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "sender_id": message.sender_id,
        # In UTC, as the stored row reads back, whatever zone the source gave it.
        "date": message.date.astimezone(UTC).isoformat() if message.date else None,
        "matched_text": match.matched_text[:500],
        "context": context_around(message.text, match.start, match.end),
        "match_start": match.start,
        "match_end": match.end,
    }

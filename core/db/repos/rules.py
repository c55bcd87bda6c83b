"""Detection rules, the hits they produced, and the alert outbox rows those hits enqueue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import postgres_bulk, sqlite_bulk
from core.db.sqlite_bulk import sqlite_datetime
from core.db.tables import alerts, detection_rules, detections, messages
from core.db.upsert import insert_ignore
from core.domain.detection import DetectionRule, RuleKind, Severity
from core.errors import InvalidInputError

RULE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "pattern",
        "options",
        "chat_ids",
        "sender_ids",
        "severity",
        "enabled",
        "cooldown_seconds",
        "muted_until",
    }
)


def rule_from_row(row: Mapping[Any, Any]) -> DetectionRule:
    options = row["options"] or {}
    return DetectionRule(
        id=row["id"],
        name=row["name"],
        kind=RuleKind(row["kind"]),
        pattern=row["pattern"],
        severity=Severity(row["severity"]),
        enabled=bool(row["enabled"]),
        case_sensitive=bool(options.get("case_sensitive", False)),
        chat_ids=frozenset(row["chat_ids"] or ()),
        sender_ids=frozenset(row["sender_ids"] or ()),
        cooldown_seconds=row["cooldown_seconds"],
        muted_until=row["muted_until"],
    )


class RuleRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def add(self, values: Mapping[str, Any], at: datetime) -> DetectionRule:
        if await self.get(name=values["name"]) is not None:  # names are case-insensitive
            raise InvalidInputError(f"a rule named {values['name']!r} already exists")
        row = {**values, "created_at": at, "updated_at": at}
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(
                    detection_rules.insert().returning(*detection_rules.c), row
                )
        except IntegrityError as error:
            raise InvalidInputError(f"a rule named {values['name']!r} already exists") from error
        return rule_from_row(result.mappings().one())

    async def change(self, rule_id: int, values: Mapping[str, Any], at: datetime) -> bool:
        unknown = set(values) - RULE_FIELDS
        if unknown:
            raise ValueError(f"not rule fields: {sorted(unknown)}")
        stmt = (
            update(detection_rules)
            .where(detection_rules.c.id == rule_id)
            .values(**values, updated_at=at)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def remove(self, rule_id: int) -> bool:
        stmt = delete(detection_rules).where(detection_rules.c.id == rule_id)
        return bool((await self._conn.execute(stmt)).rowcount)

    async def get(
        self, rule_id: int | None = None, name: str | None = None
    ) -> DetectionRule | None:
        query = select(detection_rules)
        if rule_id is not None:
            query = query.where(detection_rules.c.id == rule_id)
        elif name is not None:
            query = query.where(func.lower(detection_rules.c.name) == name.lower())
        else:
            raise ValueError("give a rule id or a name")
        row = (await self._conn.execute(query)).mappings().first()
        return rule_from_row(row) if row else None

    async def page(self, offset: int, limit: int) -> tuple[list[DetectionRule], int]:
        query = select(detection_rules).order_by(detection_rules.c.id).offset(offset).limit(limit)
        rules = [rule_from_row(r) for r in (await self._conn.execute(query)).mappings()]
        total = await self._conn.execute(select(func.count()).select_from(detection_rules))
        return rules, int(total.scalar_one())

    async def enabled(self) -> list[DetectionRule]:
        query = select(detection_rules).where(detection_rules.c.enabled.is_(True))
        return [rule_from_row(r) for r in (await self._conn.execute(query)).mappings()]

    async def version(self) -> tuple[int, datetime | None]:
        """Changes whenever a rule is added, changed or removed (cheap cache validation)."""
        query = select(
            func.count(), func.max(detection_rules.c.updated_at), func.sum(detection_rules.c.id)
        )
        count, latest, ids = (await self._conn.execute(query)).one()
        return int(count) * 1_000_003 + int(ids or 0), latest


HIT_COLUMNS = ("rule_id", "message_pk", "matched_text", "context", "created_at")
HitValues = tuple[int, int, str, str | None]  # rule_id, message_pk, matched_text, context
Hit = tuple[int, int, str, str | None, datetime]  # and created_at
HIT_KEY = ("rule_id", "message_pk")


class DetectionRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def message_texts(self, pks: Sequence[int]) -> list[dict[str, Any]]:
        query = select(
            messages.c.id,
            messages.c.chat_id,
            messages.c.message_id,
            messages.c.sender_id,
            messages.c.text,
            messages.c.date,
        ).where(messages.c.id.in_(pks))
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def add_hits(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store hits once per (rule, message); returns only the hits that are new (``id``,
        ``rule_id``, ``message_pk``), in id order.

        Rows give ``rule_id``, ``message_pk`` and ``matched_text``, and may give ``context``
        and ``created_at`` (now when absent). One statement per dialect's fast path, not an
        executemany with RETURNING: an import with 1,000 rules stores about one hit for every
        two messages.
        """
        if not rows:
            return []
        hits = _hit_tuples(rows)
        if self._dialect == "sqlite":
            new = await sqlite_bulk.insert_new(
                self._conn, detections.name, HIT_COLUMNS, _sqlite_hits(hits), unique=HIT_KEY
            )
        else:
            new = await postgres_bulk.insert_hits(self._conn, hits)
        return [
            {"id": hit_id, "rule_id": rule_id, "message_pk": message_pk}
            for hit_id, rule_id, message_pk in new
        ]

    async def store_hits(self, hits: Sequence[HitValues], at: datetime) -> int:
        """Store ``(rule_id, message_pk, matched_text, context)`` hits found ``at``, once per
        (rule, message); returns how many were new. For a caller that needs no ids (history:
        no alerts): SQLite then reads nothing back."""
        if not hits:
            return 0
        if self._dialect == "sqlite":
            stamp = sqlite_datetime(at)
            params = [(*hit, stamp) for hit in hits]
            return await sqlite_bulk.insert_ignoring(
                self._conn, detections.name, HIT_COLUMNS, params, unique=HIT_KEY
            )
        return len(await postgres_bulk.insert_hits(self._conn, [(*hit, at) for hit in hits]))

    async def last_alert_at(self, rule_ids: Sequence[int]) -> dict[int, datetime]:
        """When each rule last enqueued an alert (cooldowns)."""
        if not rule_ids:
            return {}
        query = (
            select(detections.c.rule_id, func.max(alerts.c.created_at))
            .join(alerts, alerts.c.detection_id == detections.c.id)
            .where(detections.c.rule_id.in_(rule_ids))
            .group_by(detections.c.rule_id)
        )
        return {rule_id: at for rule_id, at in await self._conn.execute(query) if at is not None}

    async def enqueue_alerts(self, rows: Sequence[Mapping[str, Any]]) -> int:
        if not rows:
            return 0
        stmt = insert_ignore(self._dialect, alerts, ("dedup_key",)).returning(alerts.c.id)
        return len((await self._conn.execute(stmt, list(rows))).all())

    async def mark_scanned(self, pks: Sequence[int], at: datetime) -> None:
        if pks:
            await self._conn.execute(
                update(messages).where(messages.c.id.in_(pks)).values(scanned_at=at)
            )

    async def unscanned(self, after_pk: int, limit: int) -> list[int]:
        query = (
            select(messages.c.id)
            .where(messages.c.scanned_at.is_(None), messages.c.id > after_pk)
            .order_by(messages.c.id)
            .limit(limit)
        )
        return [row[0] for row in await self._conn.execute(query)]

    async def count_for_rule(self, rule_id: int) -> int:
        query = select(func.count()).where(detections.c.rule_id == rule_id)
        return int((await self._conn.execute(query)).scalar_one())


def _hit_tuples(rows: Sequence[Mapping[str, Any]]) -> list[Hit]:
    now = datetime.now(UTC)
    return [
        (r["rule_id"], r["message_pk"], r["matched_text"], r.get("context"),
         r.get("created_at") or now)
        for r in rows
    ]  # fmt: skip


def _sqlite_hits(hits: Sequence[Hit]) -> list[tuple[Any, ...]]:
    stamps = {at: sqlite_datetime(at) for at in {hit[4] for hit in hits}}  # one, mostly
    return [(*hit[:4], stamps[hit[4]]) for hit in hits]

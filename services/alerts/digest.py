"""Bursts become digests: many detection alerts due for one recipient at once go out as one.

Pure decisions over claimed alerts; the outbox stores the digest and links what it carried.
Only detection alerts are folded: a task result must reach its admin (or edit its message).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.alerts.models import DETECTION, OutboxAlert

DIGEST_THRESHOLD = 5  # more detection alerts than this for one recipient at once: one digest
DIGEST_FIRST = 3  # alerts a digest shows in full (with links); the rest are counted
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
ITEM_FIELDS = ("rule_id", "rule", "severity", "chat_id", "message_id", "sender_id", "date",
               "matched_text")  # fmt: skip


@dataclass(frozen=True, slots=True)
class DigestDraft:
    """One recipient's burst, oldest alert first."""

    recipient_chat_id: int
    alerts: tuple[OutboxAlert, ...]

    @property
    def dedup_key(self) -> str:
        # An alert is carried by one digest at most, so its first alert names the digest.
        return f"digest:{self.alerts[0].id}:{self.recipient_chat_id}"

    def payload(self, first: int = DIGEST_FIRST) -> dict[str, Any]:
        payloads = [alert.payload for alert in self.alerts]
        return {
            "count": len(payloads),
            "chats": len({p.get("chat_id") for p in payloads}),
            "rules": _rule_counts(payloads),
            "severities": _severity_counts(payloads),
            "first": [{key: p.get(key) for key in ITEM_FIELDS} for p in payloads[:first]],
        }


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    singles: tuple[OutboxAlert, ...]
    digests: tuple[DigestDraft, ...]


def plan_delivery(alerts: Sequence[OutboxAlert], threshold: int = DIGEST_THRESHOLD) -> DeliveryPlan:
    """Send alerts one by one, except a recipient's detections beyond ``threshold``: a digest."""
    if threshold < 1:
        raise ValueError("the digest threshold must be at least 1")
    detections: dict[int, list[OutboxAlert]] = {}
    for alert in alerts:
        if alert.kind == DETECTION:
            detections.setdefault(alert.recipient_chat_id, []).append(alert)
    bursts = {chat: group for chat, group in detections.items() if len(group) > threshold}
    folded = {alert.id for group in bursts.values() for alert in group}
    singles = tuple(sorted((a for a in alerts if a.id not in folded), key=lambda a: a.id))
    digests = tuple(
        DigestDraft(chat, tuple(sorted(group, key=lambda a: a.id)))
        for chat, group in bursts.items()
    )
    return DeliveryPlan(singles, digests)


def _severity_key(severity: object) -> int:
    return SEVERITY_RANK.get(str(severity), len(SEVERITY_RANK))


def _rule_counts(payloads: Sequence[Any]) -> list[dict[str, Any]]:
    counts = Counter((p.get("rule_id"), p.get("rule"), p.get("severity")) for p in payloads)
    ordered = sorted(
        counts.items(), key=lambda item: (_severity_key(item[0][2]), -item[1], str(item[0][1]))
    )
    return [
        {"rule_id": rule_id, "rule": rule, "severity": severity, "count": count}
        for (rule_id, rule, severity), count in ordered
    ]


def _severity_counts(payloads: Sequence[Any]) -> dict[str, int]:
    counts = Counter(str(p.get("severity")) for p in payloads)
    return {severity: counts[severity] for severity in sorted(counts, key=_severity_key)}

"""A burst of detections for one recipient becomes one digest; everything else goes one by one."""

from __future__ import annotations

from typing import Any

import pytest

from services.alerts.digest import DIGEST_FIRST, DIGEST_THRESHOLD, plan_delivery
from services.alerts.models import OutboxAlert

ADMIN, OTHER_ADMIN = 111, 222


def detection(alert_id: int, recipient: int = ADMIN, **payload: Any) -> OutboxAlert:
    base = {
        "rule_id": 1,
        "rule": "passwords",
        "severity": "high",
        "chat_id": -1001000000001,
        "message_id": alert_id,
        "sender_id": 42,
        "date": "2025-01-01T10:00:00+00:00",
        "matched_text": f"secret {alert_id}",
        "context": f"the secret {alert_id} is here",
        "match_start": 4,
        "match_end": 10,
    }
    return OutboxAlert(alert_id, "detection", recipient, {**base, **payload}, "sending")


def task(alert_id: int, recipient: int = ADMIN) -> OutboxAlert:
    payload = {"task_id": alert_id, "kind": "enrich", "state": "done", "text": "done"}
    return OutboxAlert(alert_id, "task", recipient, payload, "sending")


def test_up_to_the_threshold_alerts_go_one_by_one() -> None:
    alerts = [detection(i) for i in range(1, DIGEST_THRESHOLD + 1)]
    plan = plan_delivery(alerts)
    assert plan.digests == ()
    assert [a.id for a in plan.singles] == list(range(1, DIGEST_THRESHOLD + 1))


def test_a_burst_for_one_recipient_becomes_one_digest_and_others_stay_single() -> None:
    burst = [detection(i) for i in range(10, 10 + DIGEST_THRESHOLD + 1)]
    few = [detection(i, OTHER_ADMIN) for i in (3, 4)]
    plan = plan_delivery([*reversed(burst), *few])
    assert [a.id for a in plan.singles] == [3, 4]
    (digest,) = plan.digests
    assert digest.recipient_chat_id == ADMIN
    assert [a.id for a in digest.alerts] == [a.id for a in burst]  # oldest first
    assert digest.dedup_key == f"digest:10:{ADMIN}"


def test_each_recipient_gets_its_own_digest() -> None:
    alerts = [detection(i, ADMIN if i % 2 else OTHER_ADMIN) for i in range(1, 21)]
    plan = plan_delivery(alerts)
    assert plan.singles == ()
    assert {d.recipient_chat_id: len(d.alerts) for d in plan.digests} == {
        ADMIN: 10,
        OTHER_ADMIN: 10,
    }


def test_task_results_are_never_folded() -> None:
    alerts = [task(i) for i in range(1, 20)] + [detection(50)]
    plan = plan_delivery(alerts)
    assert plan.digests == ()
    assert len(plan.singles) == 20


def test_the_threshold_is_configurable_and_must_be_positive() -> None:
    alerts = [detection(1), detection(2)]
    assert len(plan_delivery(alerts, threshold=1).digests) == 1
    with pytest.raises(ValueError, match="at least 1"):
        plan_delivery(alerts, threshold=0)


def test_digest_payload_counts_rules_and_severities_and_shows_the_first_ones() -> None:
    alerts = [
        *(detection(i) for i in range(1, 4)),
        *(detection(i, rule_id=2, rule="iban", severity="low") for i in range(4, 9)),
        detection(9, rule_id=3, rule="wallets", severity="critical", chat_id=-1002),
    ]
    (digest,) = plan_delivery(alerts).digests
    payload = digest.payload()
    assert payload["count"] == 9
    assert payload["chats"] == 2
    assert payload["rules"] == [
        {"rule_id": 3, "rule": "wallets", "severity": "critical", "count": 1},
        {"rule_id": 1, "rule": "passwords", "severity": "high", "count": 3},
        {"rule_id": 2, "rule": "iban", "severity": "low", "count": 5},
    ]
    assert list(payload["severities"].items()) == [("critical", 1), ("high", 3), ("low", 5)]
    first = payload["first"]
    assert len(first) == DIGEST_FIRST
    assert [item["message_id"] for item in first] == [1, 2, 3]
    assert set(first[0]) == {
        "rule_id", "rule", "severity", "chat_id", "message_id", "sender_id", "date",
        "matched_text",
    }  # fmt: skip
    assert "context" not in first[0]  # the digest stays small: the link leads to the rest


def test_unknown_severities_sort_last() -> None:
    alerts = [detection(i, severity="weird" if i < 5 else "low") for i in range(1, 8)]
    (digest,) = plan_delivery(alerts).digests
    assert list(digest.payload()["severities"]) == ["low", "weird"]

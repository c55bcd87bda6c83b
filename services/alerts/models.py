"""What the outbox hands the sender: claimed alerts and the names their payloads refer to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DETECTION, DIGEST, TASK = "detection", "digest", "task"


@dataclass(frozen=True, slots=True)
class OutboxAlert:
    """One outbox row. While claimed, ``lease_until`` is when another sender may take it over."""

    id: int
    kind: str
    recipient_chat_id: int
    payload: Mapping[str, Any]
    state: str
    attempts: int = 0
    lease_until: datetime | None = None
    sent_message_id: int | None = None
    acked_at: datetime | None = None
    acked_by: int | None = None
    digest_id: int | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OutboxAlert:
        return cls(
            id=row["id"],
            kind=row["kind"],
            recipient_chat_id=row["recipient_chat_id"],
            payload=dict(row["payload"] or {}),
            state=row["state"],
            attempts=row["attempts"],
            lease_until=row["next_attempt_at"],
            sent_message_id=row["sent_message_id"],
            acked_at=row["acked_at"],
            acked_by=row["acked_by"],
            digest_id=row["digest_id"],
            last_error=row["last_error"],
        )


@dataclass(frozen=True, slots=True)
class PeerName:
    """A chat's title or a person's full name (either may be unknown) and the @username."""

    title: str | None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Names:
    """The archived names of the chats and senders alert payloads mention, by id."""

    chats: Mapping[int, PeerName] = field(default_factory=dict)
    users: Mapping[int, PeerName] = field(default_factory=dict)

    def chat(self, chat_id: int | None) -> PeerName | None:
        return None if chat_id is None else self.chats.get(chat_id)

    def sender(self, sender_id: int | None) -> PeerName | None:
        """Senders are marked peer ids: people positive, channels posting as themselves negative."""
        if sender_id is None:
            return None
        return self.users.get(sender_id) if sender_id > 0 else self.chats.get(sender_id)


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """Alerts one sender now holds (bursts already folded into digests) and their names."""

    alerts: tuple[OutboxAlert, ...]
    names: Names


@dataclass(frozen=True, slots=True)
class AckOutcome:
    """An acknowledged alert; ``newly`` is False when someone had acknowledged it before."""

    alert: OutboxAlert
    names: Names
    newly: bool


def task_result_row(
    *, task_id: int, kind: str, state: str, text: str, chat_id: int, edit_message_id: int | None
) -> dict[str, Any]:
    """The outbox row telling an admin how a task ended: once per task (its dedup key), editing
    the task's progress message in place when there is one."""
    payload: dict[str, Any] = {"task_id": task_id, "kind": kind, "state": state, "text": text}
    if edit_message_id is not None:
        payload["edit_message_id"] = edit_message_id
    return {
        "dedup_key": f"task:{task_id}",
        "kind": TASK,
        "recipient_chat_id": chat_id,
        "payload": payload,
    }

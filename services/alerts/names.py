"""The archived names of the chats and people alert payloads mention, looked up in one go."""

from __future__ import annotations

from collections.abc import Iterable

from core.db.uow import UnitOfWork
from services.alerts.models import Names, OutboxAlert, PeerName


async def names_for(uow: UnitOfWork, alerts: Iterable[OutboxAlert]) -> Names:
    """Names of the chats and senders the payloads mention (digest items included)."""
    chat_ids: set[int] = set()
    user_ids: set[int] = set()
    for alert in alerts:
        for item in (alert.payload, *alert.payload.get("first", ())):
            if isinstance(item.get("chat_id"), int):
                chat_ids.add(item["chat_id"])
            sender = item.get("sender_id")
            if isinstance(sender, int):
                (user_ids if sender > 0 else chat_ids).add(sender)
    chats = await uow.alerts.chat_names(chat_ids)
    users = await uow.alerts.user_names(user_ids)
    return Names(
        chats={key: PeerName(title, username) for key, (title, username) in chats.items()},
        users={key: PeerName(name, username) for key, (name, username) in users.items()},
    )

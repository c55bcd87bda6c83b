"""The archiver's Telethon edge: maps Telegram objects to domain ones (only it imports telethon)."""

from services.archiver.telethon_adapter.client import client_from_settings, create_client
from services.archiver.telethon_adapter.connection import connect_account, wait_disconnected
from services.archiver.telethon_adapter.gateway import TelethonGateway
from services.archiver.telethon_adapter.live_events import LiveEvents
from services.archiver.telethon_adapter.login import LoggedIn, LoginPrompts, log_in

__all__ = [
    "LiveEvents",
    "LoggedIn",
    "LoginPrompts",
    "TelethonGateway",
    "client_from_settings",
    "connect_account",
    "create_client",
    "log_in",
    "wait_disconnected",
]

"""The archiver's Telethon edge: maps Telegram objects to domain ones (only it imports telethon)."""

from services.archiver.telethon_adapter.client import create_client
from services.archiver.telethon_adapter.gateway import TelethonGateway

__all__ = ["TelethonGateway", "create_client"]

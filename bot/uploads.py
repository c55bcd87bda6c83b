"""Documents admins send the bot: what they are, whether the bot may fetch them, and the download.

A download lands in a fresh temporary folder that is removed when the work is done, whatever
happened. Errors that name the temporary file (the importer's do) are rewritten to name the
file the admin sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import urlsplit

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Document
from aiohttp import ClientError

from core.errors import InvalidInputError, RetryLaterError

log = structlog.get_logger(__name__)
OFFICIAL_HOST = "api.telegram.org"
OFFICIAL_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses larger files on Telegram's server
EXPORT_SUFFIXES = frozenset({".json", ".zip"})
EXPORT_MIME_TYPES = frozenset(
    {"application/json", "application/zip", "application/x-zip-compressed"}
)
UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STORED_NAME = 100
DEFAULT_NAME = "result.json"
MIN_DOWNLOAD_SECONDS = 60
BYTES_PER_SECOND = 256 * 1024  # a slow link still finishes before the timeout


@dataclass(frozen=True, slots=True)
class Upload:
    """A document as the bot sees it before fetching it."""

    file_id: str
    name: str  # as the admin's client named it (shown back to them)
    size: int | None
    mime_type: str | None

    @property
    def stored_name(self) -> str:
        """A file-system-safe name that keeps the suffix the importer looks at."""
        base = UNSAFE_NAME_CHARS.sub("_", PurePath(self.name).name).strip("._")
        return base[-MAX_STORED_NAME:] or DEFAULT_NAME

    @property
    def looks_like_export(self) -> bool:
        """By the name's suffix; by the MIME type only when the name has none."""
        suffix = PurePath(self.name.lower()).suffix
        if suffix:
            return suffix in EXPORT_SUFFIXES
        return (self.mime_type or "").lower() in EXPORT_MIME_TYPES


def upload_of(document: Document) -> Upload:
    return Upload(
        file_id=document.file_id,
        name=document.file_name or DEFAULT_NAME,
        size=document.file_size,
        mime_type=document.mime_type,
    )


def is_official_server(api_server: str) -> bool:
    return (urlsplit(api_server.strip()).hostname or "").lower() == OFFICIAL_HOST


def too_large_to_fetch(upload: Upload, api_server: str) -> bool:
    """Whether Telegram's own Bot API server would refuse to hand the file to a bot."""
    return (
        is_official_server(api_server)
        and upload.size is not None
        and upload.size > OFFICIAL_DOWNLOAD_LIMIT
    )


def download_timeout(num_bytes: int | None) -> int:
    return MIN_DOWNLOAD_SECONDS + (num_bytes or 0) // BYTES_PER_SECOND


@contextlib.asynccontextmanager
async def downloaded(bot: Bot, upload: Upload, *, root: Path | None = None) -> AsyncIterator[Path]:
    """The upload saved in a temporary folder (under ``root``, default the system's temp
    folder), removed on the way out; errors inside that name the file name the upload."""
    folder = Path(tempfile.mkdtemp(prefix="tv-upload-", dir=root))
    path = folder / upload.stored_name
    try:
        await _fetch(bot, upload, path)
        log.info("upload_downloaded", name=upload.stored_name, size=path.stat().st_size)
        try:
            yield path
        except InvalidInputError as error:
            raise InvalidInputError(_unfoldered(str(error), folder)) from error
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


async def _fetch(bot: Bot, upload: Upload, path: Path) -> None:
    try:
        await bot.download(upload.file_id, destination=path, timeout=download_timeout(upload.size))
    except TelegramBadRequest as error:
        if "too big" in error.message.lower():
            raise InvalidInputError(
                f"{upload.name} is too large for the Bot API server to hand to a bot: import "
                "it with 'telegramvault import PATH' on the vault's server, or run a local "
                "Bot API server and set BOT_API_SERVER to it"
            ) from error
        raise
    except TelegramRetryAfter as error:
        wait = error.retry_after
        raise RetryLaterError("Telegram asks me to wait before downloading", wait) from error
    except (TelegramServerError, TelegramNetworkError, ClientError, TimeoutError) as error:
        log.warning("upload_download_failed", name=upload.stored_name, error=str(error))
        raise RetryLaterError(f"could not download {upload.name} from Telegram") from error


def _unfoldered(text: str, folder: Path) -> str:
    return text.replace(f"{folder}{os.sep}", "").replace(str(folder), "")

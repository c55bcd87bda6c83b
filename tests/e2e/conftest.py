"""End-to-end fixtures: ``env`` is the whole bot on a migrated vault (both dialects)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.db.database import Database
from tests.e2e.harness import BotEnv, bot_env


@pytest.fixture
async def env(db: Database, tmp_path: Path) -> AsyncIterator[BotEnv]:
    async with bot_env(db, tmp_path) as running:
        yield running

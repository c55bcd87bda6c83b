"""`telegramvault run --role bot`: the bot alone on the vault, polling the configured Bot API
server, answering admins and delivering the alerts the archiver queued."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.db.database import Database
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind
from services.detection.service import DetectionService, RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from telegramvault.bootstrap import Core, start_logging
from telegramvault.bot_role import run_bot_role
from tests import factories
from tests.e2e.harness import ADMIN, OTHER_ADMIN, SECRET, STRANGER
from tests.fakes.botapi import TOKEN, FakeBotApi


async def _core(db: Database, tmp_path: Path, api_server: str) -> Core:
    config = ConfigManager(
        env_file=None,
        environ={
            "SECRET_KEY": SECRET,
            "BOT_TOKEN": TOKEN,
            "BOT_ADMIN_IDS": f"{ADMIN},{OTHER_ADMIN}",
            "BOT_API_SERVER": api_server,
            "MEDIA_DIR": str(tmp_path / "media"),
            "HTTP_PORT": "0",
        },
    )
    config.load()
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy())
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def test_the_bot_role_answers_admins_and_delivers_alerts(
    db: Database, tmp_path: Path
) -> None:
    async with FakeBotApi() as api:
        core = await _core(db, tmp_path, api.base_url)
        detection = DetectionService(core.config, core.logger, db=db, recipients=[ADMIN])
        await detection.add_rule(RuleDraft("fruit", RuleKind.KEYWORDS, "pineapple"))
        stop = asyncio.Event()
        role = asyncio.create_task(run_bot_role(core, stop=stop))
        await api.wait_for_calls("getUpdates", timeout=15)
        assert [c["command"] for c in api.commands][:2] == ["status", "search"]

        api.push_message(user_id=STRANGER, text="/status")
        api.push_message(user_id=ADMIN, text="/status")
        [status] = await api.wait_for_messages(ADMIN, 1, timeout=15)
        assert "Vault status" in (status.plain_text or "")

        ingest = IngestService(db, MediaPolicy(frozenset(), 0), scanner=detection)
        page = ArchivePage(
            messages=[factories.message(1, text="who brought the pineapple?")],
            chats=[factories.chat()],
            users=[factories.user()],
        )
        await ingest.ingest_page(page)
        alert = (await api.wait_for_messages(ADMIN, 2, timeout=30))[-1]
        assert "fruit" in (alert.plain_text or "") and "<b>pineapple</b>" in (alert.text or "")
        stop.set()
        await asyncio.wait_for(role, 30)
    assert api.messages(STRANGER) == []
    assert api.messages(OTHER_ADMIN) == []  # the rule's alert went to the recipients it named

"""`telegramvault search` and `telegramvault rules` on a vault filled through the ingest path."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.db.database import Database
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from telegramvault.cli import main
from tests import factories as f

KEY = "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo"
TEXTS = ["Llámame al teléfono mañana", "nada que ver", "el TELEFONO de Bogotá", "wire it"]


@pytest.fixture
def vault_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp_path = clean_env
    monkeypatch.setenv("SECRET_KEY", KEY)
    db_path = tmp_path / "data" / "vault.db"
    db_path.parent.mkdir()

    async def _fill() -> None:
        db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
        from core.db import migrate

        await migrate.upgrade(db.engine)
        page = ArchivePage(
            messages=[f.message(i + 1, text=t) for i, t in enumerate(TEXTS)], chats=[f.chat()]
        )
        await IngestService(db, MediaPolicy(frozenset())).ingest_page(page)
        await db.dispose()

    asyncio.run(_fill())
    return tmp_path


def test_search_prints_highlighted_hits(
    vault_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "telefono"]) == 0
    out = capsys.readouterr().out
    assert "2 result(s)" in out
    assert "«teléfono»" in out
    assert "«TELEFONO»" in out


def test_search_as_json_and_invalid_queries(
    vault_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--json", "bogota"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [hit["message_id"] for hit in page["hits"]] == [3]
    assert main(["search", "form:@ana"]) == 1
    assert "from:" in capsys.readouterr().err


def test_rules_add_list_backtest_and_delete(
    vault_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "add", "phones", "--keywords", "telefono, movil"]) == 0
    assert main(["rules", "add", "bad", "--regex", "a(?=b)"]) == 1
    assert "lookahead" in capsys.readouterr().err
    assert main(["rules", "list"]) == 0
    assert "phones: keywords 'telefono, movil'" in capsys.readouterr().out
    assert main(["rules", "test", "phones"]) == 0
    assert "2 hit(s)" in capsys.readouterr().out
    assert main(["rules", "test", "--builtin", "email"]) == 0
    assert "0 hit(s)" in capsys.readouterr().out
    assert main(["rules", "disable", "phones"]) == 0
    assert main(["rules", "delete", "phones"]) == 0
    assert main(["rules", "list"]) == 0
    assert "0 rule(s)" in capsys.readouterr().out

"""Revision 0007's faster ``tv_fold`` folds every text exactly as revision 0002's did."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from benchmarks.corpus import Corpus
from core.db import migrate
from core.db.database import Database
from core.db.search_index import ARABIC_FOLDED, POSTGRES_FOLD_FUNCTION_V2

pytestmark = pytest.mark.parametrize(
    "dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)
EDGE_CASES = [
    "",
    "plain ascii",
    "Información ÚTIL, Ñandú",
    "أَحْمَد إِبْرَاهِيم مُؤْمِن سُؤَال",  # harakat and every hamza seat
    "ـــــ tatweel",
    "mixed مُحَمَّد and Москва and 比特币",
    "\u0610\u06ed at both ends of the Arabic block \u060f\u06ee\u06ff",
    "".join(chr(c) for c in range(0x0600, 0x0700)),  # the whole block, folded or kept
    *ARABIC_FOLDED,  # each character the old translate() list held, alone
]


async def _differences(db: Database, texts: list[str | None]) -> list[str | None]:
    """Texts the current tv_fold folds differently from revision 0002's."""
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            POSTGRES_FOLD_FUNCTION_V2.replace("tv_fold(", "tv_fold_0002(", 1)
        )
        query = text(
            "SELECT t FROM unnest(CAST(:texts AS TEXT[])) AS u(t) "
            "WHERE tv_fold(t) IS DISTINCT FROM tv_fold_0002(t)"
        )
        differing = [row[0] for row in await conn.execute(query, {"texts": texts})]
        await conn.exec_driver_sql("DROP FUNCTION tv_fold_0002(text)")
    return differing


async def test_the_faster_fold_agrees_on_edge_cases_and_a_corpus(db: Database) -> None:
    corpus = itertools.islice(Corpus(3000, 7).messages(), 3000)  # every script it generates
    texts: list[str | None] = [*EDGE_CASES, None]
    texts += [m.text.replace("\x00", "") for m in corpus]  # PostgreSQL text holds no NUL
    assert await _differences(db, texts) == []


async def test_it_goes_down_to_0006s_fold_and_back(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine)
        assert "CASE WHEN" in await _definition(db)
        await migrate.downgrade(db.engine, "0006")
        assert "CASE WHEN" not in await _definition(db)
        await migrate.upgrade(db.engine)
        assert "CASE WHEN" in await _definition(db)
    finally:
        await db.dispose()


async def _definition(db: Database) -> str:
    async with db.engine.connect() as conn:
        query = text("SELECT pg_get_functiondef('tv_fold(text)'::regprocedure)")
        return str((await conn.execute(query)).scalar_one())

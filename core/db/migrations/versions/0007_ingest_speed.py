"""Ingest speed: PostgreSQL's ``tv_fold`` gives the same results about three times faster.

Every message written runs ``tv_fold`` twice (the stored search column and the trigram index),
and most of its time went to ``translate`` over the list of Arabic marks even for texts without
a single Arabic character; such texts now skip it (see ``POSTGRES_FOLD_FUNCTION_V3``). The
function's results are unchanged, so the stored column and the indexes stay valid as they are.
SQLite is untouched: its folding runs in the application.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from core.db.search_index import POSTGRES_FOLD_FUNCTION_V2, POSTGRES_FOLD_FUNCTION_V3

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _replace_fold(POSTGRES_FOLD_FUNCTION_V3)


def downgrade() -> None:
    _replace_fold(POSTGRES_FOLD_FUNCTION_V2)


def _replace_fold(statement: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Driver SQL, as in 0002: text() could read parts of the function body as parameters.
        bind.exec_driver_sql(statement)

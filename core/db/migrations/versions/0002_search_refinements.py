"""Search refinements: words inside URLs on PostgreSQL, Arabic folding, is:/has: indexes.

PostgreSQL: ``tv_fold`` now folds Arabic marks and hamza letters like ``core.text.fold``, and
``search_vector`` indexes the alphanumeric runs of the folded text. Both feed a generated
column and an expression index, which PostgreSQL does not recompute when an IMMUTABLE function
changes, so the column and both search indexes are dropped and built again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from core.db.search_index import POSTGRES_DROP, postgres_create, postgres_create_v2

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTIAL_DATE_INDEXES = (
    ("ix_messages_date_deleted", "deleted_at IS NOT NULL"),
    ("ix_messages_date_edited", "edit_date IS NOT NULL"),
    ("ix_messages_date_forwarded", "fwd_from_id IS NOT NULL OR fwd_from_name IS NOT NULL"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_search(postgres_create_v2(_language()))
    op.create_index(
        op.f("ix_messages_media_kind_date"), "messages", ["media_kind", "date"], unique=False
    )
    for name, where in PARTIAL_DATE_INDEXES:
        condition = sa.text(where)
        op.create_index(
            op.f(name),
            "messages",
            ["date"],
            unique=False,
            postgresql_where=condition,
            sqlite_where=condition,
        )


def downgrade() -> None:
    for name, _ in reversed(PARTIAL_DATE_INDEXES):
        op.drop_index(op.f(name), table_name="messages")
    op.drop_index(op.f("ix_messages_media_kind_date"), table_name="messages")
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_search(postgres_create(_language()))


def _language() -> str:
    """The configuration search_vector was built with (0001 recorded it)."""
    query = sa.text("SELECT value FROM vault_meta WHERE key = 'fts_language'")
    recorded = op.get_bind().execute(query).scalar()
    return str(recorded or context.config.attributes.get("fts_language") or "simple")


def _rebuild_search(create: tuple[str, ...]) -> None:
    # Sent as driver SQL: text() would read ``[:alnum:]`` in the DDL as a bind parameter.
    bind = op.get_bind()
    for statement in (*POSTGRES_DROP, *create):
        bind.exec_driver_sql(statement)

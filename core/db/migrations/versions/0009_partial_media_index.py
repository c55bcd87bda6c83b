"""The has: index keeps only messages with media.

``ix_messages_media_kind_date`` held an entry for every message, nine in ten of them with no
media at all (a NULL kind), although every has: filter that can use it names a kind or asks
for ``IS NOT NULL``, and both imply the index's condition. Each message written paid for an
entry no search reads: left out, an import of 1,000,000 messages on SQLite took about 8 % less
time. On PostgreSQL the index keeps its ``INCLUDE (id)`` (0008).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NAME = "ix_messages_media_kind_date"


def upgrade() -> None:
    _rebuild("WHERE media_kind IS NOT NULL")


def downgrade() -> None:
    _rebuild("")


def _rebuild(condition: str) -> None:
    include = " INCLUDE (id)" if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
    op.execute(f"CREATE INDEX {NAME} ON messages (media_kind, date){include} {condition}")

"""Alert delivery: acknowledgements, burst digests, and recipients that blocked the bot.

``alerts`` gains who acknowledged an alert and when, and ``digest_id``: the digest alert that
carried it when a burst was sent as one message. ``alert_recipients`` remembers chats the bot
cannot write to (it was blocked or removed), so their alerts fail instead of being retried.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("acked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("acked_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("digest_id", sa.BigInteger(), nullable=True))
        batch.create_index(batch.f("ix_alerts_digest_id"), ["digest_id"], unique=False)
    op.create_table(
        "alert_recipients",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_alert_recipients")),
    )


def downgrade() -> None:
    op.drop_table("alert_recipients")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index(batch.f("ix_alerts_digest_id"))
        batch.drop_column("digest_id")
        batch.drop_column("acked_by")
        batch.drop_column("acked_at")

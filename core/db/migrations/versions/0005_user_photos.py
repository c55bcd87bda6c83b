"""Profile photos: which Telegram photo of a user is stored as which content-addressed blob.

``user_photos`` lets enrichment skip a download when the photo id is already kept, and keeps
every photo a person showed (the blob itself is shared with identical bytes elsewhere).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_photos",
        sa.Column("photo_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_photos_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["media_blobs.sha256"],
            name=op.f("fk_user_photos_sha256_media_blobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_user_photos")),
    )
    op.create_index(
        op.f("ix_user_photos_user_id_stored_at"),
        "user_photos",
        ["user_id", "stored_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_user_photos_user_id_stored_at"), table_name="user_photos")
    op.drop_table("user_photos")

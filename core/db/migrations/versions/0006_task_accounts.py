"""Tasks per account: several archivers, one Telegram account each, share the task queue.

``tasks.account_id`` names the account whose archiver runs a task (a backfill goes to the account
that watches the chat); NULL lets any archiver run it, as every task did before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_tasks_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint(batch.f("fk_tasks_account_id_accounts"), type_="foreignkey")
        batch.drop_column("account_id")

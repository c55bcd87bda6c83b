"""The whole vault schema and its search indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from core.db.search_index import POSTGRES_DROP, SQLITE_CREATE, SQLITE_DROP, postgres_create
from core.db.types import JSONDoc, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("label", name=op.f("uq_accounts_label")),
    )
    op.create_table(
        "chats",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("is_forum", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("access_hash", sa.BigInteger(), nullable=True),
        sa.Column("photo_id", sa.BigInteger(), nullable=True),
        sa.Column("participants_count", sa.Integer(), nullable=True),
        sa.Column("migrated_to_id", sa.BigInteger(), nullable=True),
        sa.Column("migrated_from_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "first_seen_at",
            UTCDateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chats")),
    )
    op.create_index(op.f("ix_chats_username"), "chats", ["username"], unique=False)
    op.create_table(
        "detection_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("options", JSONDoc(), nullable=True),
        sa.Column("chat_ids", JSONDoc(), nullable=True),
        sa.Column("sender_ids", JSONDoc(), nullable=True),
        sa.Column("severity", sa.String(length=16), server_default="medium", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("muted_until", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_detection_rules_name")),
    )
    op.create_table(
        "flood_waits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("operation", sa.String(length=128), nullable=False),
        sa.Column("error_type", sa.String(length=64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("honoured", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flood_waits")),
    )
    op.create_index(op.f("ix_flood_waits_until"), "flood_waits", ["until"], unique=False)
    op.create_table(
        "media_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_media_blobs")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("args", JSONDoc(), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("progress", JSONDoc(), nullable=True),
        sa.Column("result", JSONDoc(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("reply_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("reply_message_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_tasks_dedup_key")),
    )
    op.create_index(
        op.f("ix_tasks_state_priority_id"), "tasks", ["state", "priority", "id"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("lang_code", sa.String(length=16), nullable=True),
        sa.Column("is_bot", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_premium", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_scam", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_fake", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_watched", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("access_hash", sa.BigInteger(), nullable=True),
        sa.Column("photo_id", sa.BigInteger(), nullable=True),
        sa.Column("common_chats_count", sa.Integer(), nullable=True),
        sa.Column(
            "first_seen_at",
            UTCDateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("enriched_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_username"), "users", ["username"], unique=False)
    op.create_table(
        "vault_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_vault_meta")),
    )
    op.create_table(
        "backfill_cursors",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("top_message_id", sa.BigInteger(), nullable=True),
        sa.Column("next_offset_id", sa.BigInteger(), nullable=True),
        sa.Column("fetched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("done", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "started_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_backfill_cursors_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_backfill_cursors_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_backfill_cursors")),
    )
    op.create_table(
        "chat_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_chat_history_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_history")),
    )
    op.create_index(
        op.f("ix_chat_history_chat_id_changed_at"),
        "chat_history",
        ["chat_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("date", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("entities", JSONDoc(), nullable=True),
        sa.Column("kind", sa.String(length=16), server_default="text", nullable=False),
        sa.Column("action", sa.String(length=48), nullable=True),
        sa.Column("action_data", JSONDoc(), nullable=True),
        sa.Column("reply_to_msg_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("fwd_from_id", sa.BigInteger(), nullable=True),
        sa.Column("fwd_from_name", sa.Text(), nullable=True),
        sa.Column("fwd_date", UTCDateTime(), nullable=True),
        sa.Column("grouped_id", sa.BigInteger(), nullable=True),
        sa.Column("via_bot_id", sa.BigInteger(), nullable=True),
        sa.Column("post_author", sa.Text(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("media_kind", sa.String(length=16), nullable=True),
        sa.Column("edit_date", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("scanned_at", UTCDateTime(), nullable=True),
        sa.Column(
            "archived_at",
            UTCDateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_messages_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("chat_id", "message_id", name=op.f("uq_messages_chat_id_message_id")),
    )
    op.create_index(op.f("ix_messages_chat_id_date"), "messages", ["chat_id", "date"], unique=False)
    op.create_index(op.f("ix_messages_date"), "messages", ["date"], unique=False)
    op.create_index(
        op.f("ix_messages_sender_id_date"), "messages", ["sender_id", "date"], unique=False
    )
    op.create_table(
        "user_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_history")),
    )
    op.create_index(
        op.f("ix_user_history_user_id_changed_at"),
        "user_history",
        ["user_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "watched_chats",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("media_policy", JSONDoc(), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "added_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_watched_chats_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_watched_chats_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_watched_chats")),
    )
    op.create_table(
        "detections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.BigInteger(), nullable=False),
        sa.Column("matched_text", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_detections_message_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["detection_rules.id"],
            name=op.f("fk_detections_rule_id_detection_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detections")),
        sa.UniqueConstraint("rule_id", "message_pk", name=op.f("uq_detections_rule_id_message_pk")),
    )
    op.create_index(op.f("ix_detections_message_pk"), "detections", ["message_pk"], unique=False)
    op.create_table(
        "media",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_pk", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tg_file_id", sa.BigInteger(), nullable=True),
        sa.Column("tg_dc_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=128), nullable=True),
        sa.Column("declared_size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_category", sa.String(length=16), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_media_message_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["media_blobs.sha256"],
            name=op.f("fk_media_sha256_media_blobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("message_pk", name=op.f("uq_media_message_pk")),
    )
    op.create_index(op.f("ix_media_sha256"), "media", ["sha256"], unique=False)
    op.create_index(
        op.f("ix_media_state_next_attempt_at"), "media", ["state", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_media_tg_file_id"), "media", ["tg_file_id"], unique=False)
    op.create_table(
        "message_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_pk", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entities", JSONDoc(), nullable=True),
        sa.Column("edit_date", UTCDateTime(), nullable=True),
        sa.Column(
            "recorded_at",
            UTCDateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["messages.id"],
            name=op.f("fk_message_versions_message_pk_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_versions")),
    )
    op.create_index(
        op.f("ix_message_versions_message_pk"), "message_versions", ["message_pk"], unique=False
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detection_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", JSONDoc(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["detection_id"],
            ["detections.id"],
            name=op.f("fk_alerts_detection_id_detections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alerts_dedup_key")),
    )
    op.create_index(
        op.f("ix_alerts_state_next_attempt_at"),
        "alerts",
        ["state", "next_attempt_at"],
        unique=False,
    )
    _create_search_indexes()


def downgrade() -> None:
    _drop_search_indexes()
    op.drop_index(op.f("ix_alerts_state_next_attempt_at"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_message_versions_message_pk"), table_name="message_versions")
    op.drop_table("message_versions")
    op.drop_index(op.f("ix_media_tg_file_id"), table_name="media")
    op.drop_index(op.f("ix_media_state_next_attempt_at"), table_name="media")
    op.drop_index(op.f("ix_media_sha256"), table_name="media")
    op.drop_table("media")
    op.drop_index(op.f("ix_detections_message_pk"), table_name="detections")
    op.drop_table("detections")
    op.drop_table("watched_chats")
    op.drop_index(op.f("ix_user_history_user_id_changed_at"), table_name="user_history")
    op.drop_table("user_history")
    op.drop_index(op.f("ix_messages_sender_id_date"), table_name="messages")
    op.drop_index(op.f("ix_messages_date"), table_name="messages")
    op.drop_index(op.f("ix_messages_chat_id_date"), table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_chat_history_chat_id_changed_at"), table_name="chat_history")
    op.drop_table("chat_history")
    op.drop_table("backfill_cursors")
    op.drop_table("vault_meta")
    op.drop_index(op.f("ix_users_username"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_tasks_state_priority_id"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("media_blobs")
    op.drop_index(op.f("ix_flood_waits_until"), table_name="flood_waits")
    op.drop_table("flood_waits")
    op.drop_table("detection_rules")
    op.drop_index(op.f("ix_chats_username"), table_name="chats")
    op.drop_table("chats")
    op.drop_table("accounts")


def _create_search_indexes() -> None:
    language = context.config.attributes.get("fts_language") or "simple"
    statements = (
        SQLITE_CREATE if op.get_bind().dialect.name == "sqlite" else postgres_create(language)
    )
    for statement in statements:
        op.execute(statement)
    op.execute(
        sa.text(
            "INSERT INTO vault_meta (key, value) VALUES ('fts_language', :language)"
        ).bindparams(language=language)
    )


def _drop_search_indexes() -> None:
    statements = SQLITE_DROP if op.get_bind().dialect.name == "sqlite" else POSTGRES_DROP
    for statement in statements:
        op.execute(statement)

"""The vault schema as SQLAlchemy Core tables; migrations create exactly this (a test compares)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    text,
)

from core.db.types import BigIntPK, JSONDoc, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
NOW = text("CURRENT_TIMESTAMP")


def _created() -> Column[object]:
    return Column("created_at", UTCDateTime(), nullable=False, server_default=NOW)


# Search walks these newest first reading ``date, id``: on PostgreSQL the id rides along in the
# index (migration 0008) so a walk never visits the heap; SQLite indexes end with the rowid.
WALK_INCLUDE: dict[str, Any] = {"postgresql_include": ["id"]}


HAS_MEDIA = "media_kind IS NOT NULL"


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, for both dialects."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


def _partial_date_index(name: str, where: str) -> Index:
    return Index(name, "date", **WALK_INCLUDE, **_where(where))


vault_meta = Table(
    "vault_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(64), nullable=False, unique=True),
    Column("telegram_user_id", BigInteger),
    _created(),
)

chats = Table(
    "chats",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # marked peer id (-100… etc.)
    Column("kind", String(16), nullable=False),  # user, bot, group, supergroup, channel
    Column("title", Text),
    Column("username", String(64)),
    Column("about", Text),
    Column("is_forum", Boolean, nullable=False, server_default=text("false")),
    Column("access_hash", BigInteger),
    Column("photo_id", BigInteger),
    Column("participants_count", Integer),
    Column("migrated_to_id", BigInteger),
    Column("migrated_from_id", BigInteger),
    Column("first_seen_at", UTCDateTime(), nullable=False, server_default=NOW),
    Column("updated_at", UTCDateTime(), nullable=False, server_default=NOW),
    Index(None, "username"),
)

chat_history = Table(
    "chat_history",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "chat_id", "changed_at"),
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("username", String(64)),
    Column("phone", String(32)),
    Column("bio", Text),
    Column("lang_code", String(16)),
    Column("is_bot", Boolean, nullable=False, server_default=text("false")),
    Column("is_premium", Boolean, nullable=False, server_default=text("false")),
    Column("is_verified", Boolean, nullable=False, server_default=text("false")),
    Column("is_scam", Boolean, nullable=False, server_default=text("false")),
    Column("is_fake", Boolean, nullable=False, server_default=text("false")),
    Column("is_deleted", Boolean, nullable=False, server_default=text("false")),
    Column("is_watched", Boolean, nullable=False, server_default=text("false")),
    Column("access_hash", BigInteger),
    Column("photo_id", BigInteger),
    Column("common_chats_count", Integer),
    Column("first_seen_at", UTCDateTime(), nullable=False, server_default=NOW),
    Column("updated_at", UTCDateTime(), nullable=False, server_default=NOW),
    Column("enriched_at", UTCDateTime()),
    Index(None, "username"),
)

user_history = Table(
    "user_history",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "user_id", "changed_at"),
)

watched_chats = Table(
    "watched_chats",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("media_policy", JSONDoc()),
    Column("added_by", BigInteger),
    Column("added_at", UTCDateTime(), nullable=False, server_default=NOW),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigIntPK, primary_key=True),  # also the FTS rowid on SQLite
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("sender_id", BigInteger),  # marked peer id: users positive, channels negative
    Column("date", UTCDateTime(), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("entities", JSONDoc()),
    Column("kind", String(16), nullable=False, server_default="text"),  # text, media, service
    Column("action", String(48)),  # service action name, e.g. chat_edit_title
    Column("action_data", JSONDoc()),
    Column("reply_to_msg_id", BigInteger),
    Column("topic_id", BigInteger),
    Column("fwd_from_id", BigInteger),
    Column("fwd_from_name", Text),
    Column("fwd_date", UTCDateTime()),
    Column("grouped_id", BigInteger),
    Column("via_bot_id", BigInteger),
    Column("post_author", Text),
    Column("views", Integer),
    Column("media_kind", String(16)),
    Column("edit_date", UTCDateTime()),
    Column("deleted_at", UTCDateTime()),
    Column("scanned_at", UTCDateTime()),  # detection done; NULL rows are re-scanned after a crash
    Column("archived_at", UTCDateTime(), nullable=False, server_default=NOW),
    UniqueConstraint("chat_id", "message_id"),
    Index(None, "chat_id", "date", **WALK_INCLUDE),
    Index(None, "sender_id", "date", **WALK_INCLUDE),
    Index(None, "date", **WALK_INCLUDE),
    # The is:/has: filters: newest-first walks over just the rows they keep. A has: filter
    # names kinds or asks for any, so messages without media need no entry (0009).
    Index(None, "media_kind", "date", **WALK_INCLUDE, **_where(HAS_MEDIA)),
    _partial_date_index("ix_messages_date_deleted", "deleted_at IS NOT NULL"),
    _partial_date_index("ix_messages_date_edited", "edit_date IS NOT NULL"),
    _partial_date_index(
        "ix_messages_date_forwarded", "fwd_from_id IS NOT NULL OR fwd_from_name IS NOT NULL"
    ),
)

message_versions = Table(
    "message_versions",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("message_pk", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("entities", JSONDoc()),
    Column("edit_date", UTCDateTime()),
    Column("recorded_at", UTCDateTime(), nullable=False, server_default=NOW),
    Index(None, "message_pk"),
)

media_blobs = Table(
    "media_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", String(128)),
    Column("path", Text, nullable=False),  # relative to MEDIA_DIR
    _created(),
)

# Profile photos kept by enrichment: Telegram's photo id (dedup before download) -> the blob.
user_photos = Table(
    "user_photos",
    metadata,
    Column("photo_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "sha256",
        String(64),
        ForeignKey("media_blobs.sha256", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("stored_at", UTCDateTime(), nullable=False),
    Index(None, "user_id", "stored_at"),
)

media = Table(
    "media",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("message_pk", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tg_file_id", BigInteger),  # Telegram photo/document id: dedup before download
    Column("tg_dc_id", Integer),
    Column("file_name", Text),
    Column("mime_type", String(128)),
    Column("declared_size", BigInteger),
    Column("sha256", String(64), ForeignKey("media_blobs.sha256", ondelete="SET NULL")),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_error", Text),
    Column("error_category", String(16)),
    Column("claimed_by", String(64)),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False, server_default=NOW),
    UniqueConstraint("message_pk"),
    Index(None, "state", "next_attempt_at"),
    Index(None, "tg_file_id"),
    Index(None, "sha256"),
)

detection_rules = Table(
    "detection_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # keywords, regex, builtin
    Column("pattern", Text, nullable=False),
    Column("options", JSONDoc()),
    Column("chat_ids", JSONDoc()),
    Column("sender_ids", JSONDoc()),
    Column("severity", String(16), nullable=False, server_default="medium"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("cooldown_seconds", Integer, nullable=False, server_default="0"),
    Column("muted_until", UTCDateTime()),
    Column("created_by", BigInteger),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False, server_default=NOW),
)

detections = Table(
    "detections",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column(
        "rule_id", Integer, ForeignKey("detection_rules.id", ondelete="CASCADE"), nullable=False
    ),
    Column("message_pk", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("matched_text", Text, nullable=False),
    Column("context", Text),
    _created(),
    UniqueConstraint("rule_id", "message_pk"),
    Index(None, "message_pk"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("dedup_key", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # detection, digest, task, user_change
    Column("detection_id", BigInteger, ForeignKey("detections.id", ondelete="CASCADE")),
    Column("recipient_chat_id", BigInteger, nullable=False),
    Column("payload", JSONDoc(), nullable=False),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_error", Text),
    Column("claimed_by", String(64)),
    Column("sent_message_id", BigInteger),
    _created(),
    Column("sent_at", UTCDateTime()),
    Column("acked_at", UTCDateTime()),
    Column("acked_by", BigInteger),
    Column("digest_id", BigInteger),  # the digest alert that carried this one (a burst)
    Index(None, "state", "next_attempt_at"),
    Index(None, "digest_id"),
)

# Where alerts go and whether they can: a recipient that blocked the bot stops being retried.
alert_recipients = Table(
    "alert_recipients",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),  # ok, blocked
    Column("reason", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("args", JSONDoc(), nullable=False),
    Column("dedup_key", String(128), unique=True),
    Column("state", String(16), nullable=False, server_default="queued"),
    Column("priority", Integer, nullable=False, server_default="0"),
    # The account whose archiver runs it (a task about a chat goes to the chat's); NULL: any.
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("progress", JSONDoc()),
    Column("result", JSONDoc()),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("requested_by", BigInteger),
    Column("reply_chat_id", BigInteger),
    Column("reply_message_id", BigInteger),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime()),
    Column("heartbeat_at", UTCDateTime()),
    _created(),
    Column("finished_at", UTCDateTime()),
    Index(None, "state", "priority", "id"),
)

backfill_cursors = Table(
    "backfill_cursors",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("top_message_id", BigInteger),  # newest id when the backfill started
    Column("next_offset_id", BigInteger),  # fetch older than this on resume; committed per page
    Column("fetched", Integer, nullable=False, server_default="0"),
    Column("limit", Integer),
    Column("since", UTCDateTime()),
    Column("done", Boolean, nullable=False, server_default=text("false")),
    Column("started_at", UTCDateTime(), nullable=False, server_default=NOW),
    Column("updated_at", UTCDateTime(), nullable=False, server_default=NOW),
)

flood_waits = Table(
    "flood_waits",
    metadata,
    Column("id", BigIntPK, primary_key=True),
    Column("account", String(64)),
    Column("operation", String(128), nullable=False),
    Column("error_type", String(64), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("honoured", Boolean, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Index(None, "until"),
)

# APScheduler's job store (services/jobs/store.py): exactly the columns SQLAlchemyJobStore
# declares, so the migrations own the table and the store finds it made. ``job_state`` is a
# pickled job; ``next_run_time`` a UTC timestamp, NULL while the job is paused.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

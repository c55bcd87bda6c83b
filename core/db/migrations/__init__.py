"""Alembic migrations that run on both SQLite and PostgreSQL."""

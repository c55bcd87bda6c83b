"""Storage: SQLAlchemy 2 async tables, engines per dialect, upserts, unit of work and migrations."""

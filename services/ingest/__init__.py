"""Ingest: every archive source (backfill, live, import) writes through here, a page at a time."""

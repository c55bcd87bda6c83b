"""The archiver: a Telegram user session's side of the vault (watch list, backfill, live, media)."""

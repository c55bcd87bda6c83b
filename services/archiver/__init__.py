"""The archiver: the Telegram user session's side of the vault (watch list, backfill, live, media)."""

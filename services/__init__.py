"""Use cases and workers between the Telegram edges and the core (archive, search, detection)."""

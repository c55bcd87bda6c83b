"""Profile enrichment: full profiles, photos and change history from Telegram into the vault."""

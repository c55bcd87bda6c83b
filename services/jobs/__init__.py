"""Scheduled jobs: the vault's periodic work, timed by APScheduler, persisted in its database."""

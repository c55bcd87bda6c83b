"""Observability: the vault's health checks and Prometheus metrics, read from the database and
from in-process signals; the HTTP endpoint in telegramvault serves them."""

"""Protocols the services need from the outside world (clock, flood-wait ledger, message source …)."""

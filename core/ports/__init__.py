"""Protocols the services need from the outside (clock, flood-wait ledger, message source …)."""

"""Detection: rules compiled into one linear-time scan of every message, and the service."""

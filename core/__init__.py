"""Framework-free kernel shared by every role: configuration, logging, retries, domain, storage."""

"""Alerts: the durable outbox detections and tasks write into, drained by the bot's sender."""

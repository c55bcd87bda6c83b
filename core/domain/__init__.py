"""Frozen dataclasses the rest of the code speaks: messages, users, hits, alerts, flood waits."""

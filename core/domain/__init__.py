"""Frozen dataclasses the rest of the code speaks: messages, media, users, hits, alerts, flood waits."""

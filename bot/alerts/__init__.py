"""Alert delivery at the edge: the outbox sender loop, alert presenters, and their buttons."""

"""Search use cases: the query language compiled per dialect, message and people results."""

from services.search.service import SearchService

__all__ = ["SearchService"]

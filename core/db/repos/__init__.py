"""Repositories: queries and batched writes over one connection; they never commit."""

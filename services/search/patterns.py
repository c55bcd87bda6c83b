"""Regular expressions over folded text, for terms matched by a scan instead of an index.

SQLite folds with ``core.text.fold`` and matches Python regexes; PostgreSQL folds with its
``tv_fold`` (the same folding, Arabic marks and hamza forms included) and matches POSIX regexes.
"""

from __future__ import annotations

import re

from services.search.terms import PlannedTerm

PY_NOT_ALNUM = r"[\W_]"
PG_NOT_ALNUM = "[^[:alnum:]]"


def python_word_regex(term: PlannedTerm) -> str:
    """A Python regex for a WORD or PHRASE term over ``core.text.fold`` output."""
    body = (PY_NOT_ALNUM + "+").join(re.escape(word) for word in term.words)
    end = "" if term.prefix else r"(?![^\W_])"
    return r"(?<![^\W_])" + body + end


def postgres_word_regex(term: PlannedTerm) -> str:
    """A PostgreSQL regex for a WORD or PHRASE term over ``tv_fold`` output."""
    body = (PG_NOT_ALNUM + "+").join(_are_escape(word) for word in term.words)
    end = "" if term.prefix else f"({PG_NOT_ALNUM}|$)"
    return f"(^|{PG_NOT_ALNUM})" + body + end


def _are_escape(text: str) -> str:
    """Escape for PostgreSQL's ARE syntax: every non-alphanumeric character is quoted."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)

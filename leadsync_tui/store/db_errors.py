"""The errors the database raises on purpose, and which of its errors pass."""

from __future__ import annotations

import sqlite3
import sys


def transient_store_error(exc: BaseException) -> bool:
    """A store error that a later try may not meet: SQLite's lock held past the busy
    timeout or a full disk; a PostgreSQL connection lost or a server restarting (psycopg
    is looked up, not imported: a process on a SQLite file never loads it)."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


class DatabaseError(Exception):
    """Base of the errors this module raises on purpose."""


class DatabaseTooNew(DatabaseError):
    """The file was migrated by a newer leadsync; this one must not touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"database schema v{found} is newer than this leadsync (v{known}); upgrade leadsync"
        )
        self.found = found
        self.known = known


class DuplicateLink(DatabaseError):
    """A ResMan prospect is already linked to another DomIQ conversation."""

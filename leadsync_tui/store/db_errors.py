"""The errors the database raises on purpose."""

from __future__ import annotations


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

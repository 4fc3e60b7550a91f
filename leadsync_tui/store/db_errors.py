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


def store_unreachable(exc: BaseException) -> bool:
    """A team's PostgreSQL store that does not answer now (a restart, a failover, a cut
    network): a service waits for it rather than exit. SQLite's own operational errors
    (a full disk, a lock held) are not this: a person must act on those."""
    if isinstance(exc, BaseExceptionGroup):  # a task group's (the live feed's parts)
        return any(store_unreachable(inner) for inner in exc.exceptions)
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


class NoStoreYet(DatabaseError):
    """A read-only command on a team's PostgreSQL database that holds no leadsync store
    yet: reading must not create one (as `status` on a missing SQLite file does not)."""

    def __init__(self, location: object = "this PostgreSQL database") -> None:
        super().__init__(
            f"there is no leadsync store in {location} yet; one is created when an engine "
            "first runs on it (`leadsync sync --headless --once --config PATH`) or by "
            "`leadsync store migrate`"
        )


class StoreMoved(DatabaseError):
    """The SQLite store was copied to a team's PostgreSQL store (`leadsync store
    migrate`): an engine on the old file would be a second deployment of its own."""

    def __init__(self, path: object, url: str, at: str) -> None:
        super().__init__(
            f"the sync database {path} was moved to {url} on {at} (leadsync store migrate); "
            f'set [store] url = "{url}" in this config (the password in [store] password, '
            "$PGPASSWORD or ~/.pgpass) so that this leadsync joins the team's store"
        )
        self.url = url


class DuplicateLink(DatabaseError):
    """A ResMan prospect is already linked to another DomIQ conversation."""

"""What went wrong with a team's PostgreSQL store, in one line a person can act on.

libpq's texts say what failed ("connection refused", "password authentication failed
for user ...") in a paragraph of detail; `describe_pg` keeps the first line, names the
cause and says which setting or command fixes it. psycopg is looked up, not imported:
a process that never opened a PostgreSQL store cannot hold its errors.
"""

from __future__ import annotations

import sys


def is_pg_error(exc: BaseException) -> bool:
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def describe_pg(exc: BaseException, url: str) -> str:
    """One line: what is wrong with the PostgreSQL store at `url`, and the fix."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    text = str(exc).lower()
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"the PostgreSQL store {url} refused the login ({first}); set [store] password, "
            "$PGPASSWORD or ~/.pgpass for that user"
        )
    if "does not exist" in text and "role" in text:
        return (
            f"the PostgreSQL store {url} has no such user ({first}); create it "
            "(createuser <user>) or fix the user name in [store] url"
        )
    if "does not exist" in text and "database" in text:
        return (
            f"the PostgreSQL store {url} has no such database ({first}); create it "
            "(createdb -O <user> <dbname>) or fix the name in [store] url"
        )
    if "permission denied" in text or "must be owner" in text:
        return (
            f"the PostgreSQL user of {url} may not do this ({first}); make it the "
            "database's owner (ALTER DATABASE <dbname> OWNER TO <user>)"
        )
    if "read-only transaction" in text or "recovery" in text:
        return (
            f"the PostgreSQL store {url} is read-only ({first}); point [store] url at the "
            "primary server, not a standby"
        )
    if "no space left" in text or "could not extend" in text or "disk full" in text:
        return (
            f"the PostgreSQL server of {url} is out of disk ({first}); free space on it: "
            "changes not yet sent wait in the outbox"
        )
    if _unreachable(text):
        return (
            f"cannot reach the PostgreSQL store {url} ({first}); check [store] url, that "
            "the server runs and that it accepts connections from this host"
        )
    return f"cannot use the PostgreSQL store {url}: {first}; check [store] url and the server"


def _unreachable(text: str) -> bool:
    return any(
        words in text
        for words in (
            "connection refused",
            "could not connect",
            "connection failed",
            "timeout expired",
            "could not translate host",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "the connection is lost",
        )
    )

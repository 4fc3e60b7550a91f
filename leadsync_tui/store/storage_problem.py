"""What went wrong with the sync database, in one line a person can act on.

SQLite's own texts ("attempt to write a readonly database", "database is locked",
"database or disk is full") say what failed, not why nor what to do; `describe` names
the cause and the fix. For a held write lock it says who holds it when that is cheap to
find: on Linux, `/proc/locks` lists the process holding SQLite's WAL write lock (byte
120 of the `-shm` file), and `/proc/<pid>/cmdline` says whether it is a leadsync.
A team's PostgreSQL store has its own causes (`pg_problem`).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from leadsync_tui.store.db import DatabaseError
from leadsync_tui.store.db_errors import StoreMoved
from leadsync_tui.store.pg_problem import describe_pg, is_pg_error
from leadsync_tui.store_location import StoreLocation

WAL_WRITE_LOCK_OFFSET = 120
"""SQLite's WAL write lock: the first lock byte of the `-shm` file (WALINDEX_LOCK_OFFSET)."""

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def storage_error(exc: BaseException) -> BaseException | None:
    """The database or file-system error in `exc` (or in an exception group), if any."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = storage_error(inner)
            if found is not None:
                return found
        return None
    if isinstance(exc, DatabaseError | sqlite3.Error | OSError) or is_pg_error(exc):
        return exc
    return None


def describe(exc: BaseException, where: StoreLocation | Path) -> str:
    """One line: what is wrong with the store, and what to do about it."""
    if isinstance(exc, StoreMoved):
        return str(exc)  # it names the new store and the setting
    if isinstance(where, StoreLocation):
        if where.url is not None:
            return describe_pg(exc, where.url)
        where = where.sqlite_path
    path = where
    text = str(exc).lower()
    code = exc.errno if isinstance(exc, OSError) else None
    if "locked" in text or "busy" in text:
        holder = lock_holder(path) or "another process"
        return (
            f"{holder} holds the sync database {path} (its write lock stayed taken: {exc}); "
            "stop it or let it finish, then run again (one engine per database)"
        )
    if "full" in text or code in _FULL_ERRNOS or "too large" in text:
        return (
            f"the disk holding the sync database {path} is full ({exc}); free some space "
            f"(df -h {path.parent}), then run again: changes not yet sent wait in the outbox"
        )
    if "readonly" in text or "read-only" in text or code in _READ_ONLY_ERRNOS:
        return (
            f"the sync database {path} is read-only for this user ({exc}); make it and its "
            f"folder writable (chmod u+w {path} {path.parent}) or point [sync] database at "
            "a writable file"
        )
    return (
        f"cannot use the sync database {path}: {exc}; check the path ([sync] database), "
        "its permissions and free disk space"
    )


def impossible_path(path: Path) -> str | None:
    """Why no sync database can ever be at `path` (a file where a folder must be, a
    folder where the file must be); None when it may simply not exist yet. Without it,
    `status` and `audit` said "no database yet" for a path no run could ever create."""
    if path.is_dir():
        return (
            f"{path} is a folder, not a database file; point [sync] database at a file "
            f"(e.g. {path / 'leadsync.db'})"
        )
    for parent in path.parents:
        if parent.is_dir():
            return None
        if parent.exists():
            return (
                f"{parent} is a file, not a folder, so there can be no sync database at "
                f"{path}; point [sync] database at a file in a folder"
            )
    return None


def lock_holder(path: Path) -> str | None:
    """'leadsync (pid N)' or 'process N (name)' holding `path`'s WAL write lock; None
    when it cannot be told (not Linux, no `-shm` file, nobody holds it)."""
    try:
        shm = os.stat(f"{path}-shm")
        locks = Path("/proc/locks").read_text()
    except OSError:
        return None
    wanted = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    for line in locks.splitlines():
        pid = _write_lock_pid(line.split(), wanted)
        if pid is not None and pid != os.getpid():
            return _process(pid)
    return None


def _write_lock_pid(fields: list[str], wanted: str) -> int | None:
    # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120"
    if len(fields) < 8 or fields[1] != "POSIX" or fields[3] != "WRITE":
        return None
    if fields[5] != wanted:
        return None
    try:
        pid, start = int(fields[4]), int(fields[6])
        end = int(fields[7]) if fields[7] != "EOF" else None
    except ValueError:
        return None
    covers = start <= WAL_WRITE_LOCK_OFFSET and (end is None or end >= WAL_WRITE_LOCK_OFFSET)
    return pid if covers and pid > 0 else None


def _process(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"another process (pid {pid})"
    words = [a.decode(errors="replace") for a in argv if a]
    if any("leadsync" in word for word in words):
        return f"another leadsync (pid {pid})"
    name = Path(words[0]).name if words else "?"
    return f"another process (pid {pid}, {name})"

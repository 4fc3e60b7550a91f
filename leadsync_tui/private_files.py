"""Files that hold customer data or audit are the operator's alone: 0600 in a 0700 folder.

Jump boxes are shared machines. Whatever the umask says, every file leadsync writes with
leads, audit or logs in it (the store and its `-wal`/`-shm`, exports, log files) is
created owner-only, and a folder leadsync creates for them is owner-only too. A file or
folder that already exists is never silently changed: `exposure_warning` says what is
exposed and the `chmod` that fixes it (the config file's secrets get the same line).
"""

from __future__ import annotations

import io
import os
import shlex
import stat
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700 folders; an existing folder is left
    as it is (`exposure_warning` reports it). Returns `path`."""
    missing: list[Path] = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by another process: theirs to set
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def create_private(path: Path) -> bool:
    """Create an empty 0600 file at `path` (its folder 0700) unless it exists; True when
    created. SQLite gives a database's `-wal` and `-shm` its main file's mode, so creating
    the main file this way before connecting makes all three private."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_private(
    path: Path,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    errors: str | None = None,
) -> IO[Any]:
    """`open(path, mode)` for writing (`w`, `a`, `x`, optionally `b`), the file created
    or made 0600 whatever the umask. Its folder must exist (see `private_dir`)."""
    flags = os.O_WRONLY | os.O_CREAT
    if "a" in mode:
        flags |= os.O_APPEND
    elif "x" in mode:
        flags |= os.O_EXCL
    else:
        flags |= os.O_TRUNC
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding, newline=newline, errors=errors)
    except BaseException:
        os.close(fd)
        raise


def readable_by_others(path: Path) -> bool:
    """True when a group or other user has any access to `path` (False if it is absent)."""
    try:
        return bool(path.stat().st_mode & _OTHERS)
    except OSError:
        return False


def exposure_warning(path: Path, holds: str, companions: Sequence[Path] = ()) -> str | None:
    """The warning for a file or folder (and its `companions`, e.g. a database's `-wal`
    and `-shm`) that others may read, with the one `chmod` that fixes it; None when all
    are private or absent. `holds` says what is exposed ("secrets", "customer data")."""
    exposed: list[tuple[Path, int]] = []
    for each in (path, *companions):
        try:
            mode = each.stat().st_mode
        except OSError:
            continue
        if mode & _OTHERS:
            exposed.append((each if each.is_absolute() else each.absolute(), mode))
    if not exposed:
        return None
    shown, mode = exposed[0]
    also = f" (and {', '.join(p.name for p, _ in exposed[1:])})" if exposed[1:] else ""
    fix = DIR_MODE if stat.S_ISDIR(mode) else FILE_MODE
    targets = " ".join(shlex.quote(str(p)) for p, _ in exposed)
    return (
        f"{shown}{also} holds {holds} and is readable by other users "
        f"(mode {stat.filemode(mode)}); fix with: chmod {fix:o} {targets}"
    )


def store_warnings(database: Path) -> tuple[str, ...]:
    """What of a SQLite store (its folder, the file, `-wal`, `-shm`) others may read."""
    companions = [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")]
    found = (
        # A file where the folder must be is a problem `status` names, not an exposure.
        exposure_warning(database.parent, "the sync database")
        if database.parent.is_dir()
        else None,
        exposure_warning(database, "customer data", companions),
    )
    return tuple(warning for warning in found if warning is not None)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A `RotatingFileHandler` whose files (the current one and each new one after a
    rollover) are 0600 in a 0700 folder."""

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        private_dir(path.parent)
        stream = open_private(path, self.mode, encoding=self.encoding, errors=self.errors)
        assert isinstance(stream, io.TextIOWrapper)  # a text mode, as FileHandler's
        return stream

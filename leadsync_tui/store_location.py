"""Where the store is: a SQLite file on this box, or a team's PostgreSQL database.

Settings name it (`[sync] database`, or `[store] url`); every command opens it through
`store.opening.open_database` and names it in its messages with `str()`, which never
holds a password (`[store] url` refuses one: it belongs in `[store] password`,
`PGPASSWORD` or `~/.pgpass`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class StoreLocation:
    """Exactly one of `path` (SQLite) and `url` (PostgreSQL)."""

    path: Path | None = None
    url: str | None = None
    password: SecretStr | None = None

    @classmethod
    def sqlite(cls, path: Path) -> StoreLocation:
        return cls(path=path)

    @classmethod
    def postgresql(cls, url: str, password: SecretStr | None = None) -> StoreLocation:
        return cls(url=url, password=password)

    @property
    def is_postgresql(self) -> bool:
        return self.url is not None

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file; only for a SQLite location."""
        assert self.path is not None, "a PostgreSQL store has no file"
        return self.path

    def __str__(self) -> str:
        if self.url is not None:
            return self.url
        return str(self.path)


def check_postgres_url(value: str) -> str:
    """`[store] url` as written, once it reads as a PostgreSQL URL without a password."""
    value = value.strip()
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in POSTGRES_SCHEMES:
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValueError(
            f"has {shown}; write it as postgresql://user@host:5432/dbname "
            "(leave [store] out to keep the SQLite file)"
        )
    if parts.password is not None:
        # Not echoed: it is a password.
        raise ValueError(
            "holds a password (user:password@host); remove it and put it in "
            "[store] password, $PGPASSWORD or ~/.pgpass"
        )
    if not parts.hostname or not parts.path.strip("/"):
        raise ValueError(
            f"{value!r} needs a host and a database name: postgresql://user@host:5432/dbname"
        )
    del port
    return value

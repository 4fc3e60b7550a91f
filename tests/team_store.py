"""The store a team's processes share in the multi-process tests: a SQLite file, or a
PostgreSQL database of the server the suite starts (`pg_url`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from pydantic import SecretStr

from leadsync_tui.store_location import StoreLocation

BOTH = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
"""`@pytest.mark.parametrize("kind", BOTH)` runs a test on each kind of store."""


def team_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    """A new, empty store of `kind` for one test."""
    if kind == "sqlite":
        return StoreLocation.sqlite(tmp_path / "leadsync.db")
    return postgres_location(request.getfixturevalue("pg_url"))


def postgres_location(url: str) -> StoreLocation:
    """`url` as `[store]` takes it: the password (if the url holds one) kept apart."""
    parts = urlsplit(url)
    if parts.password is None:
        return StoreLocation.postgresql(url)
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return StoreLocation.postgresql(bare, SecretStr(unquote(parts.password)))


def store_block(where: StoreLocation) -> str:
    """The config's `[store]` section for `where` (nothing for a SQLite file, which
    `[sync] database` names)."""
    if where.url is None:
        return ""
    lines = ["[store]", f'url = "{where.url}"']
    if where.password is not None:
        lines.append(f'password = "{where.password.get_secret_value()}"')
    return "\n" + "\n".join(lines) + "\n"

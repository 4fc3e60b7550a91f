"""pytest fixtures for a real PostgreSQL server (`tests/pg_server.py`); loaded by
tests/conftest.py.

`postgres_server` starts one server per process (per xdist worker), and only when a test
asks for it: a run without PostgreSQL tests starts none. `pg_url` gives each test a fresh,
empty database, dropped after it. Where no server can run (no binaries) both skip, and the
summary says, loudly, how many tests did not run for that.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.pg_server import PostgresServer, PostgresUnavailable, running_postgres

_SKIP_MARK = "PostgreSQL server"
"""Every reason `PostgresUnavailable` gives starts so; the summary counts them by it."""

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """This worker's server, started at the first test that needs it."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as unavailable:
        pytest.skip(str(unavailable))


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """`postgresql://leadsync:<password>@127.0.0.1:<port>/<db>`: a new empty database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"test_{worker}_{next(_numbers)}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One loud line: how many tests were skipped because PostgreSQL could not run."""
    reasons = [_reason(report) for report in terminalreporter.stats.get("skipped", [])]
    ours = [reason for reason in reasons if reason.startswith(_SKIP_MARK)]
    if ours:
        terminalreporter.write_sep(
            "!", f"{len(ours)} test(s) SKIPPED: no PostgreSQL server", yellow=True, bold=True
        )
        terminalreporter.write_line(ours[0], yellow=True, bold=True)


def _reason(report: object) -> str:
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""

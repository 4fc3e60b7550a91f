"""Isolation for every test: no developer's config, data dir, LEADSYNC_*, PG* or SSL_CERT_*
env leaks in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# `postgres_server` and `pg_url`: a real PostgreSQL server, started only when asked for.
pytest_plugins = ["tests.pg_fixtures"]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        # PG*: libpq's (PGHOST, PGSSLMODE, ...) would change where the store connects.
        if name.upper().startswith(("LEADSYNC_", "PG")) or name == "TEXTUAL_THEME":
            monkeypatch.delenv(name)
    # A machine whose SSL_CERT_FILE/DIR point away from the system store makes leadsync
    # warn on every start (and changes which CAs httpx trusts): not the tests' business.
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    # The app names `$USER` in its header and audit log: the same on every machine here.
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # Logs too: a test that runs the TUI's start-up never writes to the real home, and
    # the log file one test set up is not the next test's (`log file:` notes).
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    from leadsync_tui import logging_setup

    monkeypatch.setattr(logging_setup, "_current", None)
    yield


_left_open_by: list[str] = []


@pytest.fixture(autouse=True)
def no_connection_left_open(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the SQLite connections a test left open, and note the test. aiosqlite's
    threads are not daemons: one left open hangs the run's exit; and closed later, by
    the next test's in-process `leadsync`, it would be that test's warning line."""
    from leadsync_tui.store import connections

    before = connections.open_now()
    yield
    if connections.stop_leaked(keep=before, quiet=True):
        _left_open_by.append(request.node.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close what tests left open, and say which tests did, instead of hanging. Under
    pytest-xdist each worker closes its own and hands the note to the controller, whose
    terminal is the one a person reads (see `pytest_testnodedown`)."""
    from leadsync_tui.store import connections

    leaked = connections.stop_leaked() + len(_left_open_by)
    if not leaked:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its own terminal goes nowhere
        workeroutput["leadsync_leaked"] = (leaked, _left_open_by[:20])
        return
    _report_leaks(session.config, leaked, _left_open_by)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The xdist controller: say what a finished worker had to close."""
    leaked, by = getattr(node, "workeroutput", {}).get("leadsync_leaked", (0, []))
    if leaked:
        _report_leaks(node.config, leaked, by)


def _report_leaks(config: pytest.Config, leaked: int, by: list[str]) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"{leaked} SQLite connection(s) were left open (closed now) after: "
            + (", ".join(by[:20]) or "a test that kept a reference")
        )

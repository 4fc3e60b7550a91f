"""Logs that exist (issue 12, section 2): the TUI's private rotating file, `sync
--headless`'s JSON lines through the same setup, `--log-level` on every command, the
log path in `?` help and `config check`."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadsync_tui import logging_setup
from leadsync_tui.cli import main
from leadsync_tui.logging_setup import configure_file_logging, configure_json_logging, emit_event
from tests.cli_parsing import parsed
from tests.screens.dashboard_fixtures import close_opened_databases, sample_store
from tests.screens.test_dashboard_actions import dashboard_app


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            logging_setup.remove(handler)
    root.setLevel(level)
    logging_setup._current = None


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_tui_log_is_private_whatever_the_umask(state_home: Path) -> None:
    old = os.umask(0o000)
    try:
        path = configure_file_logging("INFO")
        logging.getLogger("leadsync_tui.sync.engine").info("reconcile pass over")
    finally:
        os.umask(old)
    assert path == state_home / "leadsync" / "log" / "leadsync.log"
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert "INFO leadsync_tui.sync.engine: reconcile pass over" in path.read_text()


def test_a_traceback_goes_to_the_file_without_local_variables(state_home: Path) -> None:
    path = configure_file_logging("INFO")
    secret_email = "wren.hart@example.net"

    def fail(email: str) -> None:
        raise ValueError("no such table: outbox")

    try:
        fail(secret_email)
    except ValueError as error:
        logging.getLogger("leadsync_tui.ui").error("Retry failed", exc_info=error)
    text = path.read_text()
    assert "Traceback" in text and "ValueError: no such table: outbox" in text
    assert secret_email not in text


def test_headless_events_keep_their_json_lines_and_log_records_join_them() -> None:
    out = io.StringIO()
    handler = configure_json_logging(out, "WARNING")
    try:
        emit_event({"at": "2026-12-04T18:00:00Z", "event": "started", "mode": "once"})
        logging.getLogger("leadsync_tui.clients").info("not shown at WARNING")
        logging.getLogger("leadsync_tui.clients").warning("refused an answer")
    finally:
        logging_setup.remove(handler)
    lines = out.getvalue().splitlines()
    assert lines[0] == '{"at":"2026-12-04T18:00:00Z","event":"started","mode":"once"}'
    [log] = [json.loads(line) for line in lines[1:]]
    assert (log["event"], log["level"], log["message"]) == ("log", "warning", "refused an answer")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["tui"],
        ["sync", "--headless"],
        ["status"],
        ["audit"],
        ["sim"],
        ["config", "check"],
    ],
)
def test_every_command_takes_log_level(argv: list[str]) -> None:
    assert parsed([*argv, "--log-level", "debug"])["log_level"] == "DEBUG"


def test_config_check_names_the_log_file(
    state_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("LEADSYNC_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # none there: demo
    monkeypatch.setenv("HOME", str(tmp_path))
    main(["config", "check"])
    assert "log file: ~/state/leadsync/log/leadsync.log" in capsys.readouterr().out


@pytest.fixture
def fixture_databases_closed() -> Iterator[None]:
    """The sample store's database is closed after the test (as in `tests/screens`)."""
    yield
    close_opened_databases()


@pytest.mark.usefixtures("fixture_databases_closed")
async def test_help_names_the_log_file(state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(state_home.parent))
    app = dashboard_app(await sample_store())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        note = app.screen.query_one("#help-log")
        assert str(note.render()) == "log file: ~/state/leadsync/log/leadsync.log"

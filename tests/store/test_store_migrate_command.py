"""`leadsync store migrate --from sqlite:PATH --to URL` as a user runs it: a line per
table and the `[store] url` to set, or one line naming the problem and exit 2."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from leadsync_tui.cli import main
from leadsync_tui.commands.root import leadsync
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.models import utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.sync.engine_presence import this_host
from tests.pg_server import PostgresServer
from tests.store.store_fill import LEADS, fill
from tests.team_store import postgres_location

pytestmark = pytest.mark.postgresql

CONFIG = """
[domiq]
base_url = "https://api.domiq.example"
token = "t"
[resman]
base_url = "https://api.myresman.com"
integration_partner_id = "leadsync"
api_key = "k"
account_id = 400
[store]
url = "{url}"
password = "{password}"
"""
PASSWORD = "pw-never-shown-9271"


@pytest.fixture
def target(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test's PostgreSQL database as `--to` takes it: the password in $PGPASSWORD."""
    where = postgres_location(pg_url)
    assert where.url is not None and where.password is not None
    monkeypatch.setenv("PGPASSWORD", where.password.get_secret_value())
    return where.url


def _run(*argv: str) -> Result:
    return CliRunner().invoke(leadsync, ["store", "migrate", *argv], prog_name="leadsync")


def _config(tmp_path: Path, url: str) -> Path:
    """A config naming `url`, with the server's password if the test has one."""
    path = tmp_path / "leadsync.toml"
    path.write_text(CONFIG.format(url=url, password=os.environ.get("PGPASSWORD", PASSWORD)))
    path.chmod(0o600)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "old" / "leadsync.db"
    path.parent.mkdir()
    asyncio.run(fill(path))
    return path


def _lead_count(url: str) -> int:
    async def count() -> int:
        async with await Database.open_postgresql(url) as db:
            return await db.count_leads()

    return asyncio.run(count())


def _one_line(result: Result) -> str:
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    return line


def test_moves_the_store_and_says_what_to_put_in_the_config(
    source: Path, target: str, tmp_path: Path
) -> None:
    result = _run("--from", f"sqlite:{source}", "--to", target)

    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["leads", str(LEADS), "copied"]
    assert lines[2].split()[:3] == ["outbox", "8", "copied"]
    assert lines[2].endswith("(6 pending, 1 in flight, 1 failed)")
    assert [line.split()[0] for line in lines[:10]] == [
        "leads", "links", "outbox", "conflicts", "sync_log", "audit", "cursors", "commands",
        "engine", "change_feed",
    ]  # fmt: skip
    assert lines[-1].startswith(f'done: set [store] url = "{target}" in the config')
    # The config that line describes works: `leadsync audit` reads the moved trail.
    config = _config(tmp_path, target)
    audit = CliRunner().invoke(leadsync, ["audit", "--config", str(config)], prog_name="leadsync")
    assert audit.exit_code == 0, audit.output
    assert [line.split()[1] for line in audit.stdout.splitlines()[1:]] == ["alice", "bob", "carol"]


@pytest.fixture
def other_target(postgres_server: PostgresServer, target: str) -> Iterator[str]:
    """A second empty database on the same server, as `--to` takes it."""
    name = f"other_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    url = postgres_location(postgres_server.create_database(name)).url
    assert url is not None
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


def test_a_moved_store_is_not_moved_again_elsewhere(
    source: Path, target: str, other_target: str
) -> None:
    """Before: a second `migrate` of the same file into another empty database copied it
    again, a second deployment of one DomIQ account (found by trying it as a team)."""
    assert _run("--from", f"sqlite:{source}", "--to", target).exit_code == ExitCode.OK
    other = other_target
    line = _one_line(_run("--from", f"sqlite:{source}", "--to", other))
    assert f"this store was already moved to {target} on " in line
    assert "second deployment" in line and line.endswith(f"nothing was copied to {other}")
    assert _lead_count(other) == 0


def test_a_second_store_into_the_same_database_is_refused_without_touching_either(
    source: Path, target: str, tmp_path: Path
) -> None:
    assert _run("--from", f"sqlite:{source}", "--to", target).exit_code == ExitCode.OK
    another = tmp_path / "another" / "leadsync.db"
    another.parent.mkdir()
    asyncio.run(fill(another))
    line = _one_line(_run("--from", f"sqlite:{another}", "--to", target))
    assert f"the PostgreSQL store {target} already holds leadsync data ({LEADS} leads," in line
    assert "never merged" in line and "createdb" in line
    assert _lead_count(target) == LEADS


def test_a_running_engine_is_named_and_nothing_is_copied(source: Path, target: str) -> None:
    async def start_engine() -> None:
        async with await Database.open(source) as db:
            old = await db.engine_record()
            now = utc_now()
            running = EngineRecord(
                host=this_host(), pid=os.getpid(), token="live", mode="run", started_at=now,
                heartbeat_at=now, expires_at=now + timedelta(minutes=5), generation=2,
            )  # fmt: skip
            assert old is not None and await db.swap_engine(running, old.token)

    asyncio.run(start_engine())
    line = _one_line(_run("--from", f"sqlite:{source}", "--to", target))
    assert f"an engine holds the sync lease on {source}: {this_host()} pid {os.getpid()}" in line
    # Its heartbeat was written as the test began: a loaded machine takes a second or two.
    assert re.search(r"heartbeat \ds ago; stop it first", line), line
    assert _lead_count(target) == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_one_line_and_the_password_is_never_shown(
    source: Path, tmp_path: Path
) -> None:
    url = f"postgresql://leadsync@127.0.0.1:{_free_port()}/leadsync"
    config = _config(tmp_path, url)
    line = _one_line(_run("--from", f"sqlite:{source}", "--to", url, "--config", str(config)))
    assert line.startswith(f"leadsync store migrate: cannot reach the PostgreSQL store {url}")
    assert PASSWORD not in line


def test_a_missing_database_is_named_with_its_fix(source: Path, target: str) -> None:
    url = target.rsplit("/", 1)[0] + "/no_such_db_here"
    line = _one_line(_run("--from", f"sqlite:{source}", "--to", url))
    assert f"the PostgreSQL store {url} has no such database" in line
    assert "createdb" in line


def test_a_file_that_is_no_store_is_one_line(tmp_path: Path, target: str) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database, " * 100)
    line = _one_line(_run("--from", f"sqlite:{junk}", "--to", target))
    assert f"cannot use the sync database {junk}" in line
    assert _lead_count(target) == 0


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--from", "/var/lib/leadsync.db"], "is not sqlite:PATH"),
        (["--from", "sqlite:/nowhere/leadsync.db"], "there is no file /nowhere/leadsync.db"),
        (["--to", "mysql://db/leadsync"], "write it as postgresql://user@host:5432/dbname"),
        (["--to", f"postgresql://u:{PASSWORD}@db/leadsync"], "holds a password"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    source: Path, argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = {"--from": f"sqlite:{source}", "--to": "postgresql://u@db.example/leadsync"}
    given[argv[0]] = argv[1]
    code = main(["store", "migrate", *[part for pair in given.items() for part in pair]])
    assert code == ExitCode.USAGE
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith(f"leadsync store migrate: error: Invalid value for '{argv[0]}'")
    assert words in line and captured.out == ""
    assert PASSWORD not in line


def test_a_failure_half_way_leaves_the_target_empty(source: Path, target: str) -> None:
    # A link whose lead is gone (written behind SQLite's foreign-key check): PostgreSQL
    # refuses it after the leads went in, and the whole copy is rolled back.
    with sqlite3.connect(source) as raw:
        raw.execute(
            "INSERT INTO links (conversation_id, prospect_id, property_id, snapshot, agreed_at)"
            " VALUES ('gone', 'P-gone', 'p1', '{}', '2026-03-02T09:30:00.000000Z')"
        )
    line = _one_line(_run("--from", f"sqlite:{source}", "--to", target))
    assert "violates foreign key constraint" in line and line.endswith("(nothing was copied)")
    assert _lead_count(target) == 0
    again = _one_line(_run("--from", f"sqlite:{source}", "--to", target))
    assert "already holds" not in again  # nothing was left behind to refuse
    assert _moved_marker(source) is None  # the old store is still the one to use


def _moved_marker(path: Path) -> str | None:
    with sqlite3.connect(path) as raw:
        row = raw.execute("SELECT value FROM cursors WHERE name = 'store.moved'").fetchone()
    return None if row is None else str(row[0])


def test_the_old_store_refuses_an_engine_and_says_where_it_went(
    source: Path, target: str, tmp_path: Path
) -> None:
    """Before: nothing stopped an engine on the old file, a second deployment racing
    the team's one on PostgreSQL."""
    assert _run("--from", f"sqlite:{source}", "--to", target).exit_code == ExitCode.OK
    old = tmp_path / "old.toml"
    old.write_text(
        CONFIG.split("[store]")[0] + f'[sync]\ndatabase = "{source}"\n', encoding="utf-8"
    )
    old.chmod(0o600)
    moved = f"was moved to {target} on "
    setting = f'set [store] url = "{target}" in this config'

    sync = CliRunner().invoke(
        leadsync, ["sync", "--headless", "--once", "--config", str(old)], prog_name="leadsync"
    )
    assert sync.exit_code == ExitCode.USAGE, sync.output
    [line] = [text for text in sync.stderr.splitlines() if moved in text]
    assert setting in line and "Traceback" not in sync.output

    status = CliRunner().invoke(leadsync, ["status", "--config", str(old)], prog_name="leadsync")
    assert status.exit_code == ExitCode.PROBLEM, status.output
    assert moved in status.stdout and setting in status.stdout

"""`leadsync audit`: the table, JSON lines, `--since`, and the no-database answer."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync_tui.cli import main
from leadsync_tui.commands.audit_run import SinceError, describe_change, parse_since
from leadsync_tui.models import utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.wiring import demo_database_file

LIVE = """
[domiq]
base_url = "https://api.domiq.example"
token = "t"
[resman]
base_url = "https://api.myresman.com"
integration_partner_id = "leadsync"
api_key = "k"
account_id = 400
[sync]
database = "{database}"
"""


def _write_entries(path: Path, entries: list[AuditEntry]) -> None:
    async def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await Database.open(path)
        try:
            await db.append_audit(entries)
        finally:
            await db.close()

    asyncio.run(write())


def _entries(now: datetime) -> list[AuditEntry]:
    return [
        AuditEntry(
            at=now - timedelta(days=3),
            actor="alice",
            action="resolve",
            target="conflict-17",
            before={"email": "old@example.com"},
            after={"email": "new@example.com"},
            reason="customer called",
        ),
        AuditEntry(at=now - timedelta(hours=1), actor="bob", action="retry", target="outbox-4"),
        AuditEntry(
            at=now - timedelta(minutes=5),
            actor="carol",
            action="export",
            target="leads.csv",
            after={"rows": 12},
            reason="weekly\nreport",
        ),
    ]


@pytest.fixture
def demo_db() -> Path:
    path = demo_database_file()
    _write_entries(path, _entries(utc_now()))
    return path


def test_the_table_lists_every_entry_oldest_first(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TIME", "(UTC)", "USER", "ACTION", "TARGET", "CHANGE", "REASON"]
    assert [line.split()[1] for line in lines[1:]] == ["alice", "bob", "carol"]
    alice = lines[1]
    assert "email: old@example.com -> new@example.com" in alice
    assert alice.endswith("customer called")
    assert lines[3].endswith("weekly report")  # a newline in a reason stays on one row
    actions = ["resolve", "retry", "export"]
    columns = {line.index(action) for line, action in zip(lines[1:], actions, strict=True)}
    assert len(columns) == 1  # aligned
    assert lines[0].index("ACTION") in columns


def test_json_lines_and_since(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--json", "--since", "2h"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["user"] for record in records] == ["bob", "carol"]
    carol = records[1]
    assert carol["action"] == "export" and carol["target"] == "leads.csv"
    assert carol["after"] == {"rows": 12} and carol["before"] is None
    assert carol["reason"] == "weekly\nreport"
    assert carol["at"].endswith("Z")


def test_since_an_iso_date(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tomorrow = (utc_now() + timedelta(days=1)).date().isoformat()
    assert main(["audit", "--since", tomorrow]) == 0
    assert capsys.readouterr().out.startswith("no audit entries since ")


def test_a_live_config_reads_its_sync_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "live.db"
    _write_entries(database, _entries(utc_now())[:1])
    config = tmp_path / "leadsync.toml"
    config.write_text(LIVE.format(database=database))
    config.chmod(0o600)
    assert main(["audit", "--json", "--config", str(config)]) == 0
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["user"] == "alice"


def test_no_database_yet_says_where_it_looked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 2
    captured = capsys.readouterr()
    assert "no sync database yet at " + str(demo_database_file()) in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_a_file_that_is_not_a_database_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "junk.db"
    database.write_bytes(b"this is not sqlite" * 100)
    config = tmp_path / "leadsync.toml"
    config.write_text(LIVE.format(database=database))
    config.chmod(0o600)
    assert main(["audit", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read the sync database {database}" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "value", ["yesterday", "3x", "", "2024-13-45", "-1d", "99999999w", "1e400d", "999999999999999d"]
)
def test_a_bad_since_names_the_option_and_the_forms(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", f"--since={value}"]) == 2
    err = capsys.readouterr().err
    assert "--since" in err and "30m" in err and "ISO date" in err


NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("1d", NOW - timedelta(days=1)),
        ("2W", NOW - timedelta(weeks=2)),
        ("45s", NOW - timedelta(seconds=45)),
        ("1.5h", NOW - timedelta(minutes=90)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T09:30", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00+02:00", datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, now=NOW) == expected


def test_parse_since_refuses_nonsense() -> None:
    with pytest.raises(SinceError, match="--since 'soon'"):
        parse_since("soon", now=NOW)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, None, "-"),
        ({"a": 1}, {"a": 2}, "a: 1 -> 2"),
        (None, {"status": "resolved"}, "status: (none) -> resolved"),
        ({"x": "same", "y": None}, {"x": "same", "y": [1]}, "y: null -> [1]"),
        ({"x": 1}, {"x": 1}, "(no change)"),
    ],
)
def test_describe_change(
    before: dict[str, object] | None, after: dict[str, object] | None, expected: str
) -> None:
    assert describe_change(before, after) == expected


@pytest.mark.parametrize("command", ["audit", "status"])
def test_a_database_path_under_a_file_names_the_file(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[sync] database` under a regular file: `status` and `audit` said "no database
    yet" (and to run the sync first, which can never create it there)."""
    blocker = tmp_path / "hostname"
    blocker.write_text("box\n")
    config = tmp_path / "leadsync.toml"
    config.write_text(LIVE.format(database=blocker / "x.db"))
    config.chmod(0o600)
    assert main([command, "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"leadsync {command}: {blocker} is a file, not a folder, so there can be no sync "
        f"database at {blocker / 'x.db'}; point [sync] database at a file in a folder"
    ]

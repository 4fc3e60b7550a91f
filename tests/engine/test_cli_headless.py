"""`leadsync sync --headless` and `leadsync status` as a user runs them (real processes)."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

from leadsync_tui.commands.status_run import run_status
from leadsync_tui.config import Settings
from leadsync_tui.models import Lead, SyncDirection, SyncType
from leadsync_tui.sim.world_records import DOMIQ_TOKEN, RESMAN_API_KEY
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import NewOutboxItem

SECRETS = (DOMIQ_TOKEN, RESMAN_API_KEY)


def leadsync(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def demo_database() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "leadsync" / "leadsync-demo.db"


def test_demo_once_syncs_logs_json_lines_and_status_reads_the_result() -> None:
    run = leadsync("sync", "--headless", "--once")
    assert run.returncode == 0, run.stderr
    events = json_lines(run.stdout)
    assert events[0]["event"] == "started" and events[0]["demo"] is True
    attempts = [e for e in events if e["event"] == "attempt"]
    assert {e["direction"] for e in attempts} == {"domiq_to_resman", "resman_to_domiq"}
    assert {e["type"] for e in attempts} >= {"create", "update", "status"}
    assert any(e["event"] == "status" and e["status"] == "synced" for e in events)
    done = events[-1]
    assert done["event"] == "done" and done["exit_code"] == 0
    assert done["pending"] == 0 and done["failed"] == 0
    for secret in SECRETS:
        assert secret not in run.stdout and secret not in run.stderr

    status = leadsync("status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["health"] == "healthy"
    assert report["outbox"] == {"pending": 0, "in_flight": 0, "failed": 0}
    assert len(report["open_conflicts"]) == done["open_conflicts"] > 0
    assert report["metrics"]["sync_success_rate"] > 0.9
    assert report["feed"]["last_pass"]["ok"] is True

    text = leadsync("status")
    assert text.returncode == 0
    assert text.stdout.startswith("leadsync status: healthy")
    assert f"{done['open_conflicts']} open" in text.stdout


def test_status_without_a_database_says_how_to_make_one() -> None:
    run = leadsync("status", "--json")
    assert run.returncode == 2
    assert json.loads(run.stdout)["health"] == "unusable"
    assert "leadsync sync --headless --once" in run.stderr


def test_status_on_a_file_that_is_not_a_database_is_unusable() -> None:
    path = demo_database()
    path.parent.mkdir(parents=True)
    path.write_text("not a database\n" * 100)
    run = leadsync("status")
    assert run.returncode == 2
    assert f"cannot read the sync database {path}" in run.stderr


def test_a_bad_config_or_option_exits_2_with_the_fix(tmp_path: Path) -> None:
    missing = leadsync("sync", "--headless", "--once", "--config", str(tmp_path / "no.toml"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[sync\npoll_interval = 5\n")
    bad = leadsync("status", "--config", str(broken))
    assert bad.returncode == 2 and "not valid TOML" in bad.stderr
    negative = leadsync("sync", "--headless", "--once", "--max-wait", "-1")
    assert negative.returncode == 2 and "--max-wait" in negative.stderr


def test_sigterm_stops_the_long_running_engine_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert process.stdout is not None
    seen: list[dict[str, Any]] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while not any(e["event"] == "reconcile" for e in seen):
            assert time.monotonic() < deadline, "no reconcile pass within 60 s"
            if selector.select(timeout=1):
                seen.append(json.loads(process.stdout.readline()))
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert json_lines(out)[-1]["event"] == "stopped"


def test_once_gives_up_within_max_wait_when_an_upstream_is_down(tmp_path: Path) -> None:
    config = tmp_path / "leadsync.toml"
    config.write_text(
        '[domiq]\nbase_url = "http://127.0.0.1:9"\ntoken = "dq-secret-token"\n'
        '[resman]\nbase_url = "http://127.0.0.1:9"\nintegration_partner_id = "p"\n'
        'api_key = "rm-secret-key"\naccount_id = 1\n'
        f'[sync]\ndatabase = "{tmp_path / "leadsync.db"}"\n'
    )
    config.chmod(0o600)
    started = time.monotonic()
    run = leadsync("sync", "--headless", "--once", "--max-wait", "2", "--config", str(config))
    assert run.returncode == 1
    assert time.monotonic() - started < 10
    done = json_lines(run.stdout)[-1]
    assert done["event"] == "done" and "could not connect" in done["error"]
    for secret in ("dq-secret-token", "rm-secret-key"):
        assert secret not in run.stdout + run.stderr
    status = leadsync("status", "--config", str(config))
    assert status.returncode == 1
    assert "could not read DomIQ or ResMan" in status.stdout


def test_status_is_degraded_by_a_parked_item_and_lists_it(tmp_path: Path) -> None:
    path = demo_database()
    path.parent.mkdir(parents=True)

    async def park() -> None:
        db = await Database.open(path)
        at = datetime(2026, 3, 2, tzinfo=UTC)
        lead = Lead(
            conversation_id="cnv_x",
            created_at=at,
            updated_at=at,
            property_id="p",
            first_name="A",
            last_name="B",
        )
        await db.upsert_leads([lead])
        (item_id,) = await db.enqueue(
            [
                NewOutboxItem(
                    conversation_id="cnv_x",
                    direction=SyncDirection.DOMIQ_TO_RESMAN,
                    sync_type=SyncType.CREATE,
                    dedupe_key="push:cnv_x:v1",
                )
            ]
        )
        await db.fail(item_id, "ResMan refused: no agent", at, park=True)
        await db.close()

    asyncio.run(park())
    out = StringIO()
    assert run_status(Settings(), as_json=True, out=out, err=StringIO()) == 1
    report = json.loads(out.getvalue())
    assert report["health"] == "degraded"
    assert [item["error"] for item in report["failed"]] == ["ResMan refused: no agent"]
    assert any("--retry-failed" in problem for problem in report["problems"])

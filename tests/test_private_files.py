"""Customer data stays with its operator: every file leadsync writes with leads, audit or
logs in it is 0600 in a 0700 folder under a permissive umask, and a store others can read
is reported with the `chmod` that fixes it (issue #12 §6)."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadsync_tui.cli import main
from leadsync_tui.config import Settings, load_settings
from leadsync_tui.models import Lead
from leadsync_tui.private_files import PrivateRotatingFileHandler, readable_by_others
from leadsync_tui.screens.csv_export import write_csv
from leadsync_tui.sim.runner import SimOptions
from leadsync_tui.store.db import Database
from leadsync_tui.wiring import demo_database_file, open_engine

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def permissive_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def a_lead() -> Lead:
    return Lead(
        conversation_id="cnv_private1",
        property_id="prop_oakridge",
        first_name="Dana",
        last_name="Private",
        email="dana@example.com",
        phone="+15555550100",
        created_at=NOW,
        updated_at=NOW,
    )


async def test_the_store_its_wal_shm_and_folder_are_owner_only(
    tmp_path: Path, permissive_umask: int
) -> None:
    path = tmp_path / "data" / "leadsync" / "leadsync.db"
    db = await Database.open(path)
    try:
        await db.upsert_leads([a_lead()])
        await db.set_cursor("probe", "x")
        wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
        assert wal.exists() and shm.exists()
        assert [mode(p) for p in (path, wal, shm)] == [0o600] * 3
        assert mode(path.parent) == 0o700
        assert mode(path.parent.parent) == 0o700
    finally:
        await db.close()


async def test_the_demo_database_is_owner_only(permissive_umask: int) -> None:
    options = SimOptions(domiq_port=0, resman_port=0, leads=3, activity_per_min=0.0)
    async with open_engine(Settings(), sim_options=options, watcher=False) as setup:
        await setup.engine.db.set_cursor("probe", "x")
        path = demo_database_file()
        assert setup.store.path == path
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert mode(path.with_name(path.name + "-wal")) == 0o600


def test_a_csv_export_is_owner_only_even_when_it_replaces_a_readable_file(
    tmp_path: Path, permissive_umask: int
) -> None:
    fresh = tmp_path / "fresh.csv"
    assert write_csv(fresh, [a_lead()], NOW, mask=False) == 1
    assert mode(fresh) == 0o600
    replaced = tmp_path / "replaced.csv"
    replaced.write_text("old\n")
    replaced.chmod(0o644)
    write_csv(replaced, [a_lead()], NOW, mask=False)
    assert mode(replaced) == 0o600
    assert "dana@example.com" in replaced.read_text()


def test_log_files_and_their_rollovers_are_owner_only(
    tmp_path: Path, permissive_umask: int
) -> None:
    path = tmp_path / "state" / "log" / "leadsync.log"
    handler = PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("test_private_files")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(20):
            logger.warning("line %d of the audit trail", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    rotated = path.with_name(path.name + ".1")
    assert rotated.exists(), "the handler never rolled over"
    assert mode(path) == 0o600 and mode(rotated) == 0o600
    assert mode(path.parent) == 0o700


def readable_store(tmp_path: Path) -> Path:
    """A store made the old way: 0644 files in a 0755 folder."""
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "leadsync.db"

    async def make() -> None:
        db = await Database.open(path)
        await db.set_cursor("probe", "x")
        await db.close()

    asyncio.run(make())
    folder.chmod(0o755)
    for each in folder.iterdir():
        each.chmod(0o644)
    return path


def live_config(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "leadsync.toml"
    config.write_text(
        '[domiq]\nbase_url = "http://127.0.0.1:9"\ntoken = "dq-token"\n'
        '[resman]\nbase_url = "http://127.0.0.1:9"\nintegration_partner_id = "p"\n'
        'api_key = "rm-key"\naccount_id = 1\n'
        f'[sync]\ndatabase = "{database}"\n'
    )
    config.chmod(0o600)
    return config


def test_a_store_others_can_read_is_warned_about_with_the_chmod(
    tmp_path: Path,
) -> None:
    path = readable_store(tmp_path)
    config = live_config(tmp_path, path)
    warnings = load_settings(config).warnings
    assert (
        f"{path.parent} holds the sync database and is readable by other users "
        f"(mode drwxr-xr-x); fix with: chmod 700 {path.parent}"
    ) in warnings
    assert any(
        w.startswith(f"{path} holds customer data and is readable by other users")
        and w.endswith(f"fix with: chmod 600 {path}")
        for w in warnings
    ), warnings
    # The store is never changed behind the operator's back; the chmod given fixes it.
    assert readable_by_others(path) and readable_by_others(path.parent)
    path.parent.chmod(0o700)
    path.chmod(0o600)
    assert load_settings(config).warnings == ()


def test_config_check_and_every_start_say_the_store_is_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = readable_store(tmp_path)
    config = live_config(tmp_path, path)
    assert main(["config", "check", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"leadsync: warning: {path} holds customer data" in err
    assert f"chmod 700 {path.parent}" in err
    main(["status", "--config", str(config)])
    assert f"leadsync: warning: {path} holds customer data" in capsys.readouterr().err

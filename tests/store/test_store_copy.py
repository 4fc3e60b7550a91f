"""Copying a SQLite store into PostgreSQL (`store_copy`): every row read back equal through
the API, ids that go on past the copied ones, and the refusals that copy nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import OperatorCommands, Pull
from leadsync_tui.store.records import AuditEntry, EngineRecord
from leadsync_tui.store.store_copy import (
    NOT_COPIED,
    TABLES,
    EngineRunning,
    TargetNotEmpty,
    copy_store,
)
from tests.store.conftest import T0, make_item, make_lead, make_log
from tests.store.store_fill import HIGHEST_ITEM, LEADS, everything, fill, lead_ids


def _dead(_record: EngineRecord) -> bool:
    return False


async def _migrate(path: Path, pg_url: str) -> dict[str, int]:
    source = await Database.open(path)
    target = await Database.open_postgresql(pg_url)
    async with source, target:
        report = await copy_store(source, target, engine_alive=_dead)
    return report.counts


@pytest.mark.postgresql
async def test_every_row_reads_back_equal_in_order_with_its_ids(
    tmp_path: Path, pg_url: str
) -> None:
    path = tmp_path / "leadsync.db"
    await fill(path)
    ids = sorted(lead_ids())
    async with await Database.open(path) as source:
        before = await everything(source, ids)

    counts = await _migrate(path, pg_url)

    assert list(counts) == list(TABLES)
    assert counts["leads"] == LEADS and counts["links"] == 10 and counts["outbox"] == 8
    assert counts["sync_log"] == 2 * LEADS and counts["cursors"] == 3 and counts["commands"] == 3
    async with await Database.open_postgresql(pg_url) as target:
        after = await everything(target, ids)
        assert await target.engine_record() is None  # the lease is taken afresh
    for table, rows in before.items():
        assert after[table] == rows, table
    statuses = {item.status for item in after["outbox"]}
    assert statuses == {"pending", "in_flight", "failed"}
    assert [lead.conversation_id for lead in after["leads"]] == [
        lead.conversation_id for lead in before["leads"]
    ]  # same updated_at: rowid order decides, and it was kept


@pytest.mark.postgresql
async def test_new_ids_go_on_past_every_copied_one(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "leadsync.db"
    await fill(path)
    await _migrate(path, pg_url)
    async with await Database.open(path) as source:
        audit_ids = [entry.id for entry in await source.audit_entries(None, limit=100)]
    async with await Database.open_postgresql(pg_url) as target:
        [new_item] = await target.enqueue([make_item("after-move", lead_ids()[0])])
        assert new_item > HIGHEST_ITEM  # not 9 again, though no row holds it now
        await target.append_audit([AuditEntry(at=T0, actor="dan", action="retry", target="x")])
        newest = (await target.audit_entries(None, limit=1))[0]
        assert newest.id is not None and newest.id > max(i or 0 for i in audit_ids)
        assert await OperatorCommands(target).submit(Pull(), "erin") == 4
        # A new lead and log, at a time others share, come after the copied ones.
        await target.upsert_leads([make_lead("new", updated_at=T0 + timedelta(minutes=2))])
        leads, _ = await target.load_leads_page(None, 1)
        assert leads[0].conversation_id == "new"
        await target.append_logs([make_log("log-new", lead_ids()[0], at=T0)])
        logs = await target.logs_for(lead_ids()[0])
        assert logs[-1].id == "log-new"  # oldest first: the new one last


@pytest.mark.postgresql
async def test_a_target_holding_a_deployment_is_refused_and_left_alone(
    tmp_path: Path, pg_url: str
) -> None:
    path = tmp_path / "leadsync.db"
    await fill(path, leads=10)
    async with await Database.open_postgresql(pg_url) as other:
        await other.upsert_leads([make_lead("theirs")])
    with pytest.raises(TargetNotEmpty) as refused:
        await _migrate(path, pg_url)
    assert refused.value.held == {"leads": 1}
    async with await Database.open_postgresql(pg_url) as other:
        assert [lead.conversation_id for lead in await other.load_leads()] == ["theirs"]
        assert await other.get_cursor("domiq.feed") is None


@pytest.mark.postgresql
async def test_a_running_engine_on_the_source_stops_the_copy(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "leadsync.db"
    await fill(path, leads=10)
    async with await Database.open(path) as source:
        old = await source.engine_record()
        running = EngineRecord(
            host="jump-1", pid=777, token="t1", mode="run", started_at=T0,
            heartbeat_at=T0, expires_at=T0 + timedelta(seconds=15), generation=2,
        )  # fmt: skip
        assert old is not None and await source.swap_engine(running, old.token)
        async with await Database.open_postgresql(pg_url) as target:
            with pytest.raises(EngineRunning) as refused:
                await copy_store(source, target, engine_alive=lambda record: True)
            assert refused.value.record.pid == 777
            assert await target.count_leads() == 0


async def test_every_table_of_the_schema_is_copied_or_named_as_not(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "leadsync.db") as db:
        rows = await db._fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    assert sorted(row[0] for row in rows) == sorted((*TABLES, *NOT_COPIED))

"""`/metrics` as Prometheus scrapes it: a real socket on loopback while the engine syncs
against the simulators; the figures are what the sync log, the outbox and the store say."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from leadsync_tui.cli import main
from leadsync_tui.sim.world_records import World
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.prometheus_metrics import MetricsPortError, serve_metrics
from tests.cli_parsing import parsed
from tests.engine.conftest import sim_rig
from tests.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_a_scrape_after_a_sync_counts_what_the_sync_log_and_the_store_hold(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        async with rig.engine() as engine, serve_metrics(engine, "127.0.0.1", 0) as url:
            assert url.startswith("http://127.0.0.1:")
            result = await engine.run_once(max_wait=10)
            assert result.complete, result
            found = await scrape(url)
            logs = await engine.db.recent_logs(datetime(2000, 1, 1, tzinfo=UTC))
            conflicts = await engine.db.open_conflicts()

        # every attempt of the sync log is counted once, by direction, type and outcome
        logged = Counter(
            (log.sync_direction.value, log.sync_type.value, log.sync_status.value) for log in logs
        )
        counted = {
            (dict(labels)["direction"], dict(labels)["type"], dict(labels)["outcome"]): count
            for (name, labels), count in found.items()
            if name == "leadsync_sync_attempts_total"
        }
        assert counted == logged
        creates = logged[("domiq_to_resman", "create", "success")]
        assert creates > 0
        assert (
            value(
                found,
                "leadsync_sync_attempts_total",
                direction="domiq_to_resman",
                type="create",
                outcome="success",
            )
            == creates
        )
        # one latency per timed write, by the upstream written to
        timed = Counter(log.sync_direction.value for log in logs if log.latency_ms is not None)
        assert (
            value(found, "leadsync_upstream_latency_seconds_count", upstream="resman")
            == (timed["domiq_to_resman"])
        )
        assert (
            value(found, "leadsync_upstream_latency_seconds_count", upstream="domiq")
            == (timed["resman_to_domiq"])
        )
        # the outbox is drained; the open conflicts are the store's, by severity
        for status in ("pending", "in_flight", "failed"):
            assert value(found, "leadsync_outbox_items", status=status) == 0
        by_severity = Counter(c.conflict_severity.value for c in conflicts)
        assert len(conflicts) == result.open_conflicts > 0
        for severity in ("low", "medium", "high"):
            assert (
                value(found, "leadsync_open_conflicts", severity=severity)
                == (by_severity[severity])
            )
        # ResMan was polled; the once-engine is recorded (and stopped: not alive)
        assert value(found, "leadsync_resman_poll_lag_seconds") >= 0
        holders = [labels for name, labels in found if name == "leadsync_engine_holder"]
        assert len(holders) == 1 and dict(holders[0])["mode"] == "once"
        # no live feed in this engine: no feed figures
        assert not [name for name, _ in found if name.startswith("leadsync_live_feed")]


async def test_while_the_engine_runs_the_feed_and_the_holder_are_live(tmp_path: Path) -> None:
    async with (
        sim_rig(tmp_path, leads=20, poll_interval=0.3) as rig,
        rig.engine(watcher=True) as engine,
        serve_metrics(engine, "127.0.0.1", 0) as url,
    ):
        runner = asyncio.create_task(engine.run())
        try:
            await _feed_checks(rig.sims.domiq_url, rig.sims.world, engine, url)
        finally:
            await engine.stop()
            await asyncio.wait_for(runner, 20)


async def _feed_checks(domiq_url: str, world: World, engine: SyncEngine, url: str) -> None:
    state = engine.store.state
    await eventually(lambda: state.real_time_connected and state.last_ping is not None, 15)
    found = await scrape(url)
    assert value(found, "leadsync_live_feed_connected") == 1
    assert value(found, "leadsync_live_feed_last_ping_age_seconds") >= 0
    holders = [dict(labels) for name, labels in found if name == "leadsync_engine_holder"]
    assert [h["mode"] for h in holders] == ["run"]
    assert value(found, "leadsync_engine_holder", **holders[0]) == 1

    # DomIQ drops the feed (the simulator's fault knob): the gauge says so
    async with httpx.AsyncClient() as http:
        put = await http.put(f"{domiq_url}/_sim/faults", json={"ws_drop_rate": 1.0})
        assert put.status_code == 200
    world.domiq.edit_lead(world.linked_pairs[0], {"notes": "x"})
    await eventually(lambda: not state.real_time_connected, within_s=15)
    assert value(await scrape(url), "leadsync_live_feed_connected") == 0


async def test_two_engines_in_one_process_keep_their_own_figures(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=10) as rig:
        async with rig.engine() as engine:
            async with serve_metrics(engine, "127.0.0.1", 0) as first:
                await engine.run_once(max_wait=10)
            async with serve_metrics(engine, "127.0.0.1", 0) as second:
                found = await scrape(second)
        assert first != second
        assert not [name for name, _ in found if name == "leadsync_sync_attempts_total"]


async def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with sim_rig(tmp_path, leads=5) as rig, rig.engine() as engine:
            with pytest.raises(MetricsPortError) as caught:
                async with serve_metrics(engine, "127.0.0.1", port):
                    pass
    assert f"127.0.0.1:{port}" in str(caught.value) and "--metrics-port" in str(caught.value)


def test_the_option_parses_and_refuses_what_is_not_a_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parsed(["sync", "--headless", "--once", "--metrics-port", "9464"])
    assert args["metrics_port"] == 9464
    assert parsed(["sync", "--headless"])["metrics_port"] is None
    assert main(["sync", "--headless", "--metrics-port", "70000"]) == 2
    assert "not a TCP port" in capsys.readouterr().err


def test_sync_headless_on_a_taken_port_says_so_in_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["sync", "--headless", "--once", "--metrics-port", str(port)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert f"cannot serve metrics on 127.0.0.1:{port}" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_the_config_files_metrics_port_is_used_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "leadsync.toml"
        config.write_text(f'[sync]\nmetrics_port = {port}\nmetrics_host = "127.0.0.1"\n')
        code = main(["sync", "--headless", "--once", "--config", str(config)])
    assert code == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in capsys.readouterr().err

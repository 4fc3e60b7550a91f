"""Every benchmark runs in `--quick` mode and ends with its JSON line.

A smoke test only: each runs at a small size and the test never asserts on a time,
since wall clocks on a shared runner prove nothing (docs/perf.md §8). The goals are
checked by running the benchmarks at full size (`make bench`), by hand or in a job.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_quick(name: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--quick", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 1  # human-readable lines come first
    result: dict[str, Any] = json.loads(lines[-1])
    assert result["benchmark"] == name
    assert isinstance(result["goal_met"], bool)
    assert {"ours", "baseline"} <= set(result)
    return result


def test_table_load_quick_ends_with_a_json_line() -> None:
    result = run_quick("table_load", "--repeats", "1")
    for key in ("ratio", "filter_ms", "sort_ms"):
        assert key in result
    assert result["rows"] == 2_000
    assert set(result["ours"]) >= {"first_frame_ms", "filter_ms", "sort_ms", "cursor_end_ms"}
    assert set(result["baseline"]) >= {"first_frame_ms", "filter_ms", "sort_ms"}


@pytest.mark.slow
def test_live_events_quick_loses_nothing() -> None:
    result = run_quick("live_events")
    for key in ("fps", "lag_p99_ms", "lost", "backlog"):
        assert key in result
    assert result["lost"] == 0  # correctness, not speed: every event's lead is shown
    assert result["baseline"]["lost"] == 0


def test_startup_quick_ends_with_a_json_line() -> None:
    result = run_quick("startup", "--repeats", "1")
    assert "ratio" in result
    assert result["ours"]["seconds"] > 0 and result["baseline"]["seconds"] > 0


def test_memory_quick_ends_with_a_json_line() -> None:
    result = run_quick("memory")
    assert result["rss_mb"] > 0


@pytest.mark.slow
def test_sync_throughput_quick_creates_each_lead_once() -> None:
    result = run_quick("sync_throughput", "--rows", "50")  # 50 leads, 8 at a time
    assert "ratio" in result
    assert result["duplicates"] == 0  # correctness, not speed
    assert result["ours"]["prospects"] == result["rows"]
    assert result["ours"]["left_in_outbox"] == 0


def test_fanout_quick_ends_with_a_json_line() -> None:
    result = run_quick("fanout")
    for key in ("p50_ms", "p99_ms", "ratio"):
        assert key in result
    assert result["ours"]["changes"] == 30  # every change reached the watcher

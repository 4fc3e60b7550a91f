"""The `table_load` benchmark runs and ends with its JSON line.

A smoke test only: it runs `--quick` (2,000 rows) and never asserts on a time, since
wall clocks on a shared runner prove nothing (docs/perf.md §8). The goals are checked by
running the benchmark at full size, by hand or in a benchmark job.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_table_load_quick_ends_with_a_json_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.table_load", "--quick", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 1  # human-readable lines come first
    result = json.loads(lines[-1])
    for key in ("ratio", "filter_ms", "sort_ms", "goal_met", "ours", "baseline"):
        assert key in result
    assert isinstance(result["goal_met"], bool)
    assert result["rows"] == 2_000
    assert set(result["ours"]) >= {"first_frame_ms", "filter_ms", "sort_ms", "cursor_end_ms"}
    assert set(result["baseline"]) >= {"first_frame_ms", "filter_ms", "sort_ms"}

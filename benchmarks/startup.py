"""Benchmark `startup`: process start to the dashboard's first frame, vs a bare Textual app.

    python -m benchmarks.startup [--rows N] [--quick] [--repeats R]

A real SQLite file is seeded with N leads (default 100,000) first; then, for each
repeat, two fresh processes run side by side in turn (`benchmarks/_app_child.py`):
leadsync started as `leadsync` starts it (`open_tui(settings)`: the engine opens that
file, then the app runs) and Textual's hello world. Each is timed from just before the process is
spawned until it prints that its first frame is painted, so the interpreter start, the
imports, opening the database and the first paint all count. leadsync's first frame is
the dashboard with its status line saying `Loading leads…`: the leads are read after it,
in chunks, filling the table while the keys work. So it is also timed to the frame with
every lead in the table (`all_rows_s`). Figures are medians.

Goal (the issue): ours <= 2.5x the bare app's time to the first frame (`ratio`,
ours / bare). It is defined at 100,000 leads; `--quick` (2,000) only shows that
everything works.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import emit_json, make_leads, median, parse_args, say, seed_database

FULL_ROWS = 100_000
QUICK_ROWS = 2_000
GOAL_RATIO = 2.5
ROOT = Path(__file__).resolve().parents[1]


def run_child(*args: str) -> dict[str, float]:
    """Spawn one app process: wall seconds to its first frame (`seconds`) and to the
    frame with every row (`all_rows_s`), and the memory it reported then (`rss_mb`)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._app_child", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    first_wall = time.perf_counter() - start
    ready = child.stdout.readline()
    ready_wall = time.perf_counter() - start
    _, stderr = child.communicate(timeout=120)
    if not (first.startswith("FRAME") and ready.startswith("READY")):
        raise RuntimeError(f"the app process failed ({args[0]}): {stderr.strip()[-2000:]}")
    _, rss, _ = ready.split()
    return {
        "seconds": first_wall,
        "all_rows_s": ready_wall,
        "rss_mb": float(rss),
        "in_process_s": float(first.split()[2]),
    }


def prepared_database(directory: str, rows: int) -> str:
    path = str(Path(directory) / "leadsync.db")
    asyncio.run(seed_database(path, make_leads(rows)))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    size = parse_args(__doc__ or "", argv, full_rows=FULL_ROWS, quick_rows=QUICK_ROWS)
    say(f"startup: {size.rows:,} leads in SQLite, {size.repeats} runs each, headless")
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-") as directory:
        started = time.perf_counter()
        path = prepared_database(directory, size.rows)
        say(f"  seeded the database in {time.perf_counter() - started:.1f}s")
        ours_runs: list[dict[str, float]] = []
        bare_runs: list[dict[str, float]] = []
        for _ in range(size.repeats):
            bare_runs.append(run_child("bare"))
            ours_runs.append(run_child("ours", path, str(size.rows)))
    ours = {key: round(median([run[key] for run in ours_runs]), 4) for key in ours_runs[0]}
    bare = {key: round(median([run[key] for run in bare_runs]), 4) for key in bare_runs[0]}
    ratio = ours["seconds"] / max(bare["seconds"], 1e-6)
    goal_met = ratio <= GOAL_RATIO
    say(
        f"  leadsync dashboard  {ours['seconds']:.3f} s to first frame (the dashboard,"
        " its status line saying the leads are loading)"
    )
    say(
        f"                      {ours['all_rows_s']:.3f} s until all {size.rows:,} leads are"
        f" in the table ({ours['rss_mb']:.0f} MB)"
    )
    say(f"  bare Textual app    {bare['seconds']:.3f} s to first frame ({bare['rss_mb']:.0f} MB)")
    say(
        f"  ratio {ratio:.2f}x the bare app (goal <= {GOAL_RATIO}x): goal "
        f"{'met' if goal_met else 'NOT met'}"
        + (" (the goal is defined at 100,000 leads)" if size.rows < FULL_ROWS else "")
    )
    result: dict[str, Any] = {
        "benchmark": "startup",
        "rows": size.rows,
        "repeats": size.repeats,
        "ours": ours,
        "baseline": {"app": "Textual hello world", **bare},
        "ratio": round(ratio, 3),
        "all_rows_s": ours["all_rows_s"],
        "goals": {"ratio": GOAL_RATIO},
        "goal_met": goal_met,
    }
    emit_json(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

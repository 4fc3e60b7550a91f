"""Benchmark `memory`: RSS of the running dashboard with 100,000 leads loaded.

    python -m benchmarks.memory [--rows N] [--quick] [--repeats R]

A real SQLite file is seeded with N leads; then a fresh process runs leadsync's dashboard
over it headless (`benchmarks/_app_child.py`: the real `make_app`, the store loaded from
the file) and reads its own RSS from /proc/self/status once the first frame shows every
lead. A bare Textual hello-world process, measured the same way, is the baseline: the
difference is what the leads cost (store, models, table index). Figures are medians.

Goal (the issue): `rss_mb` <= 300 at 100,000 leads; `--quick` (2,000) only shows that
everything works.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from typing import Any

from benchmarks._common import emit_json, median, parse_args, say
from benchmarks.startup import prepared_database, run_child

FULL_ROWS = 100_000
QUICK_ROWS = 2_000
GOAL_RSS_MB = 300.0


def main(argv: Sequence[str] | None = None) -> int:
    size = parse_args(__doc__ or "", argv, full_rows=FULL_ROWS, quick_rows=QUICK_ROWS)
    repeats = 1 if size.quick else size.repeats
    say(f"memory: {size.rows:,} leads in SQLite, {repeats} run(s), headless")
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-") as directory:
        started = time.perf_counter()
        path = prepared_database(directory, size.rows)
        say(f"  seeded the database in {time.perf_counter() - started:.1f}s")
        ours = median([run_child("ours", path, str(size.rows))["rss_mb"] for _ in range(repeats)])
        bare = median([run_child("bare")["rss_mb"] for _ in range(repeats)])
    per_lead = (ours - bare) * 1024 * 1024 / size.rows
    goal_met = ours <= GOAL_RSS_MB
    say(f"  leadsync dashboard  {ours:.1f} MB RSS with {size.rows:,} leads")
    say(f"  bare Textual app    {bare:.1f} MB RSS ({per_lead:,.0f} bytes per lead above it)")
    say(
        f"  goal <= {GOAL_RSS_MB:.0f} MB: goal {'met' if goal_met else 'NOT met'}"
        + (" (the goal is defined at 100,000 leads)" if size.rows < FULL_ROWS else "")
    )
    result: dict[str, Any] = {
        "benchmark": "memory",
        "rows": size.rows,
        "repeats": repeats,
        "ours": {"rss_mb": round(ours, 1), "bytes_per_lead": round(per_lead)},
        "baseline": {"app": "Textual hello world", "rss_mb": round(bare, 1)},
        "rss_mb": round(ours, 1),
        "goals": {"rss_mb": GOAL_RSS_MB},
        "goal_met": goal_met,
    }
    emit_json(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

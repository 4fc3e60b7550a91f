"""Benchmark `store_migrate`: `leadsync store migrate` of 10,000 leads into PostgreSQL.

    python -m benchmarks.store_migrate [--rows N] [--quick] [--repeats R]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

A real SQLite file holds N seeded leads, a link for each and three sync-log entries
each (5N rows); each run copies it into a new database made for it on the server of
`--admin-url` (else `$LEADSYNC_BENCH_PG_URL`; a user who may CREATE DATABASE), through
the command's own run function, and drops it afterwards. The figure is the median wall
time of the whole command (opening both stores, migrating their schemas, the copy,
the sequences). Goal: 10,000 leads in 5 s at most (a deployment's downtime for the move
is a matter of seconds). With no server named it says so and stops (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from benchmarks._common import FROZEN_NOW, emit_json, make_leads, median, say
from leadsync_tui.commands.store_run import run_migrate
from leadsync_tui.models import AttemptStatus, LeadSyncLog, SyncDirection, SyncType
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link

NAME = "store_migrate"
GOAL_S = 5.0
LOGS_PER_LEAD = 3


async def _seed(path: Path, rows: int) -> None:
    leads = make_leads(rows)
    async with await Database.open(path, now=lambda: FROZEN_NOW) as db:
        await db.upsert_leads(leads)
        await db.upsert_links(
            [
                Link(
                    conversation_id=lead.conversation_id,
                    prospect_id=f"P{serial}",
                    property_id=lead.property_id,
                    snapshot={"phone": lead.phone, "email": lead.email},
                    agreed_at=FROZEN_NOW,
                )
                for serial, lead in enumerate(leads)
            ]
        )
        logs = [
            LeadSyncLog(
                id=f"log-{lead.conversation_id}-{n}",
                conversation_id=lead.conversation_id,
                sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_status=AttemptStatus.SUCCESS,
                sync_type=SyncType.UPDATE,
                created_at=FROZEN_NOW - timedelta(minutes=n),
                latency_ms=120.0,
            )
            for lead in leads
            for n in range(LOGS_PER_LEAD)
        ]
        for start in range(0, len(logs), 5_000):
            await db.append_logs(logs[start : start + 5_000])


def _run_once(source: Path, admin_url: str) -> float:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    target = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        started = time.monotonic()
        code = run_migrate(source, target, None, out=io.StringIO(), err=sys.stderr)
        seconds = time.monotonic() - started
        if code != 0:
            raise SystemExit(f"store migrate exited {code}")
        return seconds
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="leads (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="500 leads, one run")
    parser.add_argument("--repeats", type=int, default=None, help="runs (median; default 3)")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("LEADSYNC_BENCH_PG_URL"),
        help="a PostgreSQL server to make the target databases on",
    )
    args = parser.parse_args(argv)
    rows = args.rows or (500 if args.quick else 10_000)
    repeats = args.repeats or (1 if args.quick else 3)
    if not args.admin_url:
        say("store_migrate: no PostgreSQL server named (--admin-url or $LEADSYNC_BENCH_PG_URL)")
        emit_json({"benchmark": NAME, "skipped": True, "goal_met": False, "ours": None,
                   "baseline": None})  # fmt: skip
        return
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "leadsync.db"
        asyncio.run(_seed(source, rows))
        size_mb = source.stat().st_size / 1e6
        times = [_run_once(source, args.admin_url) for _ in range(repeats)]
    took = median(times)
    say(
        f"store migrate: {rows:,} leads, {rows:,} links, {rows * LOGS_PER_LEAD:,} log entries "
        f"({size_mb:.1f} MB of SQLite) in {took:.2f} s (median of {repeats}; goal <= {GOAL_S} s "
        "at 10,000 leads)"
    )
    emit_json(
        {
            "benchmark": NAME,
            "rows": rows,
            "ours": {"seconds": round(took, 3), "runs": [round(t, 3) for t in times]},
            "baseline": None,
            "goal_met": rows < 10_000 or took <= GOAL_S,
        }
    )


if __name__ == "__main__":
    main()

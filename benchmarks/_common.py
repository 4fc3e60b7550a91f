"""Shared benchmark plumbing: seeded leads, argument parsing, timing, the JSON last line.

Every benchmark prints human-readable lines and then, as its very last line, one JSON
object with its figures, so scripts and the smoke test can read the result without
parsing prose.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadsync_tui.models import Lead, Qualification, SyncStatus
from leadsync_tui.store.db import Database

FROZEN_NOW = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)
"""The clock every benchmark runs on, so ages and therefore output are repeatable."""

PROPERTY_COUNT = 100
"""Distinct property ids: filtering on one of them keeps ~1% of the rows."""

_FIRST = (
    "Maya", "Liam", "Sofia", "Noah", "Amara", "Ethan", "Priya", "Lucas", "Zara", "Mateo",
    "Chloe", "Kenji", "Aisha", "Diego", "Hannah", "Omar", "Grace", "Tomas", "Leila", "Owen",
)  # fmt: skip
_LAST = (
    "Okafor", "Nguyen", "Garcia", "Patel", "Johnson", "Kowalski", "Haddad", "Lindqvist",
    "Moreno", "Tanaka", "Brooks", "Adeyemi", "Rossi", "Schmidt", "Reyes", "Chen",
)  # fmt: skip
_DOMAINS = ("example.com", "example.net", "example.org")
_STATUSES = (
    (SyncStatus.SYNCED,) * 12
    + (SyncStatus.NOT_SYNCED,) * 3
    + (SyncStatus.SYNCING,) * 2
    + (SyncStatus.FAILED, SyncStatus.CONFLICT)
)


def property_id(number: int) -> str:
    return f"prop_{number:03d}"


def _guid(rng: random.Random) -> str:
    """A ResMan-style ProspectID (a GUID), from the seeded generator."""
    return str(uuid.UUID(int=rng.getrandbits(128)))


def make_leads(count: int, *, seed: int = 7, now: datetime = FROZEN_NOW) -> list[Lead]:
    """`count` varied, realistic leads; the same seed gives the same leads."""
    rng = random.Random(seed)
    leads: list[Lead] = []
    for serial in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        status = rng.choice(_STATUSES)
        synced = status in (SyncStatus.SYNCED, SyncStatus.CONFLICT, SyncStatus.FAILED)
        created = now - timedelta(seconds=rng.randrange(60, 90 * 86400))
        leads.append(
            Lead(
                conversation_id=f"conv_{serial:07d}",
                created_at=created,
                updated_at=created,
                property_id=property_id(rng.randrange(PROPERTY_COUNT)),
                first_name=first,
                last_name=last,
                email=(
                    f"{first.lower()}.{last.lower()}{serial}@{rng.choice(_DOMAINS)}"
                    if rng.random() < 0.9
                    else None
                ),
                phone=f"+1512555{rng.randrange(10000):04d}",
                qualification=rng.choice(tuple(Qualification)),
                resman_sync_status=status,
                resman_prospect_id=(
                    str(uuid.UUID(int=rng.getrandbits(128)))
                    if synced or rng.random() < 0.3
                    else None
                ),
                last_sync_at=(
                    now - timedelta(seconds=rng.randrange(1, 30 * 86400)) if synced else None
                ),
            )
        )
    return leads


@dataclass(frozen=True)
class RunSize:
    rows: int
    repeats: int
    quick: bool


def parse_args(
    description: str, argv: Sequence[str] | None, *, full_rows: int, quick_rows: int
) -> RunSize:
    """`--rows N`, `--quick` (a small size: a smoke run in seconds) and `--repeats R`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--rows", type=int, default=None, help=f"rows to load (default {full_rows})"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"small and fast: {quick_rows} rows, fewer repeats"
    )
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (median)")
    args = parser.parse_args(argv)
    rows = args.rows if args.rows is not None else (quick_rows if args.quick else full_rows)
    repeats = args.repeats if args.repeats is not None else 3
    return RunSize(rows=max(1, rows), repeats=max(1, repeats), quick=args.quick)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def say(line: str) -> None:
    """A human-readable line (stdout; the JSON line comes last)."""
    print(line, flush=True)


def emit_json(result: dict[str, Any]) -> None:
    """The machine-readable result: always the last line of output."""
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


async def seed_database(path: str, leads: Sequence[Lead], *, chunk: int = 5_000) -> None:
    """A real leadsync SQLite file holding `leads`, written the way the store writes them."""
    db = await Database.open(path)
    try:
        for start in range(0, len(leads), chunk):
            await db.upsert_leads(leads[start : start + chunk])
    finally:
        await db.close()


def rss_mb() -> float:
    """This process's resident set size now, in MB (from /proc; the peak if /proc is absent)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

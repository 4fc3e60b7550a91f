"""Benchmark `sync_throughput`: `--once` reconcile of 10,000 new DomIQ leads into ResMan.

    python -m benchmarks.sync_throughput [--rows N] [--quick] [--latency-ms L]
        [--baseline-rows M]

Two fresh pairs of simulators, each in its own process as the real systems would be
(`benchmarks/_sims_child.py`): DomIQ holds N new qualified leads, ResMan none of them.

- ours: the real engine (`open_engine` + `run_once`, as `leadsync sync --headless
  --once`) on a fresh SQLite file: it pulls DomIQ, polls ResMan, and for every lead
  searches ResMan before it creates (email, phone in both forms, name), posts the
  guest card and reports the link back to DomIQ, through its pooled clients and its
  bounded-concurrency outbox worker (`[sync] concurrency`, default 8);
- baseline: a plain sequential loop on one `httpx.AsyncClient` making the same calls
  (the DomIQ pull, then per lead the same searches, the same create and the same
  report), one after the other. It runs on the first M leads (default: all at `--quick`,
  2,000 at full size, which is minutes already); leads/s is a rate, so the two compare.

Both servers add `--latency-ms` (default 2 ms) to every request: a loopback socket has
none, and a real API has tens of ms, so 2 ms understates what concurrency buys. Each
side's request count per lead is printed, to show the work is the same. Duplicates are
counted in the ResMan simulator's own state afterwards (a second guest card per email).

Goal (the issue): ours >= 2x the sequential loop's leads/s (`ratio`), 0 `duplicates`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import emit_json, parse_args, say
from leadsync_tui.clients.mits import FirstContact, build_create
from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.clients.resman_transport import POST_LEAD, SEARCH_PROSPECTS
from leadsync_tui.config import Settings, load_settings
from leadsync_tui.models import Lead, SyncStatus, format_utc, utc_now
from leadsync_tui.phones import phone_search_forms
from leadsync_tui.sync.mapping import lead_to_fields, new_prospect_fields
from leadsync_tui.sync.plan import MARKER, valid_only
from leadsync_tui.wiring import open_engine

FULL_ROWS = 10_000
QUICK_ROWS = 200
BASELINE_FULL_ROWS = 1_000
LATENCY_MS = 10.0
GOAL_RATIO = 2.0
ROOT = Path(__file__).resolve().parents[1]


class Sims:
    """One simulator process: its settings, request counters and duplicate check."""

    def __init__(self, rows: int, latency_ms: float, directory: str, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._sims_child", str(rows), str(latency_ms)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started = json.loads(self._read())
        path = Path(directory) / f"{name}.toml"
        database = Path(directory) / f"{name}.db"
        path.write_text(started["config"] + f"\n[sync]\ndatabase = {json.dumps(str(database))}\n")
        self.settings: Settings = load_settings(path).settings

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process ended early")
        return line

    def count(self) -> dict[str, int]:
        assert self.process.stdin is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        counted: dict[str, int] = json.loads(self._read())
        return counted

    async def requests(self) -> int:
        """Requests both servers have answered so far (their `/_sim/stats`)."""
        total = 0
        async with httpx.AsyncClient() as client:
            for side in (self.settings.domiq, self.settings.resman):
                stats = (await client.get(f"{side.base_url}/_sim/stats")).json()
                total += int(stats.get("requests", stats.get("requests_served", 0)))
        return total

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


async def run_ours(sims: Sims, rows: int) -> dict[str, float]:
    before = await sims.requests()
    async with open_engine(sims.settings, watcher=False) as setup:
        started = time.perf_counter()
        result = await setup.engine.run_once(max_wait=120)
        seconds = time.perf_counter() - started
    requests = await sims.requests() - before
    counted = sims.count()
    return {
        "leads": rows,
        "seconds": round(seconds, 3),
        "leads_per_s": round(rows / seconds, 1),
        "requests_per_lead": round(requests / rows, 2),
        "sent": result.sent,
        "left_in_outbox": result.pending + result.in_flight + result.failed,
        "prospects": counted["prospects"],
        "duplicates": counted["duplicates"],
    }


async def run_sequential(sims: Sims, rows: int) -> dict[str, float]:
    """The same calls, one at a time, with nothing but httpx."""
    domiq, resman = sims.settings.domiq, sims.settings.resman
    assert domiq.token is not None and resman.api_key is not None
    mapping = PropertyMapping.from_settings(resman)
    auth = {
        "IntegrationPartnerID": resman.integration_partner_id or "",
        "ApiKey": resman.api_key.get_secret_value(),
        "AccountID": str(resman.account_id),
    }
    before = await sims.requests()
    started = time.perf_counter()
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {domiq.token.get_secret_value()}"}, timeout=30
    ) as client:
        leads: list[Lead] = []
        cursor: str | None = None
        while True:
            params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{domiq.base_url}/v1/leads", params=params)).json()
            leads += [Lead.model_validate(item) for item in page["data"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        for lead in leads[:rows]:
            target = mapping.for_create(lead.property_id)
            fields = lead_to_fields(lead)
            usable = valid_only(fields)
            searches = [{"Email": usable["email"]}]
            searches += [{"Phone": digits} for digits in phone_search_forms(usable["phone"])]
            searches.append({"FirstName": lead.first_name, "LastName": lead.last_name})
            for search in searches:
                answer = await client.post(
                    f"{resman.base_url}{SEARCH_PROSPECTS}",
                    data={**auth, "PropertyID": target.property_id, **search},
                )
                answer.raise_for_status()
            xml = build_create(
                new_prospect_fields(fields),
                FirstContact(
                    agent_id=target.agent_id,
                    source_id=target.source_id,
                    event_date=utc_now(),
                    comments=f"{MARKER} {lead.conversation_id}",
                ),
            )
            posted = await client.post(
                f"{resman.base_url}{POST_LEAD}",
                data={**auth, "PropertyID": target.property_id, "Xml": xml},
            )
            posted.raise_for_status()
            reported = await client.put(
                f"{domiq.base_url}/v1/leads/{lead.conversation_id}/resman-sync",
                json={
                    "resman_sync_status": SyncStatus.SYNCED.value,
                    "resman_prospect_id": None,
                    "last_sync_at": format_utc(utc_now()),
                },
            )
            reported.raise_for_status()
    seconds = time.perf_counter() - started
    requests = await sims.requests() - before
    counted = sims.count()
    return {
        "leads": rows,
        "seconds": round(seconds, 3),
        "leads_per_s": round(rows / seconds, 1),
        "requests_per_lead": round(requests / rows, 2),
        "prospects": counted["prospects"],
        "duplicates": counted["duplicates"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    extra.add_argument("--baseline-rows", type=int, default=None)
    known, rest = extra.parse_known_args(argv)
    size = parse_args(__doc__ or "", rest, full_rows=FULL_ROWS, quick_rows=QUICK_ROWS)
    baseline_rows = min(
        size.rows,
        known.baseline_rows or (size.rows if size.quick else BASELINE_FULL_ROWS),
    )
    latency = known.latency_ms
    say(
        f"sync_throughput: {size.rows:,} new DomIQ leads into ResMan, {latency:g} ms latency "
        f"per request; the sequential loop on {baseline_rows:,} of them"
    )
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-") as directory:
        sims = Sims(size.rows, latency, directory, "ours")
        try:
            ours = asyncio.run(run_ours(sims, size.rows))
        finally:
            sims.close()
        say(
            f"  engine      {ours['leads_per_s']:,.1f} leads/s ({ours['seconds']:.1f} s, "
            f"{ours['requests_per_lead']:.2f} requests per lead, {ours['prospects']:,.0f} "
            f"prospects, {ours['duplicates']:.0f} duplicates, {ours['left_in_outbox']:.0f} left)"
        )
        sims = Sims(size.rows, latency, directory, "baseline")
        try:
            baseline = asyncio.run(run_sequential(sims, baseline_rows))
        finally:
            sims.close()
        say(
            f"  sequential  {baseline['leads_per_s']:,.1f} leads/s ({baseline['seconds']:.1f} s, "
            f"{baseline['requests_per_lead']:.2f} requests per lead)"
        )
    ratio = ours["leads_per_s"] / max(baseline["leads_per_s"], 1e-6)
    goal_met = ratio >= GOAL_RATIO and ours["duplicates"] == 0 and ours["left_in_outbox"] == 0
    say(
        f"  ratio {ratio:.2f}x the sequential loop (goal >= {GOAL_RATIO:g}x), "
        f"{ours['duplicates']:.0f} duplicates: goal {'met' if goal_met else 'NOT met'}"
        + (" (the goal is defined at 10,000 leads)" if size.rows < FULL_ROWS else "")
    )
    result: dict[str, Any] = {
        "benchmark": "sync_throughput",
        "rows": size.rows,
        "latency_ms": latency,
        "ours": ours,
        "baseline": {"client": "sequential httpx.AsyncClient loop", **baseline},
        "ratio": round(ratio, 2),
        "duplicates": ours["duplicates"],
        "goals": {"ratio": GOAL_RATIO, "duplicates": 0},
        "goal_met": goal_met,
    }
    emit_json(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

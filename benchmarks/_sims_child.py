"""The simulators for `sync_throughput`, in their own process (as ResMan is in production).

    python -m benchmarks._sims_child ROWS LATENCY_MS

Serves a DomIQ and a ResMan simulator on free loopback ports: a world with no leads of
its own, plus ROWS new qualified DomIQ leads with distinct emails, phones and names and no
ResMan prospect for any of them; `LATENCY_MS` is added to every request on both. Prints
one JSON line (`config`: the leadsync config block; `leads`), then answers one JSON line
per command read on stdin: `count` gives the ResMan prospects and how many of them are
duplicates (a second guest card for the same email); an empty line or EOF stops it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from benchmarks._common import make_leads
from leadsync_tui.models import Lead, Qualification, SyncStatus
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _suffix(number: int) -> str:
    """A letters-only tag unique per number (names must stay names)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = _LETTERS[digit] + text
        if not number:
            return text


def new_leads(sims: RunningSims, rows: int) -> list[Lead]:
    """`rows` qualified DomIQ leads that ResMan has never seen, none alike."""
    properties = [link.domiq_id for link in sims.world.properties]
    leads = []
    for serial, lead in enumerate(make_leads(rows)):
        leads.append(
            lead.model_copy(
                update={
                    "property_id": properties[serial % len(properties)],
                    "last_name": f"{lead.last_name}{_suffix(serial).capitalize()}",
                    "email": f"lead{serial}@example.com",
                    "phone": f"+1512{2 + serial // 10_000 % 8}55{serial % 10_000:04d}",
                    "qualification": Qualification.QUALIFIED,
                    "resman_sync_status": SyncStatus.NOT_SYNCED,
                    "resman_prospect_id": None,
                    "last_sync_at": None,
                }
            )
        )
    return leads


def count(sims: RunningSims) -> dict[str, int]:
    prospects = sims.world.resman.prospects
    emails = Counter((p.main.email or p.prospect_id).lower() for p in prospects)
    return {
        "prospects": len(prospects),
        "duplicates": sum(seen - 1 for seen in emails.values()),
    }


async def serve(rows: int, latency_ms: float) -> None:
    options = SimOptions(
        domiq_port=0, resman_port=0, leads=0, activity_per_min=0, latency_ms=latency_ms
    )
    async with run_simulators(options) as sims:
        for lead in new_leads(sims, rows):
            sims.world.domiq.seed_lead(lead)
        print(json.dumps({"config": sims.config_toml(), "leads": rows}), flush=True)
        while True:
            command = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if command != "count":
                return
            print(json.dumps(count(sims)), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(int(argv[0]), float(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Benchmark `soak`: production-like traffic for minutes, then proof that nothing was lost
or doubled.

    python -m benchmarks.soak [--minutes M] [--leads N] [--actions-per-min A]
        [--fault-rate F] [--seed S] [--quick]

Both simulators run in this process (so their state can be read at the end); the engine
runs as `leadsync sync --headless` in its own process, as under systemd. For M minutes
the activity generator performs A actions a minute (new chats, qualifications, bot and
agent edits, losses, both-sides conflicts) with F of all requests faulted (5xx, 429,
malformed). Then the activity stops, the engine gets SIGTERM, the faults are switched
off and `leadsync sync --headless --once` finishes the work. The figures:

- `unsynced_without_reason`: qualified DomIQ leads with no ResMan prospect and neither an
  open conflict nor a failed outbox item a person can see (goal 0);
- `doubled`: conversations with more than one guest card carrying their marker (goal 0);
- `link_disagreements`: DomIQ's `resman_prospect_id` differs from the store's link (goal 0);
- `out_of_step`: linked pairs with no open conflict whose synced fields differ;
- `parked_as_duplicate`: leads parked as "already in ResMan" instead of created or put to a
  person as a `duplicate_candidate` conflict (goal 0).

Goal: all four 0, the `--once` pass exits 0 or 1 (1 = something needs a person), never 2.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import emit_json, say
from leadsync_tui.models import Qualification
from leadsync_tui.sim.activity import ActivityGenerator
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.sim.world_values import lead_values, prospect_values
from leadsync_tui.store.db import Database
from leadsync_tui.store.error_groups import ErrorKind, classify
from leadsync_tui.store.records import OutboxStatus
from leadsync_tui.sync.plan import MARKER

ROOT = Path(__file__).resolve().parents[1]
_MARKER_RE = re.compile(re.escape(MARKER) + r"\s+(\S+)")


def _parse(argv: Sequence[str] | None) -> Any:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--actions-per-min", type=float, default=600.0)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--once-max-wait", type=float, default=180.0)
    parser.add_argument("--quick", action="store_true", help="1 minute, 300 leads")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.leads = 1.0, 300
    return args


def _engine(config: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless", "--config"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, str(config), *extra], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


async def _wait(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    """The process's exit code, or None if it still runs after `seconds`."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)
    except TimeoutError:
        return None


async def _soak(args: Any, workdir: Path) -> dict[str, Any]:
    options = SimOptions(
        domiq_port=0,
        resman_port=0,
        seed=args.seed,
        leads=args.leads,
        activity_per_min=0,
        fault_rate=args.fault_rate,
        search_limit=10_000,
    )
    async with run_simulators(options) as sims:
        config = workdir / "leadsync.toml"
        database = workdir / "leadsync.db"
        config.write_text(
            sims.config_toml() + f'\n[sync]\ndatabase = "{database}"\n', encoding="utf-8"
        )
        log = workdir / "engine.log"
        activity = ActivityGenerator(sims.world, args.actions_per_min, rng_seed=args.seed + 2)
        engine = _engine(config, log)
        say(
            f"soak: {args.leads} leads, {args.actions_per_min:g} actions/min, "
            f"{args.fault_rate:.0%} faults, {args.minutes:g} min; engine pid {engine.pid}"
        )
        runner = asyncio.create_task(activity.run())
        started = time.monotonic()
        while time.monotonic() - started < args.minutes * 60:
            await asyncio.sleep(5)
            if engine.poll() is not None:
                say(f"soak: the engine exited early with {engine.returncode}; see {log}")
                break
        runner.cancel()
        engine.send_signal(signal.SIGTERM)
        stopped = await _wait(engine, 30)
        if stopped is None:
            engine.kill()
            await _wait(engine, 10)
        for faults in (sims.domiq_faults, sims.resman_faults):
            faults.update({"error_rate": 0, "rate_limit_rate": 0, "malformed_rate": 0})
        once = _engine(config, log, "--once", "--max-wait", str(args.once_max_wait))
        once_rc = await _wait(once, args.once_max_wait + 120)
        if once_rc is None:
            once.kill()
        figures = await _check(sims, database)
        figures.update(
            actions=sum(activity.counts.values()),
            actions_by_kind={kind.value: n for kind, n in activity.counts.items()},
            engine_exit=stopped,
            once_exit=once_rc,
            minutes=args.minutes,
            leads=args.leads,
            fault_rate=args.fault_rate,
        )
        return figures


async def _check(sims: RunningSims, database: Path) -> dict[str, Any]:
    """Compare both simulators' final state with the store's links, conflicts and outbox."""
    domiq, resman = sims.world.domiq, sims.world.resman
    db = await Database.open(database)
    try:
        leads = domiq.all_leads()
        links = await db.get_links(lead.conversation_id for lead in leads)
        open_conflicts = {c.conversation_id for c in await db.open_conflicts()}
        parked = await db.outbox_items(status=OutboxStatus.FAILED, limit=1_000_000)
        failed = {item.conversation_id for item in parked}
        failed_by_kind = Counter(classify(item.last_error).value for item in parked)
        pending = await db.outbox_counts()
    finally:
        await db.close()
    markers: Counter[str] = Counter()
    for prospect in resman.prospects:
        for event in prospect.events:
            found = _MARKER_RE.search(event.comments or "")
            if found:
                markers[found.group(1)] += 1
                break
    qualified = [lead for lead in leads if lead.qualification is Qualification.QUALIFIED]
    unsynced = [
        lead.conversation_id
        for lead in qualified
        if lead.conversation_id not in links
        and lead.conversation_id not in open_conflicts
        and lead.conversation_id not in failed
    ]
    disagreements = [
        lead.conversation_id
        for lead in leads
        if lead.conversation_id in links
        and lead.resman_prospect_id != links[lead.conversation_id].prospect_id
    ]
    out_of_step: Counter[str] = Counter()
    for lead in leads:
        link = links.get(lead.conversation_id)
        if link is None or lead.conversation_id in open_conflicts:
            continue
        card = resman.get_prospect(link.prospect_id)
        if card is None:
            out_of_step["prospect missing"] += 1
            continue
        ours, theirs = lead_values(lead), prospect_values(card)
        for name in ours:
            if ours[name] != theirs[name]:
                out_of_step[name] += 1
    return {
        "domiq_leads": len(leads),
        "qualified": len(qualified),
        "linked": len(links),
        "open_conflicts": len(open_conflicts),
        "failed_visible": len(failed),
        "failed_by_kind": dict(failed_by_kind),
        "parked_as_duplicate": failed_by_kind.get(ErrorKind.DUPLICATE.value, 0),
        "outbox": str(pending),
        "unsynced_without_reason": len(unsynced),
        "unsynced_examples": unsynced[:5],
        "doubled": sum(1 for count in markers.values() if count > 1),
        "link_disagreements": len(disagreements),
        "out_of_step": sum(out_of_step.values()),
        "out_of_step_by_field": dict(out_of_step),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    with tempfile.TemporaryDirectory(prefix="leadsync-soak-") as tmp:
        os.chmod(tmp, 0o700)
        figures = asyncio.run(_soak(args, Path(tmp)))
        log_tail = (Path(tmp) / "engine.log").read_text(errors="replace").splitlines()[-5:]
    for key, value in figures.items():
        say(f"  {key}: {value}")
    say("engine log tail (ids only):")
    for line in log_tail:
        say(f"  {line[:200]}")
    goal_met = (
        figures["unsynced_without_reason"] == 0
        and figures["doubled"] == 0
        and figures["link_disagreements"] == 0
        and figures["out_of_step"] == 0
        and figures["parked_as_duplicate"] == 0
        and figures["once_exit"] in (0, 1)
    )
    emit_json({"benchmark": "soak", **figures, "goal_met": goal_met})
    return 0


if __name__ == "__main__":
    sys.exit(main())

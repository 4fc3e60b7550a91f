"""A second deployment is noticed (#14): two jump boxes, each with its own SQLite store,
syncing one DomIQ account cannot share a lease, so an engine that sees DomIQ name a
prospect another deployment reported stops sending and says so, instead of racing it.
A fresh store adopting an account an older deployment synced is not such a case.

Real simulators, two real SQLite files, engines as `sync --headless` runs them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from leadsync_tui.commands.status_run import run_status
from leadsync_tui.config import AlertsSettings, Settings
from leadsync_tui.models import Qualification
from leadsync_tui.sync.alerts import run_alerts
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.foreign_deployment import MESSAGE
from leadsync_tui.sync.plan import created_for
from tests.engine.conftest import Rig, read_truth, sim_rig, truth_of
from tests.engine.test_alerts import fast_poster, receiver
from tests.waiting import eventually


def on_own_file(rig: Rig, path: Path) -> Rig:
    """The same simulators, another jump box's store."""
    sync = rig.settings.sync.model_copy(update={"database": path})
    return Rig(rig.sims, rig.settings.model_copy(update={"sync": sync}))


def noticed(events: list[dict[str, Any]]) -> bool:
    return any(e["event"] == "another_deployment" for e in events)


async def prospects_per_lead(settings: Settings) -> Counter[str]:
    """How many ResMan prospects carry each DomIQ lead's marker."""
    truth = await truth_of(settings)
    return Counter(owner for p in truth.prospects.values() if (owner := created_for(p)) is not None)


async def headless_once(rig: Rig, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    """`leadsync sync --headless --once` on this rig's store: exit code, JSON lines."""
    config = tmp_path / "headless.toml"
    config.write_text(
        rig.sims.config_toml() + f'\n[sync]\ndatabase = "{rig.settings.sync.database}"\n'
    )
    config.chmod(0o600)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless", "--once"),
        *("--max-wait", "5", "--config", str(config)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return await process.wait(), lines


def status_of(settings: Settings) -> tuple[int, str]:
    out = StringIO()
    code = run_status(settings, as_json=False, out=out, err=StringIO())
    return code, out.getvalue()


async def test_two_deployments_started_together_stop_racing(tmp_path: Path) -> None:
    async with receiver() as hook, sim_rig(tmp_path, poll_interval=1.0) as rig:
        other = on_own_file(rig, tmp_path / "jumpbox-2.db")
        alerts = AlertsSettings(webhook_url=SecretStr(hook.url), min_interval=0)
        async with (
            rig.engine() as one,
            other.engine() as two,
            run_alerts(one, alerts, poster=fast_poster(hook.url), check_every=0.02),
            run_alerts(two, alerts, poster=fast_poster(hook.url), check_every=0.02),
        ):
            # A slow ResMan keeps both first passes ahead of either's reports: they race.
            rig.sims.resman_faults.update({"latency_ms": 200})
            runs = [asyncio.create_task(one.run()), asyncio.create_task(two.run())]
            await eventually(lambda: noticed(rig.events) or noticed(other.events), 120)
            rig.sims.resman_faults.update({"latency_ms": 0})
            event = next(e for e in rig.events + other.events if e["event"] == "another_deployment")
            assert event["message"] == MESSAGE
            assert event["leads"] and all(cid.startswith("cnv_") for cid in event["leads"])
            stopped: list[tuple[SyncEngine, Rig]] = [
                (engine, r)
                for engine, r in ((one, rig), (two, other))
                if engine.reconciler.foreign.active
            ]
            assert stopped
            await eventually(lambda: all(e.worker.in_flight == 0 for e, _ in stopped), 60)
            # ... its window's error bar, and the team's webhook, say so too
            await eventually(
                lambda: all(MESSAGE in (e.store.state.error or "") for e, _ in stopped)
            )
            await eventually(lambda: any(MESSAGE in line for line in hook.lines()))

            # What a user notices: `leadsync status` on the stopped box says it, exit 1.
            code, text = await asyncio.to_thread(status_of, stopped[0][1].settings)
            assert code == 1
            assert MESSAGE in text
            assert "leadsync sync --headless --retry-failed" in text

            # More activity after the detection: no lead gains another guest card.
            before = await prospects_per_lead(rig.settings)
            assert max(before.values()) > 1  # they raced: some leads got two guest cards
            quiet = [
                lead.conversation_id
                for lead in rig.sims.world.domiq.all_leads()
                if lead.qualification is not Qualification.QUALIFIED
            ]
            for cid in quiet[:6]:
                rig.sims.world.domiq.qualify(cid)

            def passes() -> int:
                return sum(1 for e in rig.events + other.events if e["event"] == "reconcile")

            start = passes()
            await eventually(lambda: passes() >= start + 8, 60)  # several passes of each
            for engine, _ in stopped:
                assert engine.reconciler.foreign.active  # it stays stopped
            after = await prospects_per_lead(rig.settings)
            grew = {cid: (before[cid], n) for cid, n in after.items() if n > max(before[cid], 1)}
            assert not grew
            for engine in (one, two):
                await engine.stop()
            await asyncio.gather(*runs, return_exceptions=True)

        # Restarted, it still sends nothing: `sync --headless --once` says why, exits 1.
        code, lines = await headless_once(stopped[0][1], tmp_path)
        assert code == 1
        said = [line for line in lines if line["event"] == "another_deployment"]
        assert said and said[0]["message"] == MESSAGE
        assert MESSAGE in lines[-1]["error"]

        # A person clears it once one store is shared; `status` no longer reports it.
        async with stopped[0][1].engine() as engine:
            await engine.retry_failed(actor="cli")
        _, text = await asyncio.to_thread(status_of, stopped[0][1].settings)
        assert MESSAGE not in text


async def test_a_fresh_store_adopting_a_synced_account_raises_no_alarm(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=30) as rig:
        async with rig.engine() as old:
            await old.run_once(max_wait=30)
        synced = {
            cid: lead.resman_prospect_id for cid, lead in (await read_truth(rig)).leads.items()
        }
        assert any(synced.values())

        fresh = on_own_file(rig, tmp_path / "replacement.db")
        async with fresh.engine() as engine:
            await engine.run_once(max_wait=30)
            await engine.run_once(max_wait=30)
            assert not engine.reconciler.foreign.active
        assert not noticed(fresh.events)
        truth = await read_truth(rig)
        assert max(truth.claimed.values()) == 1
        assert {c: lead.resman_prospect_id for c, lead in truth.leads.items()} == synced
        _, text = await asyncio.to_thread(status_of, fresh.settings)
        assert MESSAGE not in text


async def test_another_deployment_linking_a_lead_is_noticed_from_the_live_feed(
    tmp_path: Path,
) -> None:
    """No full pull for an hour: the live feed's copy of the lead is the evidence."""
    from leadsync_tui.clients.domiq import DomiqClient
    from leadsync_tui.models import SyncStatus, utc_now

    async with (
        sim_rig(tmp_path, leads=20, poll_interval=3600.0) as rig,
        rig.engine(watcher=True) as engine,
    ):
        running = asyncio.create_task(engine.run())
        try:
            await eventually(lambda: any(e["event"] == "reconcile" for e in rig.events), 60)
            await eventually(lambda: engine.worker.sent > 0 and not engine.worker.in_flight, 60)
            links = await engine.db.get_links(list(engine.store.state.leads))
            cid, link = next(iter(links.items()))
            async with DomiqClient.from_settings(rig.settings.domiq) as other_deployment:
                await other_deployment.report_sync(
                    cid, SyncStatus.SYNCED, "a-prospect-made-elsewhere", utc_now()
                )
            await eventually(lambda: noticed(rig.events), 30)
            event = next(e for e in rig.events if e["event"] == "another_deployment")
            assert event["leads"] == [cid] and link.prospect_id != "a-prospect-made-elsewhere"
            assert engine.reconciler.foreign.active
        finally:
            await engine.stop()
            await asyncio.gather(running, return_exceptions=True)

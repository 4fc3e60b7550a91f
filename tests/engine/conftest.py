"""Shared rig for the engine tests: seeded simulators, an engine on a fresh database, and
a checker that reads both simulators' truth through their real APIs."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.config import PolicySettings, Settings, SyncSettings
from leadsync_tui.config_sections import StoreSettings
from leadsync_tui.models import Lead, Qualification, utc_now
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from leadsync_tui.sync.resman_poller import EPOCH
from leadsync_tui.wiring import open_engine, settings_for_sims


@dataclass
class Rig:
    sims: RunningSims
    settings: Settings
    events: list[dict[str, Any]] = field(default_factory=list)

    @asynccontextmanager
    async def engine(self, *, watcher: bool = False) -> AsyncIterator[SyncEngine]:
        """An engine process on the rig's database (open it again = a restart)."""
        async with open_engine(
            self.settings, on_event=self.events.append, watcher=watcher
        ) as setup:
            yield setup.engine


@asynccontextmanager
async def sim_rig(
    tmp_path: Path,
    *,
    leads: int = 80,
    seed: int = 7,
    policy: PolicySettings | None = None,
    store: StoreLocation | None = None,
    **sync: Any,
) -> AsyncIterator[Rig]:
    """Simulators in this process and settings for them; the store is the SQLite file
    `tmp_path/leadsync.db` unless `store` names another (a PostgreSQL database)."""
    options = SimOptions(domiq_port=0, resman_port=0, leads=leads, seed=seed, activity_per_min=0)
    async with run_simulators(options) as sims:
        base = Settings(
            sync=SyncSettings(database=tmp_path / "leadsync.db", **sync),
            policy=policy or PolicySettings(),
            store=StoreSettings()
            if store is None or store.url is None
            else StoreSettings(url=store.url, password=store.password),
        )
        yield Rig(sims, settings_for_sims(base, sims))


@dataclass(frozen=True)
class Truth:
    """Both simulators as their APIs show them."""

    leads: dict[str, Lead]
    prospects: dict[str, Prospect]

    @property
    def claimed(self) -> Counter[str]:
        """How many DomIQ leads name each prospect."""
        return Counter(
            lead.resman_prospect_id for lead in self.leads.values() if lead.resman_prospect_id
        )


async def read_truth(rig: Rig) -> Truth:
    """Every DomIQ lead and every ResMan prospect of the mapped properties (faults off)."""
    for faults in (rig.sims.domiq_faults, rig.sims.resman_faults):
        faults.update(
            {"error_rate": 0, "rate_limit_rate": 0, "malformed_rate": 0, "ws_drop_rate": 0}
        )
    return await truth_of(rig.settings)


async def truth_of(settings: Settings) -> Truth:
    """What DomIQ and ResMan hold, through their APIs."""
    leads: dict[str, Lead] = {}
    prospects: dict[str, Prospect] = {}
    async with DomiqClient.from_settings(settings.domiq) as domiq:
        async for lead in domiq.iter_leads(page_size=500):
            leads[lead.conversation_id] = lead
    async with ResmanClient.from_settings(settings.resman) as resman:
        for prop in settings.resman.properties.values():
            for prospect in await resman.search_modified(prop.property_id, EPOCH, utc_now()):
                prospects[prospect.prospect_id] = prospect
    return Truth(leads, prospects)


def assert_converged(truth: Truth, open_fields: dict[str, set[str]]) -> None:
    """Every qualified lead has exactly one prospect holding its values, every prospect
    exactly one lead, and no person is in ResMan twice (by email)."""
    for lead in truth.leads.values():
        if lead.qualification is Qualification.QUALIFIED:
            assert lead.resman_prospect_id in truth.prospects, lead.conversation_id
    assert set(truth.claimed) == set(truth.prospects)
    assert max(truth.claimed.values()) == 1
    for lead in truth.leads.values():
        if lead.resman_prospect_id is None:
            continue
        ours = lead_to_fields(lead)
        theirs = prospect_to_fields(truth.prospects[lead.resman_prospect_id])
        skip = open_fields.get(lead.conversation_id, set())
        differ = {k for k in ours if ours[k] != theirs[k]} - skip
        assert not differ, (lead.conversation_id, {k: (ours[k], theirs[k]) for k in differ})
    emails = Counter(p.email.lower() for p in truth.prospects.values() if p.email)
    assert emails.most_common(1)[0][1] == 1

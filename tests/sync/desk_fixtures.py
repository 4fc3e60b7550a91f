"""A `LeadDesk` on the real simulators, for the screens' own operations and their tests.

`desk_rig` opens the seeded simulators and an engine on a fresh database (no live feed:
each test runs the engine when it wants, `run_once`), with the desk the app would get.
`seed_new_lead` puts a `new` DomIQ lead with a chat transcript in the simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.models import Lead, MessageRole, Qualification, TranscriptMessage
from leadsync_tui.sim.world_records import World
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.wiring import EngineSetup, open_engine
from tests.engine.conftest import Rig, sim_rig

NEW_LEAD_ID = "cnv_01NEWLEADFORTHETESTS000001"


@dataclass(frozen=True)
class DeskRig:
    rig: Rig
    setup: EngineSetup

    @property
    def world(self) -> World:
        return self.rig.sims.world

    @property
    def engine(self) -> SyncEngine:
        return self.setup.engine

    @property
    def desk(self) -> LeadDesk:
        return self.setup.desk


@asynccontextmanager
async def desk_rig(tmp_path: Path, *, leads: int = 40, **sync: Any) -> AsyncIterator[DeskRig]:
    async with (
        sim_rig(tmp_path, leads=leads, **sync) as rig,
        open_engine(rig.settings, watcher=False) as setup,
    ):
        yield DeskRig(rig, setup)


@asynccontextmanager
async def impatient(desk: LeadDesk) -> AsyncIterator[LeadDesk]:
    """The desk with a ResMan client that tries once (a fault answers at once)."""
    async with ResmanClient.from_settings(
        desk.settings.resman, timeout=5, retry=RetryPolicy.no_retries()
    ) as resman:
        yield replace(desk, resman=resman)


TRANSCRIPT = (
    (MessageRole.PROSPECT, "Hi, do you have a two bedroom available in January?"),
    (MessageRole.BOT, "We do! Our two bedrooms start at $1,850. When would you like to move?"),
    (MessageRole.PROSPECT, "Mid January. I have a small dog, is that ok?"),
    (MessageRole.AGENT, "Dogs under 40 lb are welcome. I can book you a tour on Saturday."),
)


def seed_new_lead(world: World, cid: str = NEW_LEAD_ID) -> Lead:
    """A `new` lead (not qualified, no prospect) on the first property, with a chat."""
    at = world.clock().replace(microsecond=0)
    lead = Lead(
        conversation_id=cid,
        created_at=at - timedelta(minutes=20),
        updated_at=at - timedelta(minutes=20),
        property_id=world.properties[0].domiq_id,
        first_name="Rosa",
        last_name="Whitfield",
        email="rosa.whitfield@example.net",
        phone="+15125550177",
        desired_bedrooms=2,
        max_rent=1900,
        pets=True,
        qualification=Qualification.NEW,
    )
    transcript = [
        TranscriptMessage(at=at - timedelta(minutes=19 - 2 * n), role=role, text=text)
        for n, (role, text) in enumerate(TRANSCRIPT)
    ]
    world.domiq.seed_lead(lead, transcript)
    return lead

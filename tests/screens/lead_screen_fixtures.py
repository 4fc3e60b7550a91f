"""Fixed worlds for the lead detail and conversation screens (snapshots and flows).

The store holds the 30 sample leads (a frozen clock), and around `DETAIL_ID` (Amara
Johnson, in conflict) a link with its last agreed values, an escalated phone conflict,
sync attempts and audit entries. The desk's clients talk to the real simulators
in-process (httpx `ASGITransport`): a ResMan account holding Amara's prospect (its phone
and notes differ from DomIQ's) and a DomIQ holding transcripts. A side can also be made
to hang (loading states) or to answer 503 (error states), and the desk can be left out
altogether (a session with no systems: "not connected").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp
from textual.pilot import Pilot

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import load_settings
from leadsync_tui.models import (
    AttemptStatus,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    LeadSyncLog,
    MessageRole,
    ResolutionStatus,
    SyncDirection,
    SyncType,
    TranscriptMessage,
)
from leadsync_tui.sim.domiq import DomiqState, create_domiq_app
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import Preferences, ResmanState, create_resman_app
from leadsync_tui.store.actions import ConflictsDetected, ConnectionChanged, LogsAppended
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import AuditEntry, Link, NewOutboxItem
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.mapping import lead_to_fields
from leadsync_tui.widgets import LeadsTable
from tests.widgets.sample_leads import NOW, frozen_clock, sample_leads

DETAIL_ID = "conv_004"
"""Amara Johnson: linked, an escalated phone conflict, notes changed in ResMan."""
NEW_ID = "conv_000"
"""Maya Okafor: a `new` lead, never synced, not in ResMan; a chat to qualify."""
FAILED_ID = "conv_003"
"""Noah Patel: failed."""
GONE_ID = "conv_002"
"""Sofia Garcia: linked to a prospect ResMan does not have."""
PROSPECT_ID = "7f3c0004-0000-4000-8000-000000000004"
CONFLICT_ID = "cfl_phone_004"
TOKEN = "domiq-screen-token"
PARTNER, API_KEY, ACCOUNT = "leadsync-screens", "resman-screen-key", 400
RESMAN_PHONE = "+15125550188"
AGREED_PHONE = "+15125550199"
RESMAN_NOTES = "Prefers a ground floor unit; asked about parking."

Side = Literal["sim", "hang", "down"]
HANG_S = 60.0
"""The clients' deadline: a hanging side stays "loading" for a whole test."""
RunBefore = Callable[[Pilot[int]], Awaitable[None]]


@dataclass
class Bench:
    """A store and (unless offline) a desk on in-process simulators."""

    store: LeadSyncStore
    db: Database
    desk: LeadDesk | None
    domiq: DomiqState
    resman: ResmanState
    domiq_side: Switch
    resman_side: Switch

    async def close(self) -> None:
        if self.desk is not None:
            await self.desk.domiq.aclose()
            await self.desk.resman.aclose()
        await self.db.close()

    def app(
        self,
        *,
        read_only: bool = False,
        mask_pii: bool = False,
        theme: str = "textual-dark",
    ) -> LeadSyncApp:
        return make_app(
            load_settings().settings,
            store=self.store,
            desk=self.desk,
            clock=frozen_clock,
            live_timers=False,
            read_only=read_only,
            mask_pii=mask_pii,
            theme=theme,
            actor="dana",
        )


def _conflict() -> LeadSyncConflict:
    return LeadSyncConflict(
        id=CONFLICT_ID,
        conversation_id=DETAIL_ID,
        field="phone",
        domiq_value="+15125550004",
        resman_value=RESMAN_PHONE,
        base_value=AGREED_PHONE,
        conflict_type=ConflictType.VALUE_MISMATCH,
        conflict_severity=ConflictSeverity.HIGH,
        resolution_status=ResolutionStatus.ESCALATED,
        detected_at=NOW - timedelta(minutes=50),
    )


def _logs() -> list[LeadSyncLog]:
    rows = (
        (timedelta(days=2), SyncDirection.DOMIQ_TO_RESMAN, SyncType.CREATE, "success", None),
        (timedelta(hours=5), SyncDirection.DOMIQ_TO_RESMAN, SyncType.UPDATE, "failed", 503),
        (timedelta(hours=3), SyncDirection.DOMIQ_TO_RESMAN, SyncType.UPDATE, "success", None),
        (timedelta(minutes=50), SyncDirection.RESMAN_TO_DOMIQ, SyncType.UPDATE, "conflict", None),
    )
    return [
        LeadSyncLog(
            id=f"log_004_{n}",
            conversation_id=DETAIL_ID,
            sync_direction=direction,
            sync_status=AttemptStatus(status),
            sync_type=kind,
            created_at=NOW - ago,
            error_message=(
                "ResMan POST /MITS/PostLeadManagement4_0: HTTP 503 (Service Unavailable)"
                if error
                else None
            ),
            latency_ms=180.0,
        )
        for n, (ago, direction, kind, status, error) in enumerate(rows)
    ]


def _audit() -> list[AuditEntry]:
    conflict = _conflict()
    unresolved = conflict.model_copy(update={"resolution_status": ResolutionStatus.UNRESOLVED})
    return [
        AuditEntry(
            at=NOW - timedelta(hours=4),
            actor="dana",
            action="push_lead",
            target=DETAIL_ID,
            before={"resman_sync_status": "failed"},
            after={"resman_sync_status": "syncing", "outbox_id": 7},
        ),
        AuditEntry(
            at=NOW - timedelta(minutes=30),
            actor="sam",
            action="escalate_conflict",
            target=CONFLICT_ID,
            before=unresolved.model_dump(mode="json"),
            after=conflict.model_dump(mode="json"),
            reason="Caller gave two numbers; the manager should confirm which.",
        ),
    ]


def _chat(start_minutes: int, lines: list[tuple[MessageRole, str]]) -> list[TranscriptMessage]:
    return [
        TranscriptMessage(at=NOW - timedelta(minutes=start_minutes - 2 * n), role=role, text=text)
        for n, (role, text) in enumerate(lines)
    ]


NEW_LEAD_CHAT = [
    (MessageRole.BOT, "Hi! I'm the Oakridge leasing assistant. How can I help?"),
    (MessageRole.PROSPECT, "Hi, do you have a one bedroom available around mid January?"),
    (
        MessageRole.BOT,
        "We do: two one-bedroom homes open up on January 10 and January 18, from $1,640 a "
        "month. Both have in-unit laundry, and the January 18 home faces the courtyard. "
        "Would you like to book a tour?",
    ),
    (MessageRole.PROSPECT, "Yes please, Saturday morning if possible. I have a cat."),
    (MessageRole.AGENT, "This is Priya from the leasing office: Saturday 10:00 works. Cats ok."),
    (
        MessageRole.PROSPECT,
        "Perfect! Text me at (512) 555-0100 or email maya.okafor@example.com. Thanks, Maya",
    ),
]


def _long_chat() -> list[tuple[MessageRole, str]]:
    roles = (MessageRole.PROSPECT, MessageRole.BOT, MessageRole.AGENT)
    return [
        (roles[n % 3], f"Message {n + 1} about parking, pets and the move-in date.")
        for n in range(30)
    ]


class Switch(httpx.AsyncBaseTransport):
    """The simulator in-process, or (while `side` says so) a hang or a 503 in front of it."""

    def __init__(self, app: ASGIApp, side: Side) -> None:
        self.side = side
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.side == "hang":
            await asyncio.Event().wait()
        if self.side == "down":
            body = b"<html><head><title>Service Unavailable</title></head></html>"
            return httpx.Response(503, content=body, headers={"Content-Type": "text/html"})
        return await self._inner.handle_async_request(request)


async def bench(*, resman: Side = "sim", domiq: Side = "sim", connected: bool = True) -> Bench:
    """The world above; `connected=False` gives the app no desk at all."""
    db = await Database.open(":memory:", now=frozen_clock)
    store = LeadSyncStore(db, now=frozen_clock)
    leads = {lead.conversation_id: lead for lead in sample_leads()}
    await store.merge_leads(list(leads.values()))
    await store.dispatch(ConflictsDetected([_conflict()]))
    await store.dispatch(ConnectionChanged(connected=True, last_ping=NOW - timedelta(seconds=3)))

    resman_state = ResmanState(
        seed=7,
        now=frozen_clock,
        integration_partner_id=PARTNER,
        api_key=API_KEY,
        account_id=ACCOUNT,
    )
    prop = resman_state.add_property("Oakridge Commons", city="Austin", state="TX")
    resman_state.add_source(prop.property_id, "DomIQ Chat")
    resman_state.add_employee(prop.property_id, "Priya Lane", "priya@oakridge.example")
    amara = leads[DETAIL_ID]
    resman_state.seed_prospect(
        prop.property_id,
        amara.first_name,
        amara.last_name,
        email=amara.email or "",
        phones={"Mobile": "(512) 555-0188"},
        preferences=Preferences(comments=RESMAN_NOTES),
        prospect_id=PROSPECT_ID,
        last_modified=NOW - timedelta(hours=1),
    )
    snapshot = {**lead_to_fields(amara), "phone": AGREED_PHONE}
    await db.upsert_link(
        Link(
            conversation_id=DETAIL_ID,
            prospect_id=PROSPECT_ID,
            property_id=prop.property_id,
            snapshot=snapshot,
            agreed_at=NOW - timedelta(hours=3),
        )
    )
    await store.dispatch(LogsAppended(_logs()))
    await db.append_audit(_audit())

    sofia = leads[GONE_ID]  # linked to a prospect ResMan no longer has
    await db.upsert_link(
        Link(
            conversation_id=GONE_ID,
            prospect_id=sofia.resman_prospect_id or "",
            property_id=prop.property_id,
            snapshot=lead_to_fields(sofia),
            agreed_at=NOW - timedelta(days=1),
        )
    )

    domiq_state = DomiqState(seed=7, now=frozen_clock)
    domiq_state.seed_lead(leads[NEW_ID], _chat(40, NEW_LEAD_CHAT))
    domiq_state.seed_lead(amara, _chat(90, _long_chat()))

    faults = FaultSettings(seed=1)
    domiq_side = Switch(create_domiq_app(domiq_state, token=TOKEN, faults=faults), domiq)
    resman_side = Switch(create_resman_app(resman_state, faults=faults), resman)
    desk = None
    if connected:
        domiq_client = DomiqClient(
            "http://domiq.test",
            SecretStr(TOKEN),
            timeout=HANG_S,
            retry=RetryPolicy.no_retries(),
            transport=domiq_side,
        )
        resman_client = ResmanClient(
            "http://resman.test",
            PARTNER,
            SecretStr(API_KEY),
            ACCOUNT,
            timeout=HANG_S,
            retry=RetryPolicy.no_retries(),
            transport=resman_side,
        )
        desk = LeadDesk(load_settings().settings, store, db, domiq_client, resman_client)
    return Bench(store, db, desk, domiq_state, resman_state, domiq_side, resman_side)


async def park_failed_write(bench: Bench, conversation_id: str) -> int:
    """A parked (failed) outbox item for this lead: what `r` sends again."""
    [item_id] = await bench.db.enqueue(
        [
            NewOutboxItem(
                conversation_id=conversation_id,
                direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_type=SyncType.UPDATE,
                dedupe_key=f"test:{conversation_id}",
            )
        ]
    )
    await bench.db.claim_due(NOW, 10)
    await bench.db.fail(item_id, "Transaction Source could not be found", NOW, park=True)
    return item_id


# --------------------------------------------------------------------------- pilots


async def settle(pilot: Pilot[int], *, hanging: Sequence[str] = ()) -> None:
    """Let the screen and its workers finish, but those of the `hanging` groups (reads
    from a side that never answers)."""
    await pilot.pause()
    workers = [worker for worker in pilot.app.workers if worker.group not in hanging]
    if workers:  # (an empty list would mean all of them)
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


def _from_dashboard(cid: str, key: str, keys: Sequence[str], hanging: Sequence[str]) -> RunBefore:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.pause()
        assert pilot.app.screen.query_one(LeadsTable).move_cursor_to(cid)
        await pilot.press(key)
        await settle(pilot, hanging=hanging)  # the screen is in front before `keys`
        if keys:
            await pilot.press(*keys)
            await settle(pilot, hanging=hanging)

    return run_before


def open_lead(cid: str, *keys: str, hanging: Sequence[str] = ()) -> RunBefore:
    """From the dashboard: the cursor to `cid`, `enter`, then `keys`."""
    return _from_dashboard(cid, "enter", keys, hanging)


def open_conversation(cid: str, *keys: str, hanging: Sequence[str] = ()) -> RunBefore:
    """From the dashboard: the cursor to `cid`, `o`, then `keys`."""
    return _from_dashboard(cid, "o", keys, hanging)


RESMAN_READ = ("lead-detail-compare",)
"""The lead detail screen's ResMan read (never ends when ResMan hangs)."""
TRANSCRIPT_READ = ("conversation-transcript",)
"""The conversation screen's transcript read (never ends when DomIQ hangs)."""

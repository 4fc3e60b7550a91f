"""Writes queued by a leadsync from before tagged payloads (schema v4) are delivered by
this one after the upgrade: the migration tags them and the sender sends each as the
write it was."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.mits import ProspectFields, ProspectIds, ProspectName, build_update
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.config import ResmanSettings
from leadsync_tui.models import AttemptStatus, SyncDirection
from leadsync_tui.store.records import Link
from leadsync_tui.sync.mapping import fields_to_domiq_patch, prospect_to_fields
from tests.engine.conftest import read_truth, sim_rig

RENT_TO_DOMIQ = 1837
RENT_TO_RESMAN = 2215


async def test_an_outbox_written_by_the_older_schema_is_sent_after_the_upgrade(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=20) as rig:
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            open_for = {c.conversation_id for c in await engine.db.open_conflicts()}
            links = await engine.db.get_links(list(engine.store.state.leads))
            a, b = [cid for cid in sorted(links) if cid not in open_for][:2]
            version_a = engine.store.state.leads[a].version
            # A ResMan edit the older leadsync had polled and planned for DomIQ (a write
            # to DomIQ is sent only while ResMan still holds its value).
            await _post_rent(rig.settings.resman, links[a], RENT_TO_DOMIQ)
            # A DomIQ edit the older leadsync had taken in and planned for ResMan.
            async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
                edited = await domiq.patch_lead(
                    b,
                    fields_to_domiq_patch({"max_rent": RENT_TO_RESMAN}),
                    engine.store.state.leads[b].version,
                )
            await engine.store.merge_leads([edited])
            version_b = edited.version

        # What the older leadsync left queued: a ResMan change for DomIQ, a DomIQ change
        # for ResMan, a push, a resync and a status report, untagged, at schema v4.
        at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="microseconds")
        d2r, r2d = SyncDirection.DOMIQ_TO_RESMAN.value, SyncDirection.RESMAN_TO_DOMIQ.value
        rows = [
            (a, r2d, "update", {"fields": {"max_rent": RENT_TO_DOMIQ}, "version": version_a}),
            (a, r2d, "status", {"report": True}),
            (b, d2r, "update", {"fields": {"max_rent": RENT_TO_RESMAN}, "version": version_b}),
            (b, d2r, "update", {"version": version_b}),
            (b, d2r, "update", {"version": version_b, "resync": "0123456789ab"}),
        ]
        conn = sqlite3.connect(rig.settings.sync.database)
        with conn:
            conn.executemany(
                "INSERT INTO outbox (conversation_id, direction, sync_type, payload, dedupe_key,"
                " status, attempts, next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                [
                    (cid, direction, kind, json.dumps(payload), f"old:{n}", at, at, at)
                    for n, (cid, direction, kind, payload) in enumerate(rows)
                ],
            )
            conn.execute("DROP TABLE commands")  # schema v6: not there yet at v4
            conn.execute("PRAGMA user_version = 4")
        conn.close()

        async with rig.engine() as engine:
            assert await engine.drain(max_wait=10)
            assert await engine.db.outbox_items() == []
            logs = [*await engine.db.logs_for(a), *await engine.db.logs_for(b)]
            assert AttemptStatus.FAILED not in {log.sync_status for log in logs}
            link_b = await engine.db.get_link(b)

        truth = await read_truth(rig)
        assert truth.leads[a].max_rent == RENT_TO_DOMIQ
        assert link_b is not None
        assert prospect_to_fields(truth.prospects[link_b.prospect_id])["max_rent"] == (
            RENT_TO_RESMAN
        )
        sent = [e.get("outcome") for e in rig.events if e["event"] == "attempt"]
        assert "reported" in sent and "updated" in sent


async def _post_rent(settings: ResmanSettings, link: Link, rent: int) -> None:
    async with ResmanClient.from_settings(settings) as resman:
        found = await resman.search_prospects(link.property_id, prospect_id=link.prospect_id)
        prospect = found[0]
        assert prospect.person_id is not None
        ids = ProspectIds(prospect_id=prospect.prospect_id, person_id=prospect.person_id)
        name = ProspectName(
            first_name=prospect.first_name or "", last_name=prospect.last_name or ""
        )
        xml = build_update(ids, ProspectFields(desired_rent=rent), name=name)
        await resman.post_lead(link.property_id, xml)

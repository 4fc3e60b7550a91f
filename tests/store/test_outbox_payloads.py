"""Outbox payloads are stored with their kind, and a database whose outbox was written
before the kind existed (schema v4) is migrated: each old row reads back as the write it
was, told apart exactly as the sender used to tell it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from leadsync_tui.models import ConflictType, Resolution, SyncDirection
from leadsync_tui.store import db as db_module
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import (
    FieldWrite,
    LinkWrite,
    OutboxPayload,
    ResolutionWrite,
    Resync,
    StatusReport,
)
from leadsync_tui.store.records import NewOutboxItem
from tests.store.conftest import FrozenClock, make_item, make_lead

D2R = SyncDirection.DOMIQ_TO_RESMAN.value
R2D = SyncDirection.RESMAN_TO_DOMIQ.value

OLD_ROWS: list[tuple[str, str, str, dict[str, Any], OutboxPayload]] = [
    # (direction, sync_type, dedupe_key, payload as v4 wrote it, what it reads back as)
    (D2R, "create", "push:c1:v3", {"version": 3}, LinkWrite(version=3)),
    (D2R, "update", "bare:c1", {}, LinkWrite()),
    (
        R2D,
        "update",
        "fields:c1",
        {"fields": {"max_rent": 1837, "phone": None}, "version": 4},
        FieldWrite(fields={"max_rent": 1837, "phone": None}, version=4),
    ),
    (
        D2R,
        "status",
        "fields:c2",
        {"fields": {"qualification": "lost"}, "version": 2},
        FieldWrite(fields={"qualification": "lost"}, version=2),
    ),
    (
        D2R,
        "update",
        "resync:c1",
        {"version": 4, "resync": "ab12"},
        Resync(version=4, resync="ab12"),
    ),
    (
        D2R,
        "update",
        "resync:c1:superseded:9",
        {"version": 5, "resync": "superseded:9"},
        Resync(version=5, resync="superseded:9"),
    ),
    (R2D, "status", "report:c1", {"report": True}, StatusReport()),
    (
        D2R,
        "resolution",
        "resolution:k1:d2r",
        {"conflict_id": "k1", "field": "phone", "value": "+15125550123", "resolution": "merged"},
        ResolutionWrite(
            conflict_id="k1", field="phone", value="+15125550123", resolution=Resolution.MERGED
        ),
    ),
    (
        D2R,
        "resolution",
        "resolution:k2:d2r",
        {
            "conflict_id": "k2",
            "field": "resman_prospect_id",
            "value": ["P-7"],
            "resolution": "resman_wins",
            "conflict_type": "duplicate_candidate",
        },
        ResolutionWrite(
            conflict_id="k2",
            field="resman_prospect_id",
            value=["P-7"],
            resolution=Resolution.RESMAN_WINS,
            conflict_type=ConflictType.DUPLICATE_CANDIDATE,
        ),
    ),
]


async def test_each_kind_of_write_reads_back_as_itself(db_path: Path, clock: FrozenClock) -> None:
    payloads = [expected for *_, expected in OLD_ROWS]
    async with await Database.open(db_path, now=clock) as db:
        await db.upsert_leads([make_lead("c1")])
        await db.enqueue(
            [make_item(f"k{n}", payload=payload) for n, payload in enumerate(payloads)]
        )

    async with await Database.open(db_path, now=clock) as db:
        assert [item.payload for item in await db.outbox_items()] == payloads
    stored = sqlite3.connect(db_path)
    try:
        kinds = [
            json.loads(text)["kind"] for (text,) in stored.execute("SELECT payload FROM outbox")
        ]
    finally:
        stored.close()
    assert (
        kinds
        == ["link", "link", "fields", "fields", "resync", "resync", "report"] + ["resolution"] * 2
    )


async def test_a_v4_outbox_is_migrated_to_tagged_payloads(
    db_path: Path, clock: FrozenClock
) -> None:
    async with await Database.open(db_path, now=clock) as db:
        await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    conn = sqlite3.connect(db_path)
    with conn:  # the outbox as leadsync wrote it at schema v4: payloads without a kind
        conn.executemany(
            "INSERT INTO outbox (conversation_id, direction, sync_type, payload, dedupe_key,"
            " status, attempts, next_attempt_at, created_at, updated_at) VALUES"
            " (?, ?, ?, ?, ?, 'pending', 0, '2026-01-01T00:00:00.000000+00:00',"
            " '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00')",
            [
                (
                    "c2" if key == "fields:c2" else "c1",
                    direction,
                    sync_type,
                    json.dumps(payload),
                    key,
                )
                for direction, sync_type, key, payload, _ in OLD_ROWS
            ],
        )
        conn.execute("DROP TABLE commands")  # schema v6: not there yet at v4
        conn.execute("PRAGMA user_version = 4")
    conn.close()

    async with await Database.open(db_path, now=clock) as db:
        assert await db.schema_version() == len(db_module.MIGRATIONS)
        items = await db.outbox_items()
        assert [(item.dedupe_key, item.payload) for item in items] == [
            (key, expected) for _, _, key, _, expected in OLD_ROWS
        ]
        # the dedupe keys still hold: queueing a migrated write again adds nothing
        again = NewOutboxItem(
            conversation_id="c1",
            direction=SyncDirection.RESMAN_TO_DOMIQ,
            sync_type=items[6].sync_type,
            payload=StatusReport(),
            dedupe_key="report:c1",
        )
        assert await db.enqueue([again]) == [items[6].id]
        assert len(await db.outbox_items()) == len(OLD_ROWS)

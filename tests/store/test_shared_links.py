"""One ResMan prospect, two conversations, only when a person decided it (`shared_by`);
and a database made before that (schema v1) is migrated with its links kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from leadsync_tui.store import db as db_module
from leadsync_tui.store.db import Database, DuplicateLink
from leadsync_tui.store.records import Link
from tests.store.conftest import T0, make_lead


def _link(cid: str, shared_by: str | None = None) -> Link:
    return Link(
        conversation_id=cid,
        prospect_id="P-1",
        property_id="prop",
        snapshot={"email": "maya@example.com"},
        agreed_at=T0,
        shared_by=shared_by,
    )


async def test_a_second_link_to_a_prospect_needs_a_decision(db: Database) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2"), make_lead("c3")])
    await db.upsert_link(_link("c1"))
    with pytest.raises(DuplicateLink):
        await db.upsert_link(_link("c2"))  # no decision: the safety net holds
    await db.upsert_link(_link("c2", shared_by="cf_c2_linked"))
    assert (await db.get_link("c2")) == _link("c2", shared_by="cf_c2_linked")
    # moved forward by a merge that builds a fresh link: still the shared one
    await db.upsert_link(_link("c2").model_copy(update={"snapshot": {"email": "m@x.com"}}))
    moved = await db.get_link("c2")
    assert moved is not None and moved.shared_by == "cf_c2_linked"
    assert moved.snapshot == {"email": "m@x.com"}
    with pytest.raises(DuplicateLink):
        await db.upsert_link(_link("c3"))


async def test_a_v1_database_is_migrated_with_its_links(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "MIGRATIONS", db_module.MIGRATIONS[:1])

    async def no_feed(*_: object) -> None:  # v1 had no change feed
        return None

    monkeypatch.setattr(Database, "_feed", no_feed)
    async with await Database.open(db_path) as old:
        await old.upsert_leads([make_lead("c1"), make_lead("c2")])
    conn = sqlite3.connect(db_path)
    with conn:  # the links as v1 wrote them
        conn.executemany(
            "INSERT INTO links VALUES (?, ?, NULL, 'p', '{}', '2026-01-01T00:00:00Z')",
            [("c1", "P-1"), ("c2", "P-2")],
        )
    conn.close()
    monkeypatch.undo()
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(db_module.MIGRATIONS)
        links = await db.get_links(["c1", "c2"])
        assert {cid: (link.prospect_id, link.shared_by) for cid, link in links.items()} == {
            "c1": ("P-1", None),
            "c2": ("P-2", None),
        }
        with pytest.raises(DuplicateLink):
            await db.upsert_link(links["c2"].model_copy(update={"prospect_id": "P-1"}))
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()

"""A new lead from the form: field checks, the pre-flight and the create, against the real
DomIQ and ResMan simulators (seeded, over loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from leadsync_tui.clients.errors import DuplicateRecord
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.models import Lead, LeadData, LeadSource, SyncStatus, utc_now
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_form import INPUT_LIMITS, check_field, clean_input, read_form
from leadsync_tui.sync.lead_intake import create_lead, new_idempotency_key
from leadsync_tui.sync.lead_preflight import FindingLevel, preflight
from leadsync_tui.wiring import EngineSetup, open_engine
from tests.engine.conftest import Rig, sim_rig

TODAY = date(2026, 11, 2)


# --------------------------------------------------------------------------- as you type


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("email", " Maya.Okafor@Example.com ", "maya.okafor@example.com"),
        ("email", "", None),
        ("phone", "(512) 555-0143", "+15125550143"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("desired_move_in", "2027-01-15", date(2027, 1, 15)),
        ("desired_move_in", "1/15/2027", date(2027, 1, 15)),
        ("desired_move_in", str(TODAY), TODAY),
        ("desired_bedrooms", "0", 0),
        ("desired_bathrooms", "1.5", 1.5),
        ("max_rent", "$1,850", 1850),
        ("first_name", "  Maya \x1b  ", "Maya"),
    ],
)
def test_a_good_value_is_read_into_what_domiq_takes(field: str, text: str, value: object) -> None:
    checked = check_field(field, text, TODAY)
    assert checked.ok and checked.value == value


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        ("email", "maya@", "write it like name@example.com"),
        ("phone", "555-0143", "7 digits"),
        ("phone", "512 555 0143 ext 4", "no extensions"),
        ("phone", "0000000000", "area code"),
        ("desired_move_in", "2026-11-01", "in the past: pick today or later"),
        ("desired_move_in", "2031-01-01", "check the year"),
        ("desired_move_in", "next week", "YYYY-MM-DD"),
        ("desired_bedrooms", "2.5", "whole number from 0 (studio) to 10"),
        ("desired_bedrooms", "11", "0 (studio) to 10"),
        ("desired_bathrooms", "1.25", "whole or half baths"),
        ("max_rent", "-5", "cannot be negative"),
        ("max_rent", "lots", "whole dollars a month"),
        ("max_rent", "250000", "check the number"),
        ("first_name", "   ", "First name is required"),
        ("last_name", "x" * 51, "ResMan keeps 50 characters"),
    ],
)
def test_a_bad_value_gets_the_problem_and_the_fix(field: str, text: str, says: str) -> None:
    checked = check_field(field, text, TODAY)
    assert not checked.ok
    assert says in (checked.problem or "")


def test_a_pasted_10kb_string_with_control_characters_is_cut_and_cleaned() -> None:
    pasted = ("Maya\x1b[31m\x00\u202e\r\n" * 1500)[:10_000]
    cleaned = clean_input(pasted, INPUT_LIMITS["notes"])
    assert len(cleaned) <= INPUT_LIMITS["notes"]
    assert not any(ord(c) < 32 or c == "\u202e" for c in cleaned)


def test_the_form_reads_into_lead_data_or_every_problem_by_field() -> None:
    form = {
        "property_id": "prop_oakridge",
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya@example.com",
        "phone": "512-555-0143",
        "desired_move_in": "2027-01-15",
        "desired_bedrooms": "2",
        "pets": "yes",
    }
    data, problems = read_form(form, TODAY)
    assert problems == {}
    assert data == LeadData(
        property_id="prop_oakridge",
        first_name="Maya",
        last_name="Okafor",
        email="maya@example.com",
        phone="+15125550143",
        desired_move_in=date(2027, 1, 15),
        desired_bedrooms=2,
        pets=True,
        source=LeadSource.ADMIN,
    )
    data, problems = read_form({"email": "nope", "first_name": "Maya"}, TODAY)
    assert data is None
    assert set(problems) == {"property_id", "last_name", "email"}


# --------------------------------------------------------------------------- against the sims


@asynccontextmanager
async def desk_on_sims(tmp_path: Path) -> AsyncIterator[tuple[Rig, EngineSetup]]:
    async with (
        sim_rig(tmp_path, leads=40) as rig,
        open_engine(rig.settings, watcher=False) as setup,
    ):
        await setup.engine.reconcile_once()  # the store holds DomIQ's leads
        yield rig, setup


def new_person(rig: Rig, **changes: object) -> LeadData:
    values: dict[str, object] = {
        "property_id": rig.sims.world.properties[0].domiq_id,
        "first_name": "Wren",
        "last_name": "Halvorsen",
        "email": "wren.halvorsen@example.net",
        "phone": "+17375550187",
        "desired_move_in": utc_now().date() + timedelta(days=45),
        "desired_bedrooms": 2,
        "max_rent": 1900,
    }
    values.update(changes)
    return LeadData.model_validate(values)


def an_existing_lead(desk: LeadDesk) -> Lead:
    return next(
        lead
        for lead in sorted(desk.store.state.leads.values(), key=lambda x: x.conversation_id)
        if lead.email and lead.resman_prospect_id
    )


async def domiq_lead_count(desk: LeadDesk) -> int:
    return len([lead async for lead in desk.domiq.iter_leads(page_size=500)])


async def test_preflight_passes_a_new_person_with_nothing_to_say(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        assert await preflight(setup.desk, new_person(rig)) == []


async def test_preflight_blocks_placeholders_and_an_unmapped_property(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        data = new_person(
            rig, property_id="prop_nowhere", email="none@none.com", phone="+15125555555"
        )
        findings = await preflight(setup.desk, data)
        by_field = {f.field: f for f in findings}
        assert all(f.level is FindingLevel.ERROR for f in findings)
        assert "[resman.properties.prop_nowhere]" in by_field["property_id"].message
        assert "Leave the email empty" in by_field["email"].message
        assert "Leave the phone empty" in by_field["phone"].message


async def test_preflight_warns_of_a_test_name_and_no_way_to_reach_them(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        findings = await preflight(
            setup.desk, new_person(rig, first_name="asdf", email=None, phone=None)
        )
        assert {(f.level, f.kind, f.field) for f in findings} == {
            (FindingLevel.WARNING, "placeholder", "first_name"),
            (FindingLevel.WARNING, "contact", "email"),
        }


async def test_preflight_finds_the_person_in_domiq_and_in_resman(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        known = an_existing_lead(setup.desk)
        assert known.email is not None
        data = new_person(rig, property_id=known.property_id, email=known.email.upper())
        findings = await preflight(setup.desk, data)
        assert all(f.level is FindingLevel.WARNING and f.kind == "duplicate" for f in findings)
        messages = " ".join(f.message for f in findings)
        assert f"conversation {known.conversation_id}" in messages
        assert f"(prospect {known.resman_prospect_id})" in messages


async def test_preflight_says_when_resman_could_not_be_searched(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        rig.sims.resman_faults.update({"error_rate": 1.0})
        findings = await preflight(setup.desk, new_person(rig))
        assert [(f.level, f.kind) for f in findings] == [(FindingLevel.WARNING, "unchecked")]
        assert "Could not check ResMan" in findings[0].message


async def test_a_created_lead_is_in_the_store_audited_and_reaches_resman(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        desk, data = setup.desk, new_person(rig)
        lead = await create_lead(desk, data, new_idempotency_key(), "dana")
        assert lead.conversation_id in desk.store.state.leads
        assert lead.resman_sync_status is SyncStatus.SYNCING
        [entry] = [
            e
            for e in await desk.db.audit_entries(target=lead.conversation_id)
            if e.action == "create"
        ]
        assert (entry.actor, entry.before) == ("dana", None)
        assert entry.after == data.model_dump(mode="json")

        result = await setup.engine.run_once(max_wait=10)
        assert result.failed == 0
        held = desk.store.state.leads[lead.conversation_id]
        assert held.resman_sync_status is SyncStatus.SYNCED
        async with ResmanClient.from_settings(rig.settings.resman) as resman:
            target = desk.mapping.property_id(data.property_id)
            [prospect] = await resman.search_prospects(target, email=data.email)
        assert prospect.prospect_id == held.resman_prospect_id
        assert (prospect.first_name, prospect.last_name) == ("Wren", "Halvorsen")


async def test_a_retry_with_the_same_key_never_makes_a_second_lead(tmp_path: Path) -> None:
    async with desk_on_sims(tmp_path) as (rig, setup):
        desk, data, key = setup.desk, new_person(rig), new_idempotency_key()
        before = await domiq_lead_count(desk)
        first = await create_lead(desk, data, key, "dana")
        again = await create_lead(desk, data, key, "dana")
        assert again.conversation_id == first.conversation_id
        assert await domiq_lead_count(desk) == before + 1
        entries = await desk.db.audit_entries(target=first.conversation_id)
        assert [e.action for e in entries].count("create") == 1
        # the same key with other values: DomIQ says the first submit made a lead
        with pytest.raises(DuplicateRecord):
            await create_lead(desk, new_person(rig, first_name="Wrenna"), key, "dana")

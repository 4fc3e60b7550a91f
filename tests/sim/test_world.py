"""The seeded demo world: deterministic, in the documented proportions, and usable as is."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import Qualification, SyncStatus
from leadsync_tui.sim.domiq.validation import PHONE_RE
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.people import PROPERTIES
from leadsync_tui.sim.resman import create_resman_app
from leadsync_tui.sim.world import build_world, dump_world
from leadsync_tui.sim.world_records import (
    CONFLICT_FIELDS,
    DOMIQ_AGENT_NAME,
    DOMIQ_SOURCE_NAME,
    LOST_REASON_NAMES,
    MAX_LEADS,
    World,
)
from leadsync_tui.sim.world_values import lead_values, prospect_values
from tests.sim.resman_fixtures import customer_xml, event_xml, lead_doc, ok, xml_of

NOW = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(7, 200, NOW)


def linked_prospect_values(world: World, cid: str) -> tuple[dict[str, object], dict[str, object]]:
    lead = world.domiq.get_lead(cid)
    assert lead.resman_prospect_id is not None
    prospect = world.resman.get_prospect(lead.resman_prospect_id)
    assert prospect is not None
    return lead_values(lead), prospect_values(prospect)


def test_same_seed_and_now_give_byte_identical_worlds() -> None:
    assert dump_world(build_world(7, 60, NOW)) == dump_world(build_world(7, 60, NOW))


def test_a_different_seed_gives_a_different_world() -> None:
    assert dump_world(build_world(7, 60, NOW)) != dump_world(build_world(8, 60, NOW))


def test_the_live_clock_does_not_leak_into_the_seeded_world() -> None:
    late = datetime(2031, 1, 1, tzinfo=UTC)
    built = build_world(7, 60, NOW, clock=lambda: late)
    assert dump_world(built) == dump_world(build_world(7, 60, NOW))
    assert built.clock() == late


def test_proportions_hold(world: World) -> None:
    leads = world.domiq.all_leads()
    by_qualification = Counter(lead.qualification for lead in leads)
    assert by_qualification[Qualification.QUALIFIED] == 140
    assert by_qualification[Qualification.DISQUALIFIED] == 30
    assert len(world.domiq.pending_conversations()) == 30
    assert 0 not in Counter(lead.property_id for lead in leads).values()
    linked = [lead for lead in leads if lead.resman_prospect_id]
    assert {lead.conversation_id for lead in linked} == set(world.linked_pairs)
    assert all(lead.qualification is Qualification.QUALIFIED for lead in linked)
    assert all(lead.resman_sync_status is SyncStatus.SYNCED for lead in linked)
    domiq_only = [
        lead
        for lead in leads
        if lead.qualification is Qualification.QUALIFIED and not lead.resman_prospect_id
    ]
    assert 0.35 <= len(domiq_only) / 140 <= 0.45
    in_agreement = set(world.linked_pairs) - {c.conversation_id for c in world.changes}
    assert 0.40 <= len(in_agreement) / 140 <= 0.50
    assert len(world.conflicting_pairs) == 6
    assert len(world.walk_ins) == 30
    assert len(world.resman.prospects) == len(world.linked_pairs) + len(world.walk_ins)


@pytest.mark.parametrize("leads", [0, 1, 5, 19, 20, 21])
def test_small_worlds_build_and_get_three_conflicts_from_20_leads(leads: int) -> None:
    built = build_world(3, leads, NOW)
    conversations = built.domiq.lead_count + len(built.domiq.pending_conversations())
    assert conversations == leads
    assert len(built.conflicting_pairs) >= (3 if leads >= 20 else 0)


def test_everything_is_dated_before_now(world: World) -> None:
    for lead in world.domiq.all_leads():
        assert lead.created_at <= lead.updated_at < NOW
        assert all(m.at < NOW for m in world.domiq.transcript(lead.conversation_id))
        if lead.last_sync_at is not None:
            assert lead.created_at < lead.last_sync_at < NOW
    for cid in world.domiq.pending_conversations():
        assert all(m.at < NOW for m in world.domiq.transcript(cid))
    for prospect in world.resman.prospects:
        assert prospect.created_at <= prospect.last_modified < NOW
        assert prospect.main.last_modified < NOW


def test_people_look_real_and_do_not_collide(world: World) -> None:
    leads = world.domiq.all_leads()
    emails = [lead.email for lead in leads if lead.email]
    assert len(emails) == len(set(emails)) > 0.8 * len(leads)
    assert all(PHONE_RE.match(lead.phone) for lead in leads if lead.phone)
    assert all(lead.max_rent is None or 900 <= lead.max_rent <= 3_600 for lead in leads)
    assert all(world.domiq.transcript(lead.conversation_id) for lead in leads)
    names = Counter((lead.property_id, lead.first_name, lead.last_name) for lead in leads)
    assert max(names.values()) == 1


def test_linked_pairs_agree_except_where_a_change_is_documented(world: World) -> None:
    assert set(world.conflicting_pairs) | set(world.pending_pairs) < set(world.linked_pairs)
    for cid in world.linked_pairs:
        ours, theirs = linked_prospect_values(world, cid)
        differing = {name for name in SYNCED_FIELDS if ours[name] != theirs[name]}
        change = world.change_for(cid)
        if change is None:
            assert differing == set(), cid
        else:
            assert differing == {change.field}, cid
            assert (ours[change.field], theirs[change.field]) == (
                change.domiq_value,
                change.resman_value,
            )


def test_conflicting_pairs_changed_the_same_field_on_both_sides_after_the_sync(
    world: World,
) -> None:
    fields = []
    for cid in world.conflicting_pairs:
        change = world.change_for(cid)
        assert change is not None and change.side == "both"
        values = {change.agreed, change.domiq_value, change.resman_value}
        assert len(values) == 3 and None not in values
        lead = world.domiq.get_lead(cid)
        prospect = world.resman.get_prospect(change.prospect_id)
        assert prospect is not None and lead.last_sync_at is not None
        assert lead.updated_at > lead.last_sync_at
        resman_stamp = max(prospect.last_modified, prospect.main.last_modified)
        assert resman_stamp > lead.last_sync_at
        fields.append(change.field)
    assert set(fields) == set(CONFLICT_FIELDS)


def test_pending_pairs_changed_on_one_side_only_after_the_sync(world: World) -> None:
    assert world.pending_pairs
    for cid in world.pending_pairs:
        change = world.change_for(cid)
        assert change is not None and change.side in ("domiq", "resman")
        lead = world.domiq.get_lead(cid)
        prospect = world.resman.get_prospect(change.prospect_id)
        assert prospect is not None and lead.last_sync_at is not None
        resman_stamp = max(prospect.last_modified, prospect.main.last_modified)
        assert (lead.updated_at > lead.last_sync_at) == (change.side == "domiq")
        assert (resman_stamp > lead.last_sync_at) == (change.side == "resman")


def test_pairs_in_agreement_have_nothing_newer_than_the_sync(world: World) -> None:
    changed = {c.conversation_id for c in world.changes}
    for cid in set(world.linked_pairs) - changed:
        lead = world.domiq.get_lead(cid)
        prospect = world.resman.get_prospect(lead.resman_prospect_id or "")
        assert prospect is not None and lead.last_sync_at is not None
        assert lead.updated_at <= lead.last_sync_at
        assert max(prospect.last_modified, prospect.main.last_modified) <= lead.last_sync_at


def test_resman_reference_data(world: World) -> None:
    resman = world.resman
    assert [p.name for p in resman.properties] == [info.name for info in PROPERTIES]
    assert [r.name for r in resman.lost_reasons] == list(LOST_REASON_NAMES)
    assert {link.domiq_id for link in world.properties} == {info.domiq_id for info in PROPERTIES}
    for link in world.properties:
        sources = resman.sources(link.property_id)
        employees = resman.employees(link.property_id)
        assert 2 <= len(sources) <= 3 and len(employees) == 2
        assert resman.source_for(link.property_id, link.source_id) is not None
        assert {s.name for s in sources if s.source_id == link.source_id} == {DOMIQ_SOURCE_NAME}
        agent = resman.employee_for(link.property_id, link.agent_id)
        assert agent is not None and agent.name == DOMIQ_AGENT_NAME


def test_walk_ins_are_resman_only_and_some_are_lost(world: World) -> None:
    linked_prospects = {world.domiq.get_lead(cid).resman_prospect_id for cid in world.linked_pairs}
    assert not linked_prospects & set(world.walk_ins)
    walk_ins = [world.resman.get_prospect(pid) for pid in world.walk_ins]
    assert any(p is not None and p.lost_date is not None for p in walk_ins)
    assert all(p is not None and p.source_id != world.properties[0].source_id for p in walk_ins)


async def test_resman_accepts_a_create_with_each_property_default_source_and_agent() -> None:
    world = build_world(7, 20, NOW)
    app = create_resman_app(world.resman, faults=FaultSettings(seed=1))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://resman.test") as http:
        for n, link in enumerate(world.properties):
            document = lead_doc(
                [customer_xml("Test", f"Person{n}", email=f"test{n}@example.com", phones=())],
                [
                    event_xml(
                        "Other", agent_id=link.agent_id, source=link.source_id, first_contact=True
                    )
                ],
            )
            answer = await http.post(
                "/MITS/PostLeadManagement4_0",
                data={
                    "IntegrationPartnerID": world.partner_id,
                    "ApiKey": world.api_key,
                    "AccountID": str(world.account_id),
                    "PropertyID": link.property_id,
                    "Xml": document,
                },
            )
            ok(xml_of(answer))


async def test_leadsync_mapping_reads_the_pairs_as_seeded(world: World) -> None:
    """Cross-check with the sync's own reading of ResMan's XML (when it is present)."""
    mits = pytest.importorskip("leadsync_tui.clients.mits")
    mapping = pytest.importorskip("leadsync_tui.sync.mapping")
    app = create_resman_app(world.resman, faults=FaultSettings(seed=1))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://resman.test") as http:
        for link in world.properties:
            answer = await http.post(
                "/MITS/SearchProspects",
                data={
                    "IntegrationPartnerID": world.partner_id,
                    "ApiKey": world.api_key,
                    "AccountID": str(world.account_id),
                    "PropertyID": link.property_id,
                },
            )
            read = {p.prospect_id: p for p in mits.parse_search_response(answer.text)}
            for cid in world.linked_pairs:
                lead = world.domiq.get_lead(cid)
                if lead.property_id != link.domiq_id:
                    continue
                ours = mapping.lead_to_fields(lead)
                theirs = mapping.prospect_to_fields(read[lead.resman_prospect_id])
                change = world.change_for(cid)
                expected = {change.field} if change else set()
                assert {name for name in ours if ours[name] != theirs[name]} == expected, cid


def test_a_world_past_the_maximum_is_refused_before_anything_is_built() -> None:
    with pytest.raises(ValueError, match=f"between 0 and {MAX_LEADS}"):
        build_world(7, MAX_LEADS + 1, datetime(2026, 1, 1, tzinfo=UTC))

"""`prospect_match.decide` over every mix of contact details a search can bring back:
the answer is always create, adopt or ask (never a park), a shared phone or name alone
never blocks a create, and nothing is created when the same person is already held."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.clients.mits import Prospect, ProspectEvent, ProspectPhone
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import ConflictType
from leadsync_tui.sync.mapping import normalise_field
from leadsync_tui.sync.merge import (
    DUPLICATE_FIELD,
    LINKED_DUPLICATE_FIELD,
    candidate_ids,
    candidate_owners,
)
from leadsync_tui.sync.plan import MARKER
from leadsync_tui.sync.prospect_match import Adopt, Ask, Create, decide, judge

FAST = settings(max_examples=300, deadline=None, derandomize=True)
CID = "cnv_lead"

FIRSTS = st.sampled_from(["Maya", "maya", "Ben", None])
LASTS = st.sampled_from(["Okafor", "OKAFOR", "Kim", None])
EMAILS = st.sampled_from(["maya@example.com", "MAYA@example.com", "ben@example.com", None])
PHONES = st.sampled_from(["+15125550101", "(512) 555-0101", "512.555.0199", None])
OWNERS = st.sampled_from([None, None, "cnv_other", "cnv_third"])


@dataclass(frozen=True)
class Person:
    first: str | None
    last: str | None
    email: str | None
    phone: str | None


PEOPLE = st.builds(Person, FIRSTS, LASTS, EMAILS, PHONES)


def _fields(person: Person) -> dict[str, object]:
    raw = {
        "first_name": person.first,
        "last_name": person.last,
        "email": person.email,
        "phone": person.phone,
    }
    return {name: normalise_field(name, raw.get(name)) for name in SYNCED_FIELDS}


def _prospect(n: int, person: Person, extra_phone: str | None, marker: str | None) -> Prospect:
    phones = [p for p in (person.phone, extra_phone) if p]
    return Prospect(
        prospect_id=f"P-{n}",
        first_name=person.first,
        last_name=person.last,
        email=person.email,
        phones=tuple(
            ProspectPhone(number=number, phone_type=kind)
            for number, kind in zip(phones, ("Mobile", "Home"), strict=False)
        ),
        events=(ProspectEvent(comments=f"{MARKER} {marker}"),) if marker else (),
    )


def _digits(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[1:] if len(digits) == 11 else digits


def _same_person(lead: Person, card: Person, extra_phone: str | None) -> bool:
    """The rule, restated from the raw values: same email, or same phone and last name."""
    email = bool(lead.email and card.email and lead.email.lower() == card.email.lower())
    phones = {_digits(p) for p in (card.phone, extra_phone) if p}
    phone = bool(lead.phone) and _digits(lead.phone) in phones
    last = bool(lead.last and card.last and lead.last.lower() == card.last.lower())
    return email or (phone and last)


FOUND = st.lists(
    st.tuples(PEOPLE, st.sampled_from([None, "+15125550101", "+15125550177"]), OWNERS),
    max_size=3,
)


@FAST
@given(lead=PEOPLE, found=FOUND, ours_at=st.one_of(st.none(), st.integers(0, 2)))
def test_every_mix_of_contact_details_is_created_adopted_or_asked(
    lead: Person,
    found: list[tuple[Person, str | None, str | None]],
    ours_at: int | None,
) -> None:
    ours = _fields(lead)
    candidates = []
    for n, (card, extra, owner) in enumerate(found):
        mine = ours_at == n
        marker = CID if mine else None
        held = None if mine else owner
        candidates.append(judge(ours, _prospect(n, card, extra, marker), held))
    decision = decide(CID, candidates)

    assert isinstance(decision, Create | Adopt | Ask)  # never a park
    strong = [
        c
        for c, (card, extra, _) in zip(candidates, found, strict=True)
        if _same_person(lead, card, extra)
    ]
    assert [c.strong for c in candidates] == [c in strong for c in candidates]
    made = [c for c in candidates if ours_at is not None and c.prospect_id == f"P-{ours_at}"]
    free = [c for c in strong if c.owner is None]
    if made:
        assert isinstance(decision, Adopt) and decision.candidate is made[0]
    elif not strong:  # a shared phone or a namesake alone never blocks
        assert isinstance(decision, Create)
        assert list(decision.possible) == candidates
        assert (decision.note is None) == (not candidates)
    elif len(free) == 1:
        assert isinstance(decision, Adopt) and decision.candidate is free[0]
    else:  # the same person, held elsewhere or ambiguous: a person decides
        assert isinstance(decision, Ask)
        assert decision.linked == (not free)
        conflict = decision.conflict(ours)
        assert conflict.type is ConflictType.DUPLICATE_CANDIDATE
        assert conflict.field == (LINKED_DUPLICATE_FIELD if decision.linked else DUPLICATE_FIELD)
        asked = free or strong
        assert candidate_ids(conflict.resman) == [c.prospect_id for c in asked]
        if decision.linked:
            holders = {c.prospect_id: c.owner for c in asked}
            assert candidate_owners(conflict.resman) == holders
        assert "merge the conversations" not in decision.message


def test_a_note_names_ids_and_rules_never_the_person() -> None:
    lead = Person("Ben", "Kim", "ben@example.com", "+15125550101")
    mother = Person("Ana", "Lopez", "ana@example.com", "(512) 555-0101")
    decision = decide(CID, [judge(_fields(lead), _prospect(1, mother, None, None), "cnv_ana")])
    assert isinstance(decision, Create)
    note = decision.note or ""
    assert "P-1 (same phone, held by conversation cnv_ana)" in note  # last names differ
    assert not any(value in note for value in ("Ana", "Lopez", "ana@", "555"))

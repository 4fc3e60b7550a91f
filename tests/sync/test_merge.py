"""Three-way merge: one-sided changes propagate, two-sided ones become conflicts, and the
result is idempotent, symmetric and never loses a one-sided change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.config import SYNCED_FIELDS, PolicySettings
from leadsync_tui.models import (
    ConflictSeverity,
    ConflictType,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.sync.mapping import InvalidValue
from leadsync_tui.sync.merge import FieldConflict, MergeResult, duplicate_conflict, merge

FAST = settings(max_examples=200, deadline=None, derandomize=True)
MANUAL = PolicySettings()

BASE: dict[str, Any] = {
    "first_name": "Maya",
    "last_name": "Okafor",
    "email": "maya@example.com",
    "phone": "+15125550143",
    "desired_move_in": "2027-01-15",
    "desired_bedrooms": 2,
    "desired_bathrooms": 1.5,
    "max_rent": 1850,
    "pets": True,
    "notes": "Ground floor",
    "qualification": "active",
}


def changed(**values: Any) -> dict[str, Any]:
    return {**BASE, **values}


# --------------------------------------------------------------------------- examples


def test_nothing_changed_nothing_to_do() -> None:
    result = merge(BASE, BASE, BASE, MANUAL)
    assert result == MergeResult(new_snapshot=BASE)
    assert not result.has_writes


def test_one_side_changed_is_propagated() -> None:
    result = merge(BASE, changed(email="new@example.com"), changed(max_rent=1900), MANUAL)
    assert result.to_resman == {"email": "new@example.com"}
    assert result.to_domiq == {"max_rent": 1900}
    assert result.conflicts == []
    assert result.new_snapshot == changed(email="new@example.com", max_rent=1900)


def test_one_side_cleared_is_propagated_as_none() -> None:
    result = merge(BASE, changed(notes=None), BASE, MANUAL)
    assert result.to_resman == {"notes": None}
    assert result.new_snapshot["notes"] is None


def test_both_changed_the_same_way_is_agreed() -> None:
    result = merge(BASE, changed(phone="+15125550199"), changed(phone="+15125550199"), MANUAL)
    assert not result.has_writes and result.conflicts == []
    assert result.new_snapshot["phone"] == "+15125550199"


def test_both_changed_differently_is_a_conflict_left_for_a_person() -> None:
    result = merge(BASE, changed(phone="+15125550111"), changed(phone="+15125550122"), MANUAL)
    assert not result.has_writes
    [conflict] = result.conflicts
    assert conflict == FieldConflict(
        field="phone",
        domiq="+15125550111",
        resman="+15125550122",
        base="+15125550143",
        type=ConflictType.VALUE_MISMATCH,
        severity=ConflictSeverity.HIGH,
    )
    assert conflict.is_open and result.open_conflicts == [conflict]
    assert result.new_snapshot["phone"] == BASE["phone"]  # keeps the agreed value


@pytest.mark.parametrize(
    ("policy", "to_resman", "to_domiq", "winner"),
    [
        (Resolution.DOMIQ_WINS, {"max_rent": 2000}, {}, 2000),
        (Resolution.RESMAN_WINS, {}, {"max_rent": 1700}, 1700),
    ],
)
def test_policy_auto_resolves(
    policy: Resolution, to_resman: dict[str, Any], to_domiq: dict[str, Any], winner: int
) -> None:
    settings_ = PolicySettings(fields={"max_rent": policy})
    result = merge(BASE, changed(max_rent=2000), changed(max_rent=1700), settings_)
    assert result.to_resman == to_resman and result.to_domiq == to_domiq
    [conflict] = result.conflicts
    assert conflict.auto_resolution is policy and not conflict.is_open
    assert conflict.severity is ConflictSeverity.MEDIUM
    assert result.auto_resolved == [conflict] and result.open_conflicts == []
    assert result.new_snapshot["max_rent"] == winner
    record = conflict.to_lead_sync_conflict(id="c1", conversation_id="cnv_1")
    assert record.resolution_status is ResolutionStatus.RESOLVED
    assert record.resolution is not None
    assert record.resolution.resolution is policy and record.resolution.final_value == winner
    assert not record.is_open


def test_policy_default_applies_to_unnamed_fields() -> None:
    policy = PolicySettings(
        default=Resolution.RESMAN_WINS, fields={"notes": Resolution.MANUAL_REVIEW}
    )
    result = merge(BASE, changed(notes="a", pets=None), changed(notes="b", pets=None), policy)
    assert result.to_domiq == {}
    assert [(c.field, c.auto_resolution) for c in result.conflicts] == [("notes", None)]
    assert result.conflicts[0].severity is ConflictSeverity.LOW
    result = merge(BASE, changed(last_name="A"), changed(last_name="B"), policy)
    assert result.to_domiq == {"last_name": "B"}


def test_manual_review_record_is_open() -> None:
    result = merge(BASE, changed(notes="a"), changed(notes="b"), MANUAL)
    when = datetime(2026, 11, 24, tzinfo=UTC)
    record = result.conflicts[0].to_lead_sync_conflict(
        id="c1", conversation_id="cnv_1", detected_at=when
    )
    assert record.is_open and record.resolution_status is ResolutionStatus.MANUAL_REVIEW
    assert (record.domiq_value, record.resman_value, record.base_value) == ("a", "b", BASE["notes"])
    assert record.detected_at == when and record.resolution is None


def test_deleted_on_one_side() -> None:
    result = merge(BASE, changed(email=None), changed(email="other@example.com"), MANUAL)
    [conflict] = result.conflicts
    assert conflict.type is ConflictType.DELETED_ON_ONE_SIDE
    assert (conflict.domiq, conflict.resman) == (None, "other@example.com")


def test_qualification_changes_propagate_and_conflict_high() -> None:
    result = merge(BASE, changed(qualification="lost"), BASE, MANUAL)
    assert result.to_resman == {"qualification": "lost"}
    lost = changed(qualification="lost")
    result = merge(lost, changed(qualification="active"), BASE, MANUAL)
    assert result.conflicts == [] and result.new_snapshot["qualification"] == "active"
    result = merge(None, lost, BASE, MANUAL)
    [conflict] = result.conflicts
    assert conflict.field == "qualification" and conflict.severity is ConflictSeverity.HIGH


def test_invalid_values_are_format_conflicts_never_auto_resolved() -> None:
    bad = InvalidValue(raw="555-0143", reason="'555-0143' has 7 digits")
    policy = PolicySettings(default=Resolution.DOMIQ_WINS)
    result = merge(BASE, BASE, changed(phone=bad), policy)
    assert not result.has_writes
    [conflict] = result.conflicts
    assert conflict.type is ConflictType.FORMAT_INVALID and conflict.is_open
    assert conflict.resman == "555-0143" and conflict.detail == bad.reason
    assert conflict.severity is ConflictSeverity.HIGH
    assert result.new_snapshot["phone"] == BASE["phone"]


def test_fields_with_an_open_conflict_are_left_alone() -> None:
    result = merge(
        BASE,
        changed(phone="+15125550111", email="d@example.com"),
        changed(phone="+15125550122"),
        MANUAL,
        open_conflicts={"phone", "email"},
    )
    assert result == MergeResult(new_snapshot=BASE)


def test_a_field_missing_from_one_side_is_not_a_deletion() -> None:
    partial = {k: v for k, v in BASE.items() if k != "notes"}
    result = merge(BASE, partial, changed(notes="new"), MANUAL)
    assert not result.has_writes and result.new_snapshot == BASE


def test_first_link_fills_empty_sides_and_flags_differences() -> None:
    domiq = changed(notes=None, pets=None, max_rent=1800)
    resman = changed(email=None, notes="From ResMan", max_rent=1900)
    result = merge(None, domiq, resman, MANUAL)
    assert result.to_resman == {"email": BASE["email"]}
    assert result.to_domiq == {"notes": "From ResMan", "pets": True}
    [conflict] = result.conflicts
    assert conflict.field == "max_rent" and conflict.type is ConflictType.VALUE_MISMATCH
    assert conflict.base is None
    assert "max_rent" not in result.new_snapshot  # never agreed
    assert result.new_snapshot["email"] == BASE["email"]


def test_a_field_new_to_the_snapshot_is_merged_like_a_first_link() -> None:
    base = {k: v for k, v in BASE.items() if k != "pets"}
    result = merge(base, changed(pets=None), BASE, MANUAL)
    assert result.to_domiq == {"pets": True}


def test_merge_is_pure_and_deterministic() -> None:
    args = (BASE, changed(phone="+15125550111"), changed(phone="+15125550122", notes="x"))
    assert merge(*args, MANUAL) == merge(*args, MANUAL)
    assert [
        c.field for c in merge(None, changed(notes="a"), changed(notes="b"), MANUAL).conflicts
    ] == ["notes"]


def test_duplicate_candidate() -> None:
    conflict = duplicate_conflict(("email", "name"), BASE, changed(first_name="MAYA"))
    assert conflict.type is ConflictType.DUPLICATE_CANDIDATE
    assert conflict.severity is ConflictSeverity.HIGH
    assert conflict.field == "email" and conflict.detail == "matches on email, name"
    by_name = duplicate_conflict(("name",), BASE, changed(first_name="MAYA"))
    assert by_name.field == "first_name"
    assert (by_name.domiq, by_name.resman) == ("Maya Okafor", "MAYA Okafor")


# --------------------------------------------------------------------------- properties

POOLS: dict[str, list[Any]] = {
    "first_name": ["Maya", "Mia", "Jo"],
    "last_name": ["Okafor", "Smith"],
    "email": ["a@x.com", "b@x.com", None],
    "phone": ["+15125550143", "+15125550199", None],
    "desired_move_in": ["2027-01-15", "2027-02-01", None],
    "desired_bedrooms": [0, 1, 2, None],
    "desired_bathrooms": [1.0, 1.5, None],
    "max_rent": [1500, 1850, None],
    "pets": [True, None],
    "notes": ["a", "b", None],
    "qualification": ["active", "lost"],
}
BAD = InvalidValue(raw="???", reason="unreadable")


def _value(name: str, *, allow_invalid: bool) -> st.SearchStrategy[Any]:
    # About one value in twenty fails normalisation, so the other cases dominate.
    return st.sampled_from(POOLS[name] * 6 + [BAD] if allow_invalid else POOLS[name])


def _record(*, allow_invalid: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: _value(name, allow_invalid=allow_invalid) for name in SYNCED_FIELDS}
    )


SNAPSHOT = st.none() | st.fixed_dictionaries(
    {}, optional={name: _value(name, allow_invalid=False) for name in SYNCED_FIELDS}
)
RESOLUTIONS = st.sampled_from(
    [Resolution.DOMIQ_WINS, Resolution.RESMAN_WINS, Resolution.MANUAL_REVIEW]
)
POLICY = st.builds(
    PolicySettings,
    default=RESOLUTIONS,
    fields=st.dictionaries(st.sampled_from(SYNCED_FIELDS), RESOLUTIONS, max_size=4),
)
OPEN = st.frozensets(st.sampled_from(SYNCED_FIELDS), max_size=3)


def _swap(resolution: Resolution | None) -> Resolution | None:
    if resolution is Resolution.DOMIQ_WINS:
        return Resolution.RESMAN_WINS
    if resolution is Resolution.RESMAN_WINS:
        return Resolution.DOMIQ_WINS
    return resolution


def _mirror(policy: PolicySettings) -> PolicySettings:
    swapped = _swap(policy.default)
    assert swapped is not None
    fields: dict[str, Resolution] = {}
    for name, value in policy.fields.items():
        mirrored = _swap(value)
        assert mirrored is not None
        fields[name] = mirrored
    return PolicySettings(default=swapped, fields=fields)


@FAST
@given(
    base=SNAPSHOT,
    domiq=_record(allow_invalid=True),
    resman=_record(allow_invalid=True),
    policy=POLICY,
    open_=OPEN,
)
def test_merge_is_idempotent(
    base: dict[str, Any] | None,
    domiq: dict[str, Any],
    resman: dict[str, Any],
    policy: PolicySettings,
    open_: frozenset[str],
) -> None:
    first = merge(base, domiq, resman, policy, open_conflicts=open_)
    landed_domiq = {**domiq, **first.to_domiq}
    landed_resman = {**resman, **first.to_resman}
    still_open = open_ | {c.field for c in first.open_conflicts}
    again = merge(
        first.new_snapshot, landed_domiq, landed_resman, policy, open_conflicts=still_open
    )
    assert again.to_domiq == {} and again.to_resman == {}
    assert again.conflicts == []
    assert again.new_snapshot == first.new_snapshot


@FAST
@given(
    base=SNAPSHOT,
    domiq=_record(allow_invalid=True),
    resman=_record(allow_invalid=True),
    policy=POLICY,
    open_=OPEN,
)
def test_merge_is_symmetric_up_to_direction(
    base: dict[str, Any] | None,
    domiq: dict[str, Any],
    resman: dict[str, Any],
    policy: PolicySettings,
    open_: frozenset[str],
) -> None:
    forward = merge(base, domiq, resman, policy, open_conflicts=open_)
    backward = merge(base, resman, domiq, _mirror(policy), open_conflicts=open_)
    assert forward.to_domiq == backward.to_resman
    assert forward.to_resman == backward.to_domiq
    assert forward.new_snapshot == backward.new_snapshot
    mirrored = [
        FieldConflict(
            field=c.field,
            domiq=c.resman,
            resman=c.domiq,
            base=c.base,
            type=c.type,
            severity=c.severity,
            auto_resolution=_swap(c.auto_resolution),
            detail=c.detail,
        )
        for c in backward.conflicts
    ]
    assert forward.conflicts == mirrored


@FAST
@given(
    base=_record(allow_invalid=False),
    domiq=_record(allow_invalid=True),
    resman=_record(allow_invalid=True),
    policy=POLICY,
    open_=OPEN,
)
def test_merge_never_loses_a_one_sided_change(
    base: dict[str, Any],
    domiq: dict[str, Any],
    resman: dict[str, Any],
    policy: PolicySettings,
    open_: frozenset[str],
) -> None:
    result = merge(base, domiq, resman, policy, open_conflicts=open_)
    for name in SYNCED_FIELDS:
        b, d, r = base[name], domiq[name], resman[name]
        if name in open_ or InvalidValue in (type(d), type(r)):
            continue
        if d != b and r == b:
            assert result.to_resman.get(name, BAD) == d, name
            assert result.new_snapshot[name] == d
        if r != b and d == b:
            assert result.to_domiq.get(name, BAD) == r, name
            assert result.new_snapshot[name] == r
        if d != b and r != b and d != r:
            assert [c.field for c in result.conflicts].count(name) == 1


@FAST
@given(domiq=_record(allow_invalid=False), resman=_record(allow_invalid=False), policy=POLICY)
def test_first_link_result_makes_both_sides_equal_where_settled(
    domiq: dict[str, Any], resman: dict[str, Any], policy: PolicySettings
) -> None:
    result = merge(None, domiq, resman, policy)
    for name in SYNCED_FIELDS:
        settled_domiq = {**domiq, **result.to_domiq}[name]
        settled_resman = {**resman, **result.to_resman}[name]
        if name in {c.field for c in result.open_conflicts}:
            assert name not in result.new_snapshot
        else:
            assert settled_domiq == settled_resman == result.new_snapshot[name]

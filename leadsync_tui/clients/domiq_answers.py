"""DomIQ's answers read: a non-2xx answer as the typed error its status and error body
call for, and a 2xx body as a lead, a page of leads or a transcript, refused as
`MalformedResponse` (not retried: contract drift) when its shape is wrong.

Pure functions over bytes and JSON, so the contract's every error is tested without a
server; the client (`domiq.py`) only sends.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from leadsync_tui.clients import _http
from leadsync_tui.clients.errors import (
    AuthError,
    DuplicateRecord,
    MalformedResponse,
    NotFound,
    RateLimited,
    SyncError,
    TransientError,
    ValidationFailed,
    VersionConflict,
)
from leadsync_tui.models import Lead, TranscriptMessage

_VERSION_IN_MESSAGE = re.compile(r"\bat version (\d+)\b")
_FIELD_IN_MESSAGE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*:")
_TRANSCRIPT = TypeAdapter(list[TranscriptMessage])


class LeadPage(BaseModel):
    """One page of `GET /v1/leads`; `next_cursor` is None on the last page."""

    model_config = ConfigDict(frozen=True)

    data: tuple[Lead, ...]
    next_cursor: str | None = None


def error_for(answer: _http.Answer, what: str) -> SyncError:
    """The typed error for a non-2xx DomIQ answer (contract: `{"error": {code, message}}`)."""
    status = answer.status_code
    if 300 <= status < 400:
        return _http.redirect_error(answer, what)
    code, message = _error_body(answer)
    text = f"{what}: HTTP {status} {code or answer.reason}: {message}".rstrip(": ")
    if status == 401 or status == 403:
        return AuthError(f"{what}: DomIQ refused the token (HTTP {status}): {message}")
    if status == 404:
        return NotFound(text)
    if status == 409:
        return DuplicateRecord(text)
    if status == 412:
        found = _VERSION_IN_MESSAGE.search(message)
        return VersionConflict(text, current_version=int(found.group(1)) if found else None)
    if status == 422:
        field = _FIELD_IN_MESSAGE.match(message)
        return ValidationFailed(text, field=field.group(1) if field else None)
    if status == 429:
        retry_after = _http.parse_retry_after(answer.headers.get("retry-after"))
        return RateLimited(text, retry_after=retry_after)
    if status == 408 or status >= 500:
        return TransientError(text, status_code=status)
    if status == 400:
        return ValidationFailed(text)
    return SyncError(text)


def _error_body(answer: _http.Answer) -> tuple[str | None, str]:
    try:
        parsed = json.loads(answer.body)
        error = parsed["error"]
        code, message = error.get("code"), error.get("message")
        if isinstance(code, str) and isinstance(message, str):
            return code, message
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        pass
    return None, _http.snippet(answer.body)


# ---------------------------------------------------------------------- decoding


def decode_json(body: bytes, what: str) -> Any:
    return _http.load_json(body, what)


def _wrong_shape(what: str, exc: ValidationError | str) -> MalformedResponse:
    detail = (
        exc if isinstance(exc, str) else f"{exc.error_count()} problem(s): {exc.errors()[0]['msg']}"
    )
    # Valid JSON of the wrong shape is contract drift, not a hiccup: not retried.
    return MalformedResponse(f"{what}: unexpected answer shape ({detail})", retryable=False)


def json_object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _wrong_shape(what, f"expected an object, got {type(raw).__name__}")
    return raw


def lead_from(raw: Any, what: str) -> Lead:
    try:
        return Lead.model_validate(json_object(raw, what))
    except ValidationError as exc:
        raise _wrong_shape(what, exc) from None


def page_from(raw: Any, what: str) -> LeadPage:
    try:
        return LeadPage.model_validate(json_object(raw, what))
    except ValidationError as exc:
        raise _wrong_shape(what, exc) from None


def messages_from(raw: Any, what: str) -> list[TranscriptMessage]:
    try:
        return _TRANSCRIPT.validate_python(raw)
    except ValidationError as exc:
        raise _wrong_shape(what, exc) from None

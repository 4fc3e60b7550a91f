"""Typed failures of the DomIQ simulator, each tied to the contract's status and code.

The state raises them; the HTTP layer turns any of them into
`{"error": {"code": ..., "message": ...}}` with `status` without knowing which it is.
"""

from __future__ import annotations

from typing import ClassVar


class DomiqError(Exception):
    """Base: a refusal the client caused, with its HTTP status and contract code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomiqError):
    """Malformed JSON, a bad query parameter or header, a cursor we never issued."""

    status = 400
    code = "bad_request"


class NotFound(DomiqError):
    """No lead (or conversation) with that id."""

    status = 404
    code = "not_found"


class Duplicate(DomiqError):
    """An `Idempotency-Key` reused with a different request body."""

    status = 409
    code = "duplicate"


class VersionMismatch(DomiqError):
    """`If-Match` names a version the lead has moved past."""

    status = 412
    code = "version_mismatch"

    def __init__(self, conversation_id: str, current: int, given: int) -> None:
        super().__init__(
            f"lead {conversation_id} is at version {current}, not {given}; "
            "fetch it again and reapply the change"
        )
        self.current = current
        self.given = given


class InvalidField(DomiqError):
    """A field value DomIQ refuses; the message starts with the field's name."""

    status = 422
    code = "invalid_field"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field

"""Typed errors shared by the DomIQ and ResMan clients.

The engine decides what to do with a failed call from the error's type and its
`retryable` flag alone (its tenacity policy retries exactly the retryable ones), so both
clients turn every failure (HTTP status, ResMan `Status=Error`, unreadable body) into one
of these before it leaves the client.

ResMan reports application errors as HTTP 200 with `<Status>Error</Status>` and free-text
`<ErrorDescription>`; `rejected()` classifies the well-known texts into subclasses that are
also the generic kinds (`ResmanAuthRejected` is an `AuthError`, ...), so `except AuthError`
catches a bad DomIQ token and a bad ResMan API key alike.
"""

from __future__ import annotations

import ssl

from leadsync_tui.resman_rejections import RejectionKind, rejection_kind


class SyncError(Exception):
    """Base of every client error: a human message and whether retrying can help."""

    default_retryable = False
    """The class's answer; an instance may override it (see `retryable`)."""

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self._retryable = retryable
        self.logged = False
        """Set once the client has logged this error (see `_http.log_failure`), so the
        retry policy does not log its reason a second time."""

    @property
    def retryable(self) -> bool:
        """True when the same call may succeed later without anyone changing anything."""
        return self.default_retryable if self._retryable is None else self._retryable

    @property
    def needs_attention(self) -> bool:
        """True when a person should read the message (not just the retry counter)."""
        return not self.retryable


class AuthError(SyncError):
    """Bad or missing credentials (DomIQ 401, a refused ResMan API key or account)."""


class ValidationFailed(SyncError):
    """The other side refused a value; `field` names it when known."""

    def __init__(
        self, message: str, *, field: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.field = field


class NotFound(SyncError):
    """The record addressed does not exist (DomIQ 404, an unknown ResMan ProspectID)."""


class VersionConflict(SyncError):
    """The record changed since it was read (DomIQ 412 on `If-Match`).

    Not retryable as is: resending the same write would fail again. The engine re-reads
    the record and merges again; `current_version` saves it a read when the server said.
    """

    def __init__(
        self,
        message: str,
        *,
        current_version: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.current_version = current_version


class DuplicateRecord(SyncError):
    """The other side already holds this person (DomIQ 409 `duplicate`, a ResMan duplicate
    refusal): search and adopt instead of creating again."""


class RateLimited(SyncError):
    """The server asked us to slow down; wait `retry_after` seconds when it said."""

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(SyncError):
    """5xx, timeouts, dropped connections: the same call may well work next time."""

    default_retryable = True

    def __init__(
        self, message: str, *, status_code: int | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.status_code = status_code


class MalformedResponse(TransientError):
    """A body we cannot read: cut short, not XML/JSON, no envelope, or refused as unsafe
    (DTD, entities, oversized). Retryable: the simulators' `malformed` fault and real
    proxies produce these intermittently."""


class CertificateRejected(SyncError):
    """The server's TLS certificate could not be verified (unknown or private CA, another
    host name, expired). Not retryable: nothing changes until a person fixes the trust
    (`[tls] ca_bundle`), the `base_url` or the server's certificate; the message says which."""


_HOSTNAME_MISMATCH = frozenset({62, 64})
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH."""
_OUT_OF_DATE = frozenset({9, 10})
"""X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED."""


def certificate_problem(error: BaseException) -> str | None:
    """What is wrong with a server's certificate and how to fix it, when `error` (or
    anything in its cause/context chain) is a failed certificate check; else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return _certificate_advice(current)
        current = current.__cause__ or current.__context__
    return None


def _certificate_advice(error: ssl.SSLCertVerificationError) -> str:
    reason = (error.verify_message or error.reason or "certificate verify failed").strip()
    reason = reason.rstrip(".")
    if error.verify_code in _HOSTNAME_MISMATCH:
        fix = (
            "the certificate is for another host name: put the host name it was issued for "
            "in base_url, or have the server's certificate fixed"
        )
    elif error.verify_code in _OUT_OF_DATE:
        fix = (
            "the certificate is outside its validity dates: have the server's certificate "
            "renewed (and check this machine's clock)"
        )
    else:
        fix = (
            "if the server's certificate comes from a private or company CA, set "
            "[tls] ca_bundle to a PEM file of that CA's certificate"
        )
    return f"the server's TLS certificate was not accepted ({reason}); {fix}"


class UnexpectedRedirect(SyncError):
    """A 3xx answer. Redirects are never followed (a loop could not hang us, and a
    form body with the API key is never re-sent elsewhere); the base URL is wrong or
    the server is misconfigured: a person must look, so not retryable."""


class SearchTooBroad(SyncError):
    """ResMan's SearchProspects answered HTTP 502 "buffer overflow": too many matches.

    Not retryable as is; the ResMan client halves the Modified window and asks again.
    It only escapes the client when the window cannot shrink any further.
    """

    def __init__(self, message: str, *, window_seconds: float | None = None) -> None:
        super().__init__(message)
        self.window_seconds = window_seconds


# --------------------------------------------------------------------------- ResMan


class RemoteRejected(SyncError):
    """ResMan answered `Status` other than `Success`; `error_description` is its text.

    Instances of this base class are texts we could not classify: not retried, and
    flagged (`needs_attention`) so a person reads the description.
    """

    kind = RejectionKind.UNKNOWN

    def __init__(
        self,
        error_description: str,
        *,
        status: str | None = None,
        method: str | None = None,
    ) -> None:
        text = error_description.strip() or f"ResMan answered Status={status or '(none)'}"
        where = f"{method}: " if method else ""
        SyncError.__init__(self, f"ResMan refused: {where}{text}")
        self.error_description = error_description
        self.status = status
        self.method = method

    @property
    def needs_attention(self) -> bool:
        return self.kind is RejectionKind.UNKNOWN or not self.retryable


class ResmanAuthRejected(RemoteRejected, AuthError):
    """Credentials or scope refused (API key, partner id, AccountID, PropertyID)."""

    kind = RejectionKind.AUTH


class ResmanValidationRejected(RemoteRejected, ValidationFailed):
    """A value or a required setting refused (source, agent, name...)."""

    kind = RejectionKind.VALIDATION

    def __init__(
        self,
        error_description: str,
        *,
        status: str | None = None,
        method: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(error_description, status=status, method=method)
        self.field = field


class ResmanNotFound(RemoteRejected, NotFound):
    """The ProspectID/PersonID posted is unknown to ResMan."""

    kind = RejectionKind.NOT_FOUND


class ResmanDuplicateRejected(RemoteRejected, DuplicateRecord):
    """ResMan refused a create because the person already exists."""

    kind = RejectionKind.DUPLICATE


class ResmanTransientRejected(RemoteRejected, TransientError):
    """ResMan's own hiccup reported in a 200 (deadlock, timeout): retry."""

    kind = RejectionKind.TRANSIENT
    default_retryable = True


def rejected(
    error_description: str | None,
    *,
    status: str | None = None,
    method: str | None = None,
) -> RemoteRejected:
    """The `RemoteRejected` subclass that fits ResMan's `ErrorDescription` text.

    Order matters: an unknown ProspectID is "not found" before it is "invalid"; a bad
    source, agent or lost reason is a setting to fix even when the text names the
    property; an unknown PropertyID is a credentials/scope problem, not a value.
    """
    text = (error_description or "").strip()
    kind, field = rejection_kind(text)
    if kind is RejectionKind.NOT_FOUND:
        return ResmanNotFound(text, status=status, method=method)
    if kind is RejectionKind.AUTH:
        return ResmanAuthRejected(text, status=status, method=method)
    if kind is RejectionKind.DUPLICATE:
        return ResmanDuplicateRejected(text, status=status, method=method)
    if kind is RejectionKind.TRANSIENT:
        return ResmanTransientRejected(text, status=status, method=method)
    if kind is RejectionKind.VALIDATION:
        return ResmanValidationRejected(text, status=status, method=method, field=field)
    return RemoteRejected(text, status=status, method=method)

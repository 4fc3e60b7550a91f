"""Reaching DomIQ and ResMan once, for set-up: short retries and one plain sentence per
failure that says what failed and which setting (or `init` option) fixes it.

A setup call must fail fast (a person is waiting), but one dropped connection should not
send them hunting for a wrong URL: three attempts within a few seconds. Messages come
from the clients, which never hold a secret in an error (the API key is redacted there).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

from leadsync_tui.clients._http import NotDelivered
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import (
    AuthError,
    CertificateRejected,
    RemoteRejected,
    SyncError,
    UnexpectedRedirect,
)
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import DomiqSettings, ResmanSettings

SETUP_TIMEOUT = 10.0
"""Seconds one setup call may take before it counts as failed."""


def setup_retry() -> RetryPolicy:
    """Three quick attempts: a dropped connection is retried, a person is not kept long."""
    return RetryPolicy(attempts=3, total_seconds=SETUP_TIMEOUT, initial_wait=0.2, max_wait=1.0)


def domiq_client(settings: DomiqSettings, verify: ssl.SSLContext | bool) -> DomiqClient:
    return DomiqClient.from_settings(
        settings, timeout=SETUP_TIMEOUT, retry=setup_retry(), verify=verify
    )


def resman_client(settings: ResmanSettings, verify: ssl.SSLContext | bool) -> ResmanClient:
    return ResmanClient.from_settings(
        settings, timeout=SETUP_TIMEOUT, retry=setup_retry(), verify=verify
    )


@dataclass(frozen=True)
class Failure:
    """Why a system could not be used: what happened and how to fix it."""

    what: str
    fix: str


_KEYS = {
    "domiq.base_url": "--domiq-url",
    "domiq.token": "--domiq-token",
    "resman.base_url": "--resman-url",
    "resman.integration_partner_id": "--resman-partner-id",
    "resman.api_key": "--resman-api-key",
    "resman.account_id": "--resman-account-id",
}


def setting(key: str, *, as_option: bool) -> str:
    """How a person sets `key`: `[domiq] token` in the file, or `--domiq-token` for init."""
    if as_option and key in _KEYS:
        return _KEYS[key]
    section, _, name = key.rpartition(".")
    return f"[{section}] {name}"


def domiq_failure(error: SyncError, url: str, *, as_option: bool = False) -> Failure:
    """A failed DomIQ call as a sentence and a fix."""

    def key(name: str) -> str:
        return setting(f"domiq.{name}", as_option=as_option)

    if isinstance(error, AuthError):
        return Failure(
            f"{error.message} (at {url})",
            f"check {key('token')}: DomIQ's API token for this account, whole and unexpired",
        )
    return Failure(f"cannot use DomIQ at {url}: {error.message}", _reach_fix(error, key))


def resman_failure(error: SyncError, url: str, *, as_option: bool = False) -> Failure:
    """A failed ResMan call as a sentence and a fix."""

    def key(name: str) -> str:
        return setting(f"resman.{name}", as_option=as_option)

    if isinstance(error, AuthError):
        text = error.error_description if isinstance(error, RemoteRejected) else error.message
        if "account" in text.lower():
            fix = f"check {key('account_id')}: the AccountID of your management company"
        else:
            fix = (
                f"check {key('integration_partner_id')} and {key('api_key')}: in ResMan, "
                "Admin > Users > API Users (the user's Name is the partner id; Show "
                "reveals the key)"
            )
        return Failure(f"ResMan at {url} refused the credentials: {text}", fix)
    return Failure(f"cannot use ResMan at {url}: {error.message}", _reach_fix(error, key))


def _reach_fix(error: SyncError, key: Callable[[str], str]) -> str:
    if isinstance(error, NotDelivered):
        return f"check {key('base_url')} (host and port) and that the service is up"
    if isinstance(error, CertificateRejected):
        return "trust the server's CA with [tls] ca_bundle, or fix the certificate or the URL"
    if isinstance(error, UnexpectedRedirect):
        return f"set {key('base_url')} to the address the redirect points to"
    return f"check {key('base_url')}; if it is right, try again later"

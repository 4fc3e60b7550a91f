"""TLS for the real endpoints: the context the clients verify with, and the warnings
said on every start about anything that weakens that check.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping

import certifi

from leadsync_tui.config_model import Settings
from leadsync_tui.config_sections import parse_http_url


def tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for the real endpoints: verification on, hostnames checked,
    trusting the public CAs (certifi, as httpx does) plus `[tls] ca_bundle` if set."""
    context = ssl.create_default_context(cafile=certifi.where())
    if settings.tls.ca_bundle is not None:
        context.load_verify_locations(cafile=str(settings.tls.ca_bundle))
    return context


def _is_loopback(url: str) -> bool:
    parsed = parse_http_url(url)
    host = (parsed.host or "").strip("[]") if parsed is not None else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SYSTEM_TRUST_STORES = frozenset(
    {
        "/etc/ssl/certs",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/ssl/cert.pem",
        "/etc/pki/tls/certs",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/pki/tls/cert.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/ca-bundle.pem",
        "/usr/lib/ssl/certs",
        "/usr/lib/ssl/cert.pem",
    }
)
"""Where operating systems keep their public CA store (often exported as $SSL_CERT_FILE
system-wide): pointing there is not a weakening."""


def _is_system_trust_store(value: str) -> bool:
    paths = ssl.get_default_verify_paths()
    known = _SYSTEM_TRUST_STORES | {paths.openssl_cafile, paths.openssl_capath, certifi.where()}
    return os.path.normpath(value) in known


def tls_warnings(settings: Settings, environ: Mapping[str, str]) -> tuple[str, ...]:
    """Anything that weakens how the real endpoints are checked is said on every start."""
    if settings.is_demo:
        return ()
    warnings = []
    for section, url in (("domiq", settings.domiq.base_url), ("resman", settings.resman.base_url)):
        if url is not None and url.startswith("http://") and not _is_loopback(url):
            warnings.append(
                f"{section}.base_url uses http:// to a remote host: credentials and lead data "
                "travel unencrypted and the server is not verified; use https://"
            )
    if settings.tls.ca_bundle is not None:
        warnings.append(
            f"tls.ca_bundle: also trusting the CA certificate(s) in {settings.tls.ca_bundle}; "
            "any server with a certificate from that CA is believed. Remove the key once "
            "the endpoints have public certificates"
        )
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if environ.get(name) and not _is_system_trust_store(environ[name]):
            warnings.append(
                f"${name} is set ({environ[name]}): TLS certificates may be checked against "
                f"it instead of the public CAs; unset it, and use [tls] ca_bundle to trust "
                "a private CA"
            )
    return tuple(warnings)

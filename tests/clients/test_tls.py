"""TLS to the real endpoints: certificates are always checked, and `[tls] ca_bundle` is how
a private CA gets trusted.

Real servers over loopback: both simulators behind uvicorn with HTTPS (and WSS for
DomIQ's live feed), holding a certificate from a throwaway CA made per test module
(`trustme`). What is tested is what `open_engine` and `from_settings` build: without the
bundle every connection is refused with a typed error that names the certificate
problem and the fix; with it, the clients and the feed work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.domiq_feed import DomiqFeed
from leadsync_tui.clients.errors import CertificateRejected
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.config import Settings, tls_context
from leadsync_tui.sim.runner import SimOptions
from leadsync_tui.wiring import open_engine
from tests.clients.sim_fixtures import RecordingSleep, fast_retry
from tests.clients.tls_fixtures import Upstreams, https_upstreams
from tests.waiting import eventually

FIX = "set [tls] ca_bundle to a PEM file of that CA's certificate"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A private CA nobody trusts by default (like a company's)."""
    return trustme.CA(organization_name="leadsync test CA")


@pytest.fixture
def ca_bundle(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def upstreams(ca: trustme.CA, tmp_path: Path) -> AsyncIterator[Upstreams]:
    """Servers whose certificate (for localhost and 127.0.0.1) comes from the private CA."""
    async with https_upstreams(ca.issue_cert("localhost", "127.0.0.1"), tmp_path) as running:
        yield running


# --------------------------------------------------------------------------- refused


async def test_without_the_bundle_both_clients_refuse_the_server_and_name_the_fix(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    settings = upstreams.settings(tmp_path)
    async with open_engine(settings, watcher=False) as setup:
        with pytest.raises(CertificateRejected) as domiq_refused:
            await setup.desk.domiq.list_leads()
        with pytest.raises(CertificateRejected) as resman_refused:
            await setup.desk.resman.properties()

    for refused, what in ((domiq_refused, "DomIQ GET /v1/leads"), (resman_refused, "ResMan")):
        message = str(refused.value)
        assert message.startswith(what), message
        assert "the server's TLS certificate was not accepted (unable to get local issuer " in (
            message
        )
        assert FIX in message
        assert not refused.value.retryable  # nothing changes until a person acts
        assert "Traceback" not in message and "_ssl.c" not in message


async def test_from_settings_verifies_certificates_by_default(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    settings = upstreams.settings(tmp_path)
    waits = RecordingSleep()
    quick = fast_retry(attempts=3, sleep=waits)
    async with DomiqClient.from_settings(settings.domiq, retry=quick) as domiq:
        with pytest.raises(CertificateRejected, match=r"\[tls\] ca_bundle"):
            await domiq.health()
    async with ResmanClient.from_settings(settings.resman, retry=quick) as resman:
        with pytest.raises(CertificateRejected, match=r"\[tls\] ca_bundle"):
            await resman.lost_reasons()
    assert waits.waits == []  # not retried: retrying cannot help


async def test_the_live_feed_refuses_the_server_and_says_why(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    settings = upstreams.settings(tmp_path)
    assert settings.domiq.base_url is not None and settings.domiq.token is not None
    feed = DomiqFeed(
        settings.domiq.base_url,
        settings.domiq.token,
        on_event=_ignore_event,
        on_state=lambda state: None,
        backoff_initial=5,
        backoff_max=5,
        tls=tls_context(settings),
    )
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.state.last_error is not None, 10)
    finally:
        feed.stop()
        await asyncio.wait_for(task, 10)
    error = feed.state.last_error or ""
    assert error.startswith("cannot connect: the server's TLS certificate was not accepted")
    assert FIX in error
    assert not feed.state.connected


async def test_a_certificate_for_another_host_says_to_check_base_url(
    ca: trustme.CA, ca_bundle: Path, tmp_path: Path
) -> None:
    async with https_upstreams(ca.issue_cert("sync.example.com"), tmp_path) as elsewhere:
        settings = elsewhere.settings(tmp_path, ca_bundle)  # the CA is trusted, the name not
        async with open_engine(settings, watcher=False) as setup:
            with pytest.raises(CertificateRejected) as refused:
                await setup.desk.resman.properties()
    message = str(refused.value)
    assert "Hostname mismatch" in message and "'localhost'" in message
    assert "put the host name it was issued for in base_url" in message
    assert "ca_bundle" not in message  # trusting more CAs would not help


# --------------------------------------------------------------------------- trusted


async def test_with_the_bundle_the_engine_syncs_over_https_and_its_feed_over_wss(
    upstreams: Upstreams, ca_bundle: Path, tmp_path: Path
) -> None:
    settings = upstreams.settings(tmp_path, ca_bundle)
    async with open_engine(settings) as setup:
        assert await setup.desk.domiq.health()
        page = await setup.desk.domiq.list_leads()
        assert page.data
        properties = await setup.desk.resman.properties()
        assert {p.property_id for p in properties} >= {
            link.property_id for link in upstreams.world.properties
        }

        watcher = setup.engine.watcher
        assert watcher is not None
        store = setup.engine.store
        task = asyncio.create_task(watcher.run())
        try:
            await eventually(lambda: store.state.real_time_connected, 10)  # wss, verified
            await eventually(lambda: len(store.state.leads) >= len(page.data), 10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_switching_checks_off_is_never_silent(
    upstreams: Upstreams, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No setting turns verification off; code that does so gets a warning on every client."""
    settings = upstreams.settings(tmp_path)
    assert settings.domiq.token is not None
    async with DomiqClient(upstreams.domiq_url, settings.domiq.token, verify=False) as domiq:
        assert await domiq.health()
    assert f"TLS certificate checks are OFF for {upstreams.domiq_url}" in caplog.text


async def test_the_demo_needs_no_tls_settings(tmp_path: Path) -> None:
    """The embedded simulators are plain http on loopback: no context, nothing to trust."""
    options = SimOptions(domiq_port=0, resman_port=0, leads=5, activity_per_min=0)
    async with open_engine(Settings(), sim_options=options) as setup:
        assert setup.sims is not None
        assert setup.settings.domiq.base_url is not None
        assert setup.settings.domiq.base_url.startswith("http://127.0.0.1:")
        assert await setup.desk.domiq.health()


async def _ignore_event(event: object) -> None:
    return None

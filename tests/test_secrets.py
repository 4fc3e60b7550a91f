"""Secrets never leave: run real flows with known, distinctive secrets and grep every output.

The simulators are started with `SEKRET-...` credentials, leadsync is given them through
the config file (the DomIQ token) and the environment (the ResMan API key), and then the
headless sync (with every logger at DEBUG), `status`, `config check`, `audit`, the TUI's
screen, a CSV export, the database file itself (snapshots, sync log, audit) and the
failure paths (wrong credentials, an upstream that is down: the error lines, the
exception text, repr and traceback with locals) are all searched for them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr

import leadsync_tui.sim.world as sim_world
import leadsync_tui.sim.world_records as world_records
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import CertificateRejected
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import DomiqSettings, ResmanSettings, load_settings
from leadsync_tui.models import utc_now
from leadsync_tui.screens.csv_export import write_csv
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from tests.clients.tls_fixtures import https_upstreams
from tests.waiting import eventually

TOKEN = "SEKRET-domiq-token-7c1e2f"
API_KEY = "SEKRET-resman-key-4b9d0a"
WRONG_TOKEN = "SEKRET-wrong-domiq-55aa91"
WRONG_KEY = "SEKRET-wrong-resman-66bb02"
SECRETS = (TOKEN, API_KEY, WRONG_TOKEN, WRONG_KEY)
DOWN = "http://127.0.0.1:9"
"""The discard port: nothing listens there."""

DEBUG_MAIN = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG); "
    "from leadsync_tui.cli import main; sys.exit(main(sys.argv[1:]))"
)
"""`leadsync` with every logger (ours, httpx, httpcore, websockets) at DEBUG on stderr."""


def assert_clean(what: str, *texts: str | bytes) -> None:
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} leaked in {what}"
            # Also a secret cut short (a truncated error body, a log line cut at 40).
            assert secret.encode()[:16] not in data, f"part of {secret} leaked in {what}"


@pytest.fixture
async def sims(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningSims]:
    """The real simulators, but holding our distinctive credentials."""
    monkeypatch.setattr(sim_world, "DOMIQ_TOKEN", TOKEN)
    monkeypatch.setattr(sim_world, "RESMAN_API_KEY", API_KEY)
    options = SimOptions(domiq_port=0, resman_port=0, leads=30, seed=11, activity_per_min=0)
    async with run_simulators(options) as running:
        assert (running.world.token, running.world.api_key) == (TOKEN, API_KEY)
        yield running


def write_config(sims: RunningSims, folder: Path, *, token: str = TOKEN) -> Path:
    """The sims' block with the token in the file and the API key left to the env."""
    lines = [line for line in sims.config_toml().splitlines() if not line.startswith("api_key")]
    text = "\n".join(lines).replace(TOKEN, token)
    text += f'\n\n[sync]\ndatabase = "{folder / "leadsync.db"}"\n'
    path = folder / "leadsync.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


async def leadsync(*args: str, api_key: str = API_KEY) -> tuple[int, str, str]:
    """A real `leadsync` process (the sims keep serving on this loop meanwhile)."""
    env = {**os.environ, "LEADSYNC_RESMAN__API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DEBUG_MAIN,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def database_bytes(folder: Path) -> Iterable[bytes]:
    for path in folder.glob("leadsync.db*"):
        yield path.read_bytes()


async def test_a_full_flow_never_shows_a_secret(
    sims: RunningSims,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = write_config(sims, tmp_path)

    code, out, err = await leadsync(
        "sync", "--headless", "--once", "--log-level", "DEBUG", "--config", str(config)
    )
    assert code in (0, 1), err[-2000:]
    assert '"event":"attempt"' in out and '"status":"success"' in out  # the secrets worked
    assert "DEBUG" in err  # the loggers were on
    assert_clean("sync --headless (stdout, stderr with DEBUG logs)", out, err)

    for command in (
        ["status", "--json"],
        ["status"],
        ["config", "check"],
        ["audit"],
        ["audit", "--json"],
    ):
        code, out, err = await leadsync(*command, "--config", str(config))
        assert code in (0, 1), (command, err)
        assert_clean(" ".join(command), out, err)
        if command == ["config", "check"]:
            assert "domiq.token" in out and "resman.api_key" in out and "[env]" in out

    for blob in database_bytes(tmp_path):
        assert_clean("the database file (snapshots, sync log, audit)", blob)

    # In-process: the TUI on the same database, its screen, and every log record.
    caplog.set_level("DEBUG")
    monkeypatch.setenv("LEADSYNC_RESMAN__API_KEY", API_KEY)
    settings = load_settings(config).settings
    assert settings.domiq.token == SecretStr(TOKEN)
    assert_clean("the settings' repr and str", repr(settings), str(settings))
    assert_clean("the settings' JSON dump", settings.model_dump_json())
    async with open_tui(settings, read_only=True) as app, app.run_test(size=(160, 50)) as pilot:
        await eventually(lambda: app.engine_setup is not None, 10)
        setup = app.engine_setup
        assert setup is not None
        await eventually(lambda: len(setup.engine.store.state.leads) > 0, 20)
        await pilot.pause()
        assert_clean("the TUI screen", app.export_screenshot())
        assert_clean("the TUI's clients", repr(setup.desk), repr(app))
        await pilot.press("ctrl+q")
    assert_clean("the log records", caplog.text)

    async with DomiqClient.from_settings(settings.domiq) as domiq:
        leads = await domiq.list_leads()
    export = tmp_path / "leads.csv"
    write_csv(export, leads.data, utc_now(), mask=False)
    assert export.stat().st_size > 0
    assert_clean("the CSV export", export.read_bytes())


async def test_wrong_credentials_fail_without_showing_them(
    sims: RunningSims, tmp_path: Path
) -> None:
    config = write_config(sims, tmp_path, token=WRONG_TOKEN)
    code, out, err = await leadsync(
        "sync",
        "--headless",
        "--once",
        "--max-wait",
        "3",
        "--config",
        str(config),
        api_key=WRONG_KEY,
    )
    assert code == 1, err[-2000:]
    assert "401" in out + err or "nauthori" in out + err or "credential" in out + err
    assert_clean("a failing sync", out, err)
    code, out, err = await leadsync("status", "--json", "--config", str(config), api_key=WRONG_KEY)
    assert_clean("status after a failing sync", out, err)
    for blob in database_bytes(tmp_path):
        assert_clean("the database after a failing sync", blob)


def _exception_texts(exc: BaseException) -> list[str]:
    """Everything a person might see of an exception, down its whole chain."""
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    cause: BaseException | None = exc
    while cause is not None:
        texts += [str(cause), repr(cause), repr(vars(cause))]
        cause = cause.__cause__ or cause.__context__
    return texts


def _traceback_with_locals(exc: BaseException) -> str:
    """What Textual prints when an app crashes (rich, `show_locals=True`)."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


async def _failure(domiq: DomiqSettings | None, resman: ResmanSettings | None) -> BaseException:
    """Make one real call that fails; the exception as raised (its traceback's frames
    are ours and the clients', so their locals are checked too)."""
    quick = RetryPolicy(attempts=1, total_seconds=1, initial_wait=0.01, max_wait=0.01)
    try:
        if domiq is not None:
            async with DomiqClient.from_settings(domiq, timeout=2, retry=quick) as client:
                await client.list_leads()
        if resman is not None:
            async with ResmanClient.from_settings(resman, timeout=2, retry=quick) as other:
                await other.lost_reasons()
    except Exception as exc:  # any failure is what we look at
        return exc
    raise AssertionError("the call was expected to fail")


def _wrong_resman(base_url: str) -> ResmanSettings:
    return ResmanSettings(
        base_url=base_url,
        integration_partner_id=world_records.RESMAN_PARTNER_ID,
        api_key=SecretStr(WRONG_KEY),
        account_id=world_records.RESMAN_ACCOUNT_ID,
    )


async def test_client_errors_and_tracebacks_never_hold_the_secret(sims: RunningSims) -> None:
    exc = await _failure(DomiqSettings(base_url=sims.domiq_url, token=SecretStr(WRONG_TOKEN)), None)
    assert "401" in str(exc)
    assert_clean("a DomIQ auth failure", *_exception_texts(exc), _traceback_with_locals(exc))

    exc = await _failure(None, _wrong_resman(sims.resman_url))
    assert "ApiKey" in str(exc)  # the auth failure, not some other one
    assert_clean("a ResMan auth failure", *_exception_texts(exc))


async def test_an_upstream_that_is_down_fails_without_the_secret() -> None:
    exc = await _failure(DomiqSettings(base_url=DOWN, token=SecretStr(WRONG_TOKEN)), None)
    assert_clean("a DomIQ connection failure", *_exception_texts(exc), _traceback_with_locals(exc))
    exc = await _failure(None, _wrong_resman(DOWN))
    assert_clean("a ResMan connection failure", *_exception_texts(exc))


async def test_a_resman_traceback_with_locals_never_holds_the_api_key() -> None:
    exc = await _failure(None, _wrong_resman(DOWN))
    assert_clean("a ResMan traceback with locals", _traceback_with_locals(exc))


async def test_a_refused_certificate_fails_without_the_secret(tmp_path: Path) -> None:
    """A server whose certificate is refused (a private CA not in `[tls] ca_bundle`)."""
    ca = trustme.CA()
    async with https_upstreams(ca.issue_cert("localhost"), tmp_path) as untrusted:
        domiq = DomiqSettings(base_url=untrusted.domiq_url, token=SecretStr(WRONG_TOKEN))
        for exc in (
            await _failure(domiq, None),
            await _failure(None, _wrong_resman(untrusted.resman_url)),
        ):
            assert isinstance(exc, CertificateRejected), exc
            texts = (*_exception_texts(exc), _traceback_with_locals(exc))
            assert_clean("a refused certificate", *texts)

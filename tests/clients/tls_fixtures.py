"""Real HTTPS/WSS servers on loopback for the TLS tests: both simulators behind uvicorn
with a certificate from a throwaway CA (`trustme`), and live settings pointing at them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path

import trustme
import uvicorn
from starlette.types import ASGIApp

from leadsync_tui.config import Settings, SyncSettings, TlsSettings
from leadsync_tui.models import utc_now
from leadsync_tui.sim.domiq import create_domiq_app
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import create_resman_app
from leadsync_tui.sim.runner import RunningSims
from leadsync_tui.sim.world import build_world
from leadsync_tui.sim.world_records import World
from leadsync_tui.wiring import settings_for_sims
from tests.waiting import eventually


class _InProcessServer(uvicorn.Server):
    """A uvicorn server that leaves pytest's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve_https(
    app: ASGIApp, certificate: trustme.LeafCert, folder: Path
) -> AsyncIterator[int]:
    """`app` over HTTPS/WSS on a free loopback port (yielded), with `certificate`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    pem = folder / f"server-{port}.pem"  # key and chain in one file
    certificate.private_key_and_cert_chain_pem.write_to_path(str(pem))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(pem),
        lifespan="off",
        log_config=None,
        log_level="critical",  # the refused handshakes are the point, not news
        access_log=False,
    )
    server = _InProcessServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started or task.done(), 10)
        assert server.started, "the HTTPS test server did not start"
        yield port
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


@dataclass(frozen=True)
class Upstreams:
    world: World
    domiq_url: str
    resman_url: str

    def settings(self, folder: Path, ca_bundle: Path | None = None) -> Settings:
        """Live settings (not the demo) pointing at the HTTPS simulators."""
        base = Settings(
            sync=SyncSettings(database=folder / "leadsync.db"),
            tls=TlsSettings(ca_bundle=ca_bundle),
        )
        quiet = FaultSettings(seed=1)
        sims = RunningSims(self.domiq_url, self.resman_url, self.world, quiet, quiet, None)
        settings = settings_for_sims(base, sims)
        assert not settings.is_demo
        return settings


@contextlib.asynccontextmanager
async def https_upstreams(
    certificate: trustme.LeafCert, folder: Path, host: str = "localhost"
) -> AsyncIterator[Upstreams]:
    """Both simulators (one seeded world) over HTTPS, addressed as `host`."""
    world = build_world(5, 12, utc_now())
    domiq_app = create_domiq_app(world.domiq, token=world.token, faults=FaultSettings(seed=1))
    resman_app = create_resman_app(world.resman, faults=FaultSettings(seed=2))
    async with (
        serve_https(domiq_app, certificate, folder) as domiq_port,
        serve_https(resman_app, certificate, folder) as resman_port,
    ):
        yield Upstreams(world, f"https://{host}:{domiq_port}", f"https://{host}:{resman_port}")

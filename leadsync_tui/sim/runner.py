"""Both simulators over real loopback sockets, in-process: for `leadsync sim`, the demo,
tests and benchmarks alike.

    async with run_simulators(SimOptions(domiq_port=0, resman_port=0)) as sims:
        sims.domiq_url, sims.resman_url, sims.config_toml()

One seeded world, two servers (each with its own fault knobs), and the activity
generator when the rate is above zero. Leaving the block (normally, on an error or on
cancellation) stops the activity first, then the servers, and releases both ports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import tomlkit
from starlette.types import ASGIApp

from leadsync_tui.http_server import serve_asgi
from leadsync_tui.models import utc_now
from leadsync_tui.sim.activity import ActivityGenerator
from leadsync_tui.sim.domiq import create_domiq_app
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import create_resman_app
from leadsync_tui.sim.world import build_world
from leadsync_tui.sim.world_records import World


@dataclass(frozen=True)
class SimOptions:
    """`leadsync sim`'s options (same defaults); `now` is the clock (default: real time)."""

    host: str = "127.0.0.1"
    domiq_port: int = 8701
    resman_port: int = 8702
    seed: int = 7
    leads: int = 200
    activity_per_min: float = 30.0
    fault_rate: float = 0.0
    latency_ms: float = 0.0
    search_limit: int = 500
    heartbeat_interval: float = 5.0
    now: Callable[[], datetime] | None = None
    progress: Callable[[int, int], None] | None = None
    """Called while the world is built: (conversations done, total)."""


class SimulatorBindError(OSError):
    """A simulator could not listen: says which one, and on which host and port."""

    def __init__(self, simulator: str, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.simulator = simulator
        self.host = host
        self.port = port
        self.cause = cause


@dataclass(frozen=True)
class RunningSims:
    """Where the simulators listen, what they hold, and their live fault knobs."""

    domiq_url: str
    resman_url: str
    world: World
    domiq_faults: FaultSettings
    resman_faults: FaultSettings
    activity: ActivityGenerator | None

    def config_toml(self) -> str:
        """A `[domiq]` + `[resman]` config block for leadsync, pointing at these servers.

        Written by tomlkit, so every string and key is quoted and escaped as TOML wants;
        each property's table is commented with the property's name."""
        doc = tomlkit.document()
        domiq = tomlkit.table()
        domiq.add("base_url", self.domiq_url)
        domiq.add("token", self.world.token)
        doc.add("domiq", domiq)
        resman = tomlkit.table()
        resman.add("base_url", self.resman_url)
        resman.add("integration_partner_id", self.world.partner_id)
        resman.add("api_key", self.world.api_key)
        resman.add("account_id", self.world.account_id)
        properties = tomlkit.table(is_super_table=True)
        for link in self.world.properties:
            table = tomlkit.table()
            table.add("property_id", link.property_id)
            table.add("name", link.name)
            table.add("source_id", link.source_id)
            table.add("agent_id", link.agent_id)
            table.add("lost_reason_id", self.world.default_lost_reason_id)
            table.comment(link.name)
            table.trivia.comment_ws = "  "
            properties.add(link.domiq_id, table)
        resman.add("properties", properties)
        doc.add("resman", resman)
        return tomlkit.dumps(doc)


@asynccontextmanager
async def run_simulators(options: SimOptions) -> AsyncIterator[RunningSims]:
    """Build the world, serve both simulators, run the activity; clean up on exit.

    A port that cannot be bound raises `SimulatorBindError` naming the simulator.
    """
    clock = options.now or utc_now
    world = build_world(
        options.seed, options.leads, clock(), clock=clock, progress=options.progress
    )
    domiq_faults = FaultSettings.uniform(options.fault_rate, options.latency_ms, seed=options.seed)
    resman_faults = FaultSettings.uniform(
        options.fault_rate, options.latency_ms, seed=options.seed + 1
    )
    domiq_app = create_domiq_app(
        world.domiq,
        token=world.token,
        faults=domiq_faults,
        heartbeat_interval=options.heartbeat_interval,
    )
    resman_app = create_resman_app(
        world.resman, faults=resman_faults, search_limit=options.search_limit
    )
    async with AsyncExitStack() as stack:
        domiq_url = await _serve(stack, "domiq", domiq_app, options.host, options.domiq_port)
        resman_url = await _serve(stack, "resman", resman_app, options.host, options.resman_port)
        activity = None
        if options.activity_per_min > 0:
            activity = ActivityGenerator(
                world, options.activity_per_min, rng_seed=options.seed + 2, now=clock
            )
            task = asyncio.create_task(activity.run(), name="leadsync-sim-activity")
            stack.push_async_callback(_cancel, task)
        yield RunningSims(domiq_url, resman_url, world, domiq_faults, resman_faults, activity)


async def _serve(stack: AsyncExitStack, simulator: str, app: ASGIApp, host: str, port: int) -> str:
    try:
        return await stack.enter_async_context(serve_asgi(app, host, port))
    except OSError as exc:
        raise SimulatorBindError(simulator, host, port, exc) from exc


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # we are being cancelled too: let it through

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
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from starlette.types import ASGIApp

from leadsync_tui.models import utc_now
from leadsync_tui.sim.activity import ActivityGenerator
from leadsync_tui.sim.domiq import create_domiq_app
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import create_resman_app
from leadsync_tui.sim.server import serve_asgi
from leadsync_tui.sim.world import build_world
from leadsync_tui.sim.world_records import World

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


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
        """A `[domiq]` + `[resman]` config block for leadsync, pointing at these servers."""
        lines = [
            "[domiq]",
            f"base_url = {_string(self.domiq_url)}",
            f"token = {_string(self.world.token)}",
            "",
            "[resman]",
            f"base_url = {_string(self.resman_url)}",
            f"integration_partner_id = {_string(self.world.partner_id)}",
            f"api_key = {_string(self.world.api_key)}",
            f"account_id = {self.world.account_id}",
        ]
        for link in self.world.properties:
            key = link.domiq_id if _BARE_KEY.match(link.domiq_id) else _string(link.domiq_id)
            lines += [
                "",
                f"[resman.properties.{key}]  # {link.name}",
                f"property_id = {_string(link.property_id)}",
                f"name = {_string(link.name)}",
                f"source_id = {_string(link.source_id)}",
                f"agent_id = {_string(link.agent_id)}",
                f"lost_reason_id = {_string(self.world.default_lost_reason_id)}",
            ]
        return "\n".join(lines) + "\n"


def _string(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)


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

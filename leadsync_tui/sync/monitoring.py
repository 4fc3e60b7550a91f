"""What runs beside an engine so people can watch it: the Prometheus metrics server
(`prometheus_metrics`) and the webhook alerts (`alerts`).

One hook for the places that run an engine (`sync --headless`, the TUI), so each of them
changes by one `async with`. Both parts listen to the engine's journal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from leadsync_tui.config import Settings
from leadsync_tui.sync.alerts import run_alerts
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.prometheus_metrics import MetricsPortError, serve_metrics

__all__ = ["MetricsPortError", "monitoring"]


@asynccontextmanager
async def monitoring(
    engine: SyncEngine, settings: Settings, *, metrics: bool = True
) -> AsyncIterator[None]:
    """Serve `/metrics` when `[sync] metrics_port` is set (and `metrics`: the TUI leaves
    the port to `sync --headless`), and post alerts when `[alerts] webhook_url` is set,
    while the block runs. A port that cannot be bound raises `MetricsPortError`."""
    async with AsyncExitStack() as stack:
        port = settings.sync.metrics_port
        if metrics and port is not None:
            url = await stack.enter_async_context(
                serve_metrics(engine, settings.sync.metrics_host, port)
            )
            engine.journal.emit("metrics_serving", url=f"{url}/metrics")
        if settings.alerts.webhook_url is not None:
            await stack.enter_async_context(run_alerts(engine, settings.alerts))
        yield

"""What runs beside an engine so people can watch it: the Prometheus metrics server
(`prometheus_metrics`) and the webhook alerts (`alerts`).

One hook for the places that run an engine (`sync --headless`, the TUI), so each of them
changes by one `async with`. Both parts listen to the engine's journal. The alerts follow
a reloaded `[alerts]` section (`Monitoring.use_alerts`, on SIGHUP); the metrics server
keeps its port until a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from leadsync_tui.config import AlertsSettings, Settings
from leadsync_tui.sync.alerts import run_alerts
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.prometheus_metrics import MetricsPortError, serve_metrics

__all__ = ["MetricsPortError", "Monitoring", "monitoring"]


class Monitoring:
    """The running monitoring of one engine; its alerts can be swapped while it runs."""

    def __init__(self, engine: SyncEngine, alerts: AlertsSettings) -> None:
        self._engine = engine
        self._alerts = alerts
        self._stack = AsyncExitStack()

    async def use_alerts(self, alerts: AlertsSettings) -> None:
        """Alert with `alerts` from now on (none when its webhook_url is unset). A changed
        section starts the alerter afresh: what is wrong now is said again."""
        if alerts == self._alerts:
            return
        await self.close()
        self._alerts = alerts
        await self.start()

    async def start(self) -> None:
        """Start alerting when a webhook is configured."""
        if self._alerts.webhook_url is not None:
            await self._stack.enter_async_context(run_alerts(self._engine, self._alerts))

    async def close(self) -> None:
        """Stop alerting (the alerter's task ends)."""
        await self._stack.aclose()
        self._stack = AsyncExitStack()


@asynccontextmanager
async def monitoring(
    engine: SyncEngine, settings: Settings, *, metrics: bool = True
) -> AsyncIterator[Monitoring]:
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
        watch = Monitoring(engine, settings.alerts)
        stack.push_async_callback(watch.close)
        await watch.start()
        yield watch

"""`sync --headless --metrics-port P`: the engine's figures for Prometheus, on `/metrics`.

Two kinds of figure, each from the one place that already knows it:
- counters and latency histograms are fed by the engine's journal (`Journal.listen`):
  every attempt the sync log records is counted here, by the same event, never by a
  second instrumentation that could disagree with it;
- gauges (outbox, open conflicts, live feed, ResMan poll lag, engine holder, last drift
  scan) are read from the store when Prometheus scrapes, so they are never out of step.

Each `EngineMetrics` has its own `CollectorRegistry` (not prometheus-client's global
one): two engines in one process, or the tests, never collide. The server is uvicorn on
our own event loop (`http_server.serve_asgi`), bound to loopback unless `[sync]
metrics_host` says otherwise. Labels hold kinds and ids only, never customer data.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.types import Receive, Scope, Send

from leadsync_tui.http_server import serve_asgi
from leadsync_tui.models import SyncDirection, utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.drift_report import last_state as last_drift
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.engine_presence import is_alive

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Seconds; one upstream call with its retries fits under the last bucket or is slow."""

UPSTREAM_OF = {
    SyncDirection.DOMIQ_TO_RESMAN.value: "resman",
    SyncDirection.RESMAN_TO_DOMIQ.value: "domiq",
}
"""The system an attempt of each direction wrote to."""

SEVERITIES = ("low", "medium", "high")


class MetricsPortError(Exception):
    """The metrics server could not listen; the message says where and what to do."""


@dataclass
class _Snapshot:
    """The store's figures as read at the start of one scrape."""

    outbox: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    feed_connected: bool | None = None
    last_ping_age: float | None = None
    reconnect_attempts: int = 0
    poll_lag: float | None = None
    engine: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None


class EngineMetrics:
    """The registry `/metrics` serves: journal-fed counters plus store-read gauges."""

    def __init__(
        self,
        db: Database,
        store: LeadSyncStore,
        *,
        feed: bool,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._store = store
        self._feed = feed
        self._now = now
        self.registry = CollectorRegistry(auto_describe=True)
        self.attempts = Counter(
            "leadsync_sync_attempts",
            "Sync attempts (rows of the sync log) by direction, type and outcome.",
            ["direction", "type", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "leadsync_upstream_latency_seconds",
            "How long one write to an upstream took, retries included.",
            ["upstream"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reconcile_failures = Counter(
            "leadsync_reconcile_failures",
            "Reconcile passes that could not read DomIQ or ResMan.",
            registry=self.registry,
        )
        self.conflicts_detected = Counter(
            "leadsync_conflicts_detected",
            "Conflicts detected, by severity.",
            ["severity"],
            registry=self.registry,
        )
        self.snapshot = _Snapshot()
        """What the last `refresh` read; the gauges show it."""
        self.registry.register(_StoreCollector(self))

    def observe(self, event: dict[str, Any]) -> None:
        """A journal listener: counts what the engine reports (runs on the event loop)."""
        kind = event.get("event")
        if kind == "attempt":
            direction = str(event.get("direction"))
            self.attempts.labels(direction, str(event.get("type")), str(event.get("status"))).inc()
            latency_ms = event.get("latency_ms")
            upstream = UPSTREAM_OF.get(direction)
            if upstream is not None and isinstance(latency_ms, int | float):
                self.latency.labels(upstream).observe(latency_ms / 1000)
        elif kind == "reconcile_failed":
            self.reconcile_failures.inc()
        elif kind == "conflict":
            self.conflicts_detected.labels(str(event.get("severity"))).inc()

    async def refresh(self) -> None:
        """Read the store's figures for the scrape about to be rendered."""
        now = self._now()
        counts = await self._db.outbox_counts()
        conflicts = dict.fromkeys(SEVERITIES, 0)
        for conflict in await self._db.open_conflicts():
            severity = conflict.conflict_severity.value
            conflicts[severity] = conflicts.get(severity, 0) + 1
        state = self._store.state
        snapshot = _Snapshot(
            outbox=counts.model_dump(),
            conflicts=conflicts,
            poll_lag=await self._poll_lag(now),
            engine=await self._engine(now),
            drift=await last_drift(self._db),
        )
        if self._feed:
            snapshot.feed_connected = state.real_time_connected
            snapshot.reconnect_attempts = state.reconnect_attempts
            if state.last_ping is not None:
                snapshot.last_ping_age = max(0.0, (now - state.last_ping).total_seconds())
        self.snapshot = snapshot

    def render(self) -> bytes:
        """The Prometheus text format of everything (call `refresh` first)."""
        return generate_latest(self.registry)

    async def _poll_lag(self, now: datetime) -> float | None:
        value = await self._db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH)
        if value is None:
            return None
        try:
            through = datetime.fromisoformat(value)
        except ValueError:
            return None
        return max(0.0, (now - through).total_seconds())

    async def _engine(self, now: datetime) -> dict[str, Any] | None:
        record = await self._db.engine_record()
        if record is None:
            return None
        return {
            "host": record.host,
            "pid": str(record.pid),
            "mode": record.mode,
            "generation": getattr(record, "generation", 0),
            "alive": is_alive(record, now),
            "heartbeat_age": max(0.0, (now - record.heartbeat_at).total_seconds()),
        }


class _StoreCollector(Collector):
    """The gauges, from the snapshot `EngineMetrics.refresh` took for this scrape."""

    def __init__(self, metrics: EngineMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []  # unchecked: the families depend on what the store holds

    def collect(self) -> Iterable[Metric]:
        snap = self._metrics.snapshot
        outbox = GaugeMetricFamily(
            "leadsync_outbox_items", "Outbox items by status.", labels=["status"]
        )
        for status in ("pending", "in_flight", "failed"):
            outbox.add_metric([status], snap.outbox.get(status, 0))
        yield outbox
        conflicts = GaugeMetricFamily(
            "leadsync_open_conflicts", "Conflicts waiting for a decision.", labels=["severity"]
        )
        for severity, count in sorted(snap.conflicts.items()):
            conflicts.add_metric([severity], count)
        yield conflicts
        yield from _feed(snap)
        if snap.poll_lag is not None:
            yield GaugeMetricFamily(
                "leadsync_resman_poll_lag_seconds",
                "Seconds since the end of the last ResMan window applied (ResMan's clock).",
                value=snap.poll_lag,
            )
        yield from _engine(snap.engine)
        yield from _drift(snap.drift)


def _feed(snap: _Snapshot) -> Iterable[Metric]:
    if snap.feed_connected is None:
        return
    yield GaugeMetricFamily(
        "leadsync_live_feed_connected",
        "1 while DomIQ's live event feed is connected.",
        value=1 if snap.feed_connected else 0,
    )
    yield GaugeMetricFamily(
        "leadsync_live_feed_reconnect_attempts",
        "Reconnects tried since the feed was last connected.",
        value=snap.reconnect_attempts,
    )
    if snap.last_ping_age is not None:
        yield GaugeMetricFamily(
            "leadsync_live_feed_last_ping_age_seconds",
            "Seconds since the feed last heard from DomIQ (a heartbeat or an event).",
            value=snap.last_ping_age,
        )


def _engine(engine: dict[str, Any] | None) -> Iterable[Metric]:
    if engine is None:
        return
    info = GaugeMetricFamily(
        "leadsync_engine_holder",
        "The engine recorded on this store (1 while alive): host, pid, mode.",
        labels=["host", "pid", "mode"],
    )
    info.add_metric([engine["host"], engine["pid"], engine["mode"]], 1 if engine["alive"] else 0)
    yield info
    yield GaugeMetricFamily(
        "leadsync_engine_generation",
        "How many engines took the store in turn (the fencing token).",
        value=engine["generation"],
    )
    yield GaugeMetricFamily(
        "leadsync_engine_heartbeat_age_seconds",
        "Seconds since the recorded engine's last heartbeat.",
        value=engine["heartbeat_age"],
    )


def _drift(state: dict[str, Any] | None) -> Iterable[Metric]:
    if not state:
        return
    at = _timestamp(state.get("at"))
    if at is not None:
        yield GaugeMetricFamily(
            "leadsync_drift_last_scan_timestamp_seconds",
            "When the last drift scan ended (Unix time).",
            value=at,
        )
    yield GaugeMetricFamily(
        "leadsync_drift_last_scan_ok",
        "1 if the last drift scan finished.",
        value=0 if state.get("error") else 1,
    )
    for key, help_text in (
        ("pairs_checked", "Linked pairs the last drift scan compared."),
        ("out_of_step", "Pairs the last drift scan found out of step."),
        ("unrepaired", "Pairs out of step the last drift scan did not repair."),
    ):
        yield GaugeMetricFamily(
            f"leadsync_drift_last_scan_{key}", help_text, value=float(state.get(key) or 0)
        )


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return stamp if math.isfinite(stamp) else None


def asgi_app(metrics: EngineMetrics) -> Callable[[Scope, Receive, Send], Any]:
    """`GET /metrics` (and `/`): a fresh read of the store, then the text format."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] not in ("/metrics", "/") or scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 404, b"not found: try /metrics\n", "text/plain")
            return
        await metrics.refresh()
        await _answer(send, 200, metrics.render(), CONTENT_TYPE_LATEST)

    return app


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serve_metrics(
    engine: SyncEngine, host: str, port: int, *, now: Callable[[], datetime] = utc_now
) -> AsyncIterator[str]:
    """Count `engine`'s journal and serve `/metrics` on host:port while the block runs;
    yields the base URL (port 0 = a free one). A port that cannot be bound raises
    `MetricsPortError`."""
    metrics = EngineMetrics(engine.db, engine.store, feed=engine.watcher is not None, now=now)
    async with AsyncExitStack() as stack:
        stack.callback(engine.journal.listen(metrics.observe))
        try:
            url = await stack.enter_async_context(serve_asgi(asgi_app(metrics), host, port))
        except OSError as exc:
            raise MetricsPortError(
                f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}; choose another "
                "port with --metrics-port (or [sync] metrics_port), or stop what listens there"
            ) from None
        yield url

"""Reloading the configuration of a running `sync --headless` (SIGHUP, `systemctl reload`).

The file is found, read and validated again exactly as at start (`load_settings`). A bad
file is refused with one `reload_refused` line naming each problem, and the running
settings stay. Otherwise the keys that can change under a running engine (`LIVE_KEYS`:
poll interval, limits, the property map, conflict policy, alerts, roles) take effect from
the next claim and the next pass (`SyncEngine.reconfigure`; a pass starts at once); what
is in flight goes on untouched. Any other key that changed (the database, endpoints,
credentials, TLS, the metrics port, ...) keeps its running value and is listed in the
`reloaded` line under `needs_restart`. Lines name keys, never values: a secret may have
changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from leadsync_tui.config import ConfigError, LoadedSettings, Settings
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.monitoring import Monitoring

LIVE_SYNC_KEYS = ("poll_interval", "concurrency", "max_attempts")
LIVE_KEYS = (
    *(f"sync.{key}" for key in LIVE_SYNC_KEYS),
    "resman.properties",
    "policy",
    "alerts",
    "roles",
)
"""Dotted keys (and the tables under them) a reload applies to the running engine."""

RESTART_HINT = "restart to apply them (systemctl restart leadsync-sync)"


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{dotted}.")
        else:
            yield dotted, value


def changed_keys(old: Settings, new: Settings) -> list[str]:
    """The dotted keys whose value differs (a key only one side has counts; secrets
    compare by value, and are never returned as more than their name)."""
    before = dict(_leaves(old.model_dump()))
    after = dict(_leaves(new.model_dump()))
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    # an empty table on one side and its keys on the other: name the keys only
    return sorted(k for k in changed if not any(o.startswith(f"{k}.") for o in changed))


def is_live(key: str, *, demo: bool) -> bool:
    """Whether a reload applies `key` (in demo mode the simulators own the property map)."""
    keys = [k for k in LIVE_KEYS if not (demo and k == "resman.properties")]
    return any(key == k or key.startswith(f"{k}.") for k in keys)


def with_live(base: Settings, new: Settings, *, demo: bool) -> Settings:
    """`base` with the live keys of `new`; every other key keeps `base`'s value."""
    sync = base.sync.model_copy(update={key: getattr(new.sync, key) for key in LIVE_SYNC_KEYS})
    update: dict[str, Any] = {
        "sync": sync,
        "policy": new.policy,
        "alerts": new.alerts,
        "roles": new.roles,
    }
    if not demo:
        update["resman"] = base.resman.model_copy(update={"properties": new.resman.properties})
    return base.model_copy(update=update)


class Reloader:
    """Re-reads the configuration and applies what can change to a running engine."""

    def __init__(
        self,
        load: Callable[[], LoadedSettings],
        configured: Settings,
        engine: SyncEngine,
        watch: Monitoring | None = None,
    ) -> None:
        self._load = load
        self._configured = configured
        """What the file said at start, with every live change applied since."""
        self._engine = engine
        self._watch = watch
        self._demo = configured.is_demo

    async def reload(self) -> None:
        """One reload: a `reload_refused` or a `reloaded` line, never an exception for
        a bad file."""
        journal = self._engine.journal
        try:
            loaded = self._load()
        except ConfigError as exc:
            journal.emit(
                "reload_refused",
                path=None if exc.path is None else str(exc.path),
                problems=exc.problems,
                kept="the running configuration",
            )
            return
        new = loaded.settings
        changed = changed_keys(self._configured, new)
        applied = [key for key in changed if is_live(key, demo=self._demo)]
        later = [key for key in changed if not is_live(key, demo=self._demo)]
        running = with_live(self._engine.settings, new, demo=self._demo)
        self._configured = with_live(self._configured, new, demo=self._demo)
        if applied:
            self._engine.reconfigure(running)
            if self._watch is not None:
                await self._watch.use_alerts(running.alerts)
        journal.emit(
            "reloaded",
            path=None if loaded.path is None else str(loaded.path),
            applied=applied,
            needs_restart=later,
            hint=RESTART_HINT if later else None,
            poll_interval=running.sync.poll_interval,
            warnings=list(loaded.warnings) or None,
        )

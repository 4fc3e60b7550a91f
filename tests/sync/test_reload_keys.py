"""Which keys a SIGHUP reload applies live and which wait for a restart (`sync.reload`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from leadsync_tui.config import (
    AlertsSettings,
    DomiqSettings,
    PolicySettings,
    ResmanProperty,
    ResmanSettings,
    Settings,
    SyncSettings,
)
from leadsync_tui.models import Resolution
from leadsync_tui.sync.reload import changed_keys, is_live, with_live


def live(token: str = "dq-token", **properties: str) -> Settings:
    return Settings(
        domiq=DomiqSettings(base_url="https://dq.example", token=SecretStr(token)),
        resman=ResmanSettings(
            base_url="https://rm.example",
            integration_partner_id="p",
            api_key=SecretStr("rm-key"),
            account_id=1,
            properties={k: ResmanProperty(property_id=v) for k, v in properties.items()},
        ),
    )


def test_a_new_property_and_policy_are_named_by_their_keys() -> None:
    old = live(prop_a="A")
    new = old.model_copy(
        update={
            "resman": old.resman.model_copy(
                update={
                    "properties": {
                        **old.resman.properties,
                        "prop_b": ResmanProperty(property_id="B"),
                    }
                }
            ),
            "policy": PolicySettings(fields={"notes": Resolution.DOMIQ_WINS}),
        }
    )
    changed = changed_keys(old, new)
    assert changed == ["policy.fields.notes", "resman.properties.prop_b.property_id"]
    assert all(is_live(key, demo=False) for key in changed)
    applied = with_live(old, new, demo=False)
    assert set(applied.resman.properties) == {"prop_a", "prop_b"}


def test_a_changed_secret_is_named_never_shown_and_waits_for_a_restart() -> None:
    old, new = live("old-secret"), live("new-secret")
    assert changed_keys(old, new) == ["domiq.token"]
    assert not is_live("domiq.token", demo=False)
    assert with_live(old, new, demo=False).domiq.token == SecretStr("old-secret")


def test_only_live_keys_move_and_the_database_stays(tmp_path: Path) -> None:
    old = live()
    new = old.model_copy(
        update={
            "sync": SyncSettings(database=tmp_path / "other.db", poll_interval=5, concurrency=2),
            "alerts": AlertsSettings(min_interval=10),
        }
    )
    assert changed_keys(old, new) == [
        "alerts.min_interval",
        "sync.concurrency",
        "sync.database",
        "sync.poll_interval",
    ]
    applied = with_live(old, new, demo=False)
    assert (applied.sync.poll_interval, applied.sync.concurrency) == (5, 2)
    assert applied.sync.database == old.sync.database
    assert applied.alerts.min_interval == 10


def test_in_demo_mode_the_simulators_own_the_property_map() -> None:
    assert not is_live("resman.properties.prop_a.source_id", demo=True)
    assert is_live("resman.properties.prop_a.source_id", demo=False)
    assert is_live("policy.default", demo=True)

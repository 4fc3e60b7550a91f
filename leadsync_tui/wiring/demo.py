"""The demo's half of the wiring: settings pointed at the embedded simulators, and a
demo database started afresh on every demo run (kept afterwards, so `leadsync status`
can read what the last demo run did)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from leadsync_tui.config import DomiqSettings, ResmanProperty, ResmanSettings, Settings
from leadsync_tui.private_files import private_dir

if TYPE_CHECKING:
    from leadsync_tui.sim.runner import RunningSims


def settings_for_sims(settings: Settings, sims: RunningSims) -> Settings:
    """The configured settings, pointed at the running simulators (with the world's
    default lost reason, which a disqualification needs)."""
    world = sims.world
    return settings.model_copy(
        update={
            "domiq": DomiqSettings(base_url=sims.domiq_url, token=SecretStr(world.token)),
            "resman": ResmanSettings(
                base_url=sims.resman_url,
                integration_partner_id=world.partner_id,
                api_key=SecretStr(world.api_key),
                account_id=world.account_id,
                properties={
                    link.domiq_id: ResmanProperty(
                        property_id=link.property_id,
                        name=link.name,
                        source_id=link.source_id,
                        agent_id=link.agent_id,
                        lost_reason_id=world.default_lost_reason_id,
                    )
                    for link in world.properties
                },
            ),
        }
    )


def fresh_database(path: Path) -> None:
    private_dir(path.parent)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)

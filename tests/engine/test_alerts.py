"""`[alerts] webhook_url`: messages that reach a (local, real) webhook receiver while the
engine syncs against the simulators and their fault knobs cause failures and feed drops.

One message per change of state, a "recovered" when it ends, never per event; retries
when the receiver fails; the minimum interval; and never a secret or a customer's
details in a message or a log line.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from leadsync_tui.cli import main
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import AlertsSettings
from leadsync_tui.http_server import serve_asgi
from leadsync_tui.models import AttemptStatus, SyncDirection
from leadsync_tui.sim.world_records import DOMIQ_TOKEN, RESMAN_API_KEY
from leadsync_tui.store.error_groups import classify
from leadsync_tui.sync.alerts import Alerter, WebhookPoster, run_alerts
from leadsync_tui.sync.engine import SyncEngine
from tests.engine.conftest import Rig, sim_rig
from tests.waiting import eventually

HOOK_SECRET = "T0001/B0002/xoxb-not-a-real-secret-9f8e7d"


@dataclass
class Receiver:
    """A webhook on loopback: keeps every post; can answer 500 to the next few."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    fail_next: int = 0

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.posts.append(body)
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"ok": False}, status_code=500)
        self.texts.append(body["text"])
        return JSONResponse({"ok": True})

    def lines(self) -> list[str]:
        return [line for text in self.texts for line in text.splitlines()]


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = Starlette(routes=[Route("/services/{rest:path}", found.hook, methods=["POST"])])
    async with serve_asgi(app) as base:
        found.url = f"{base}/services/{HOOK_SECRET}"
        yield found


def fast_poster(url: str) -> WebhookPoster:
    return WebhookPoster(
        SecretStr(url),
        retry=RetryPolicy(attempts=4, total_seconds=10, initial_wait=0.01, max_wait=0.02),
    )


async def set_faults(base_url: str, **knobs: float) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.put(f"{base_url}/_sim/faults", json=knobs)
    assert answer.status_code == 200, answer.text


def customer_details(rig: Rig) -> set[str]:
    """Every name, email and phone the simulators hold (none may appear in a message)."""
    found: set[str] = set()
    for lead in rig.sims.world.domiq.all_leads():
        for value in (lead.first_name, lead.last_name, lead.email, lead.phone):
            if value and len(value) > 2:
                found.add(str(value))
    return found


def assert_clean(texts: list[str], rig: Rig, logs: str) -> None:
    joined = "\n".join(texts)
    for secret in (HOOK_SECRET, DOMIQ_TOKEN, RESMAN_API_KEY):
        assert secret not in joined and secret not in logs
    for detail in customer_details(rig):
        assert detail not in joined, detail


async def test_failures_conflicts_and_recovery_are_each_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with (
        receiver() as hook,
        sim_rig(tmp_path, leads=30, max_attempts=2) as rig,
        rig.engine() as engine,
    ):
        settings = AlertsSettings(
            webhook_url=SecretStr(hook.url), min_interval=0, window=3, feed_down_after=60
        )
        async with run_alerts(
            engine, settings, poster=fast_poster(hook.url), check_every=0.02
        ) as alerter:
            # a pass queues the writes; ResMan then refuses every request (the
            # simulator's knob): the writes to it fail, and are parked
            await engine.reconcile_once()
            await set_faults(rig.sims.resman_url, rate_limit_rate=1.0)
            await engine.drain(max_wait=1)
            await eventually(lambda: any("failed to sync to ResMan" in t for t in hook.lines()))
            await eventually(lambda: any("stopped syncing" in t for t in hook.lines()))
            # ResMan is back: the parked items are retried and sent; the window passes
            await set_faults(rig.sims.resman_url, rate_limit_rate=0.0)
            await engine.retry_failed()
            assert await engine.drain(max_wait=10)
            await eventually(
                lambda: sum(line.startswith("recovered") for line in hook.lines()) >= 2,
                within_s=15,
            )
            # the seeded conflicts, found on the way, wait for a person: said once
            conflicts = await engine.db.open_conflicts()
            assert conflicts
            await eventually(lambda: any("conflict" in line for line in hook.lines()))
            await asyncio.sleep(0.2)  # nothing more is said once all is well
            logs = await engine.db.recent_logs(datetime(2000, 1, 1, tzinfo=UTC))
        assert alerter.posted == hook.texts

    lines = hook.lines()
    failed = [
        log
        for log in logs
        if log.sync_status is AttemptStatus.FAILED
        and log.sync_direction is SyncDirection.DOMIQ_TO_RESMAN
    ]
    leads = {log.conversation_id for log in failed}
    reasons = {classify(log.error_message).value for log in failed}
    # each change of state once: three starts, two ends (the conflicts still wait);
    # a start says the count when it was noticed (more may have come since)
    said = [line for line in lines if "conflict" in line]
    assert len(said) == 1
    counted = re.fullmatch(r"(\d+) conflicts? needs? a (manager|decision.*)", said[0])
    assert counted is not None, said
    assert 1 <= int(counted[1]) <= len(conflicts)
    failing = [line for line in lines if "failed to sync" in line]
    assert len(failing) == 1, lines
    found = re.fullmatch(
        r"(\d+) leads? failed to sync to ResMan in the last 3 s — top reason: (.+)", failing[0]
    )
    assert found is not None, failing
    assert 1 <= int(found[1]) <= len(leads) and reasons == {found[2]}
    assert len([line for line in lines if "stopped syncing" in line]) == 1
    assert sorted(line for line in lines if line.startswith("recovered")) == [
        "recovered: leads sync to ResMan again",
        "recovered: no lead waits for a person after failing",
    ]
    assert len(lines) == 5
    assert all(set(post) == {"text"} for post in hook.posts)  # Slack's shape
    assert_clean(hook.texts, rig, caplog.text)


async def test_a_feed_that_keeps_dropping_is_said_down_then_recovered(tmp_path: Path) -> None:
    async with (
        receiver() as hook,
        sim_rig(tmp_path, leads=10, poll_interval=0.3) as rig,
        rig.engine(watcher=True) as engine,
    ):
        settings = AlertsSettings(
            webhook_url=SecretStr(hook.url), min_interval=0, window=1, feed_down_after=0.3
        )
        async with run_alerts(engine, settings, poster=fast_poster(hook.url), check_every=0.02):
            runner = asyncio.create_task(engine.run())
            try:
                await _drop_and_restore_the_feed(rig, engine, hook)
            finally:
                await engine.stop()
                await asyncio.wait_for(runner, 20)
    feed = [line for line in hook.lines() if "feed" in line]
    assert len(feed) == 2, hook.texts
    assert feed[0].startswith("DomIQ live feed down for ")
    assert feed[1].startswith("recovered: DomIQ live feed is back (down ")
    assert_clean(hook.texts, rig, "")


async def _drop_and_restore_the_feed(rig: Rig, engine: SyncEngine, hook: Receiver) -> None:
    state = engine.store.state
    await eventually(lambda: state.real_time_connected and state.last_ping is not None, 15)
    # every event frame now cuts the socket; an edit makes one (replayed on each reconnect)
    await set_faults(rig.sims.domiq_url, ws_drop_rate=1.0)
    rig.sims.world.domiq.edit_lead(rig.sims.world.linked_pairs[0], {"notes": "top floor"})
    await eventually(lambda: any("feed down" in line for line in hook.lines()), 15)
    await set_faults(rig.sims.domiq_url, ws_drop_rate=0.0)
    await eventually(lambda: any("feed is back" in line for line in hook.lines()), 15)


async def test_a_receiver_answering_500_gets_the_message_again(tmp_path: Path) -> None:
    async with receiver() as hook:
        hook.fail_next = 2
        assert await fast_poster(hook.url).post("3 conflicts need a manager")
    assert len(hook.posts) == 3
    assert hook.texts == ["3 conflicts need a manager"]


async def test_a_receiver_that_refuses_is_not_retried_and_its_url_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with receiver() as hook:
        poster = fast_poster(hook.url.replace("/services/", "/elsewhere/"))
        assert not await poster.post("3 conflicts need a manager")
    assert hook.posts == []
    assert "refused the message (HTTP 404)" in caplog.text
    assert HOOK_SECRET not in caplog.text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_changes_within_the_minimum_interval_wait_and_go_out_together(
    tmp_path: Path,
) -> None:
    clock = Clock()
    async with (
        receiver() as hook,
        sim_rig(tmp_path, leads=10) as rig,
        rig.engine() as engine,
    ):
        settings = AlertsSettings(webhook_url=SecretStr(hook.url), min_interval=60, window=300)
        alerter = Alerter(engine, settings, poster=fast_poster(hook.url), clock=clock)
        engine.journal.listen(alerter.observe)

        def fail(cid: str, direction: str = "domiq_to_resman") -> None:
            engine.journal.emit(
                "attempt",
                conversation_id=cid,
                direction=direction,
                type="update",
                status="failed",
                error="HTTP 503 from ResMan: Service Unavailable",
            )

        fail("conv_1")
        await alerter.check()
        assert hook.texts == [
            "1 lead failed to sync to ResMan in the last 5 min — top reason: server error (5xx)"
        ]
        fail("conv_2")  # the same state, more failures: nothing new to say
        clock.now += 61
        await alerter.check()
        assert len(hook.texts) == 1
        # five quiet minutes: recovered
        clock.now += 300
        await alerter.check()
        assert hook.texts[-1] == "recovered: leads sync to ResMan again"
        # two changes 10 s after that post: they wait for the minimum interval ...
        fail("conv_3")
        fail("conv_4", direction="resman_to_domiq")
        clock.now += 10
        await alerter.check()
        assert len(hook.texts) == 2
        clock.now += 49
        await alerter.check()
        assert len(hook.texts) == 2
        # ... and go out together, in one message
        clock.now += 1
        await alerter.check()
        assert len(hook.texts) == 3
        assert hook.texts[-1].splitlines() == [
            "1 lead failed to sync to DomIQ in the last 5 min — top reason: server error (5xx)",
            "1 lead failed to sync to ResMan in the last 5 min — top reason: server error (5xx)",
        ]


def test_config_check_masks_the_webhook_and_a_bad_one_is_refused_without_echo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "leadsync.toml"
    config.write_text(f'[alerts]\nwebhook_url = "https://hooks.example/{HOOK_SECRET}"\n')
    config.chmod(0o600)
    assert main(["config", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "alerts.webhook_url" in out and "******** (set, hidden)" in out
    assert re.search(r"alerts\.min_interval +60\.0 +\[default\]", out)
    assert HOOK_SECRET not in out

    config.write_text(f'[alerts]\nwebhook_url = "hooks.example/{HOOK_SECRET}"\n')
    assert main(["config", "check", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "alerts.webhook_url: is not an http:// or https:// URL" in captured.err
    assert HOOK_SECRET not in captured.err + captured.out


async def test_only_the_engine_holding_the_lease_speaks(tmp_path: Path) -> None:
    """Every window reads the same store: a watcher posting too would say it all twice."""
    async with receiver() as hook, sim_rig(tmp_path, leads=30) as rig:
        settings = AlertsSettings(
            webhook_url=SecretStr(hook.url), min_interval=0, window=3, feed_down_after=60
        )
        async with rig.engine() as holder:
            assert (await holder.run_once(max_wait=10)).complete
            assert await holder.db.open_conflicts()  # something to say
            async with holder.lease.holding("run"), rig.engine(watcher=True) as watcher:
                async with run_alerts(
                    watcher, settings, poster=fast_poster(hook.url), check_every=0.02
                ):
                    await asyncio.sleep(0.5)  # 25 checks
                assert hook.texts == []
                async with run_alerts(
                    holder, settings, poster=fast_poster(hook.url), check_every=0.02
                ):
                    await eventually(lambda: any("conflict" in t for t in hook.lines()))

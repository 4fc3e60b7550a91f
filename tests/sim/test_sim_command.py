"""`leadsync sim` from outside: what it prints works as printed, and it stops cleanly."""

from __future__ import annotations

import errno
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from leadsync_tui.cli import main
from leadsync_tui.sim.command import CONFIG_BEGIN, CONFIG_END, banner, bind_problem
from leadsync_tui.sim.runner import SimOptions, SimulatorBindError, run_simulators
from tests.clocks import FrozenClock
from tests.sim.domiq_fixtures import T0

QUICK = ["--domiq-port", "0", "--resman-port", "0", "--leads", "20", "--activity-per-min", "0"]


class Running:
    """`leadsync sim` in a subprocess, its stdout read line by line on a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadsync_tui.cli", "sim", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, last: str, within_s: float = 15.0) -> list[str]:
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=within_s)
            except queue.Empty:
                pytest.fail(f"no {last!r} within {within_s} s; got {seen}")
            if line is None:
                pytest.fail(f"exited before {last!r}: {seen} {self.stop(signal.SIGKILL)}")
            seen.append(line)
            if line == last:
                return seen

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send `signum`, wait; -> (exit code, rest of stdout, stderr)."""
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=15)
        rest = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        assert self.proc.stderr is not None
        return code, "\n".join(rest), self.proc.stderr.read()


@pytest.fixture
def sim() -> Iterator[Running]:
    running = Running(*QUICK)
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()
    running.pump.join(timeout=5)
    for stream in (running.proc.stdout, running.proc.stderr):
        if stream is not None:
            stream.close()


def config_block(lines: list[str]) -> dict[str, Any]:
    block = lines[lines.index(CONFIG_BEGIN) : lines.index(CONFIG_END) + 1]
    return tomllib.loads("\n".join(block))


def printed_curl(lines: list[str], needle: str) -> list[str]:
    (line,) = [line for line in lines if line.strip().startswith("curl") and needle in line]
    return shlex.split(line)


def as_request(argv: list[str]) -> httpx.Request:
    """What curl would send for the printed command (-X, -H, -d and the URL)."""
    method, headers, data, url = "GET", {}, [], ""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif arg == "-d":
            data.append(next(args))
            method = "POST" if method == "GET" else method
        else:
            url = arg
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return httpx.Request(method, url, headers=headers, content="&".join(data).encode())


def test_sim_prints_working_credentials_and_stops_on_sigint(sim: Running) -> None:
    lines = sim.read_until(CONFIG_END)
    text = "\n".join(lines)
    config = config_block(lines)
    domiq, resman = config["domiq"], config["resman"]
    for value in (
        domiq["base_url"],
        domiq["token"],
        resman["base_url"],
        resman["integration_partner_id"],
        resman["api_key"],
        f"account id       {resman['account_id']}",
        "/_sim/faults",
        "/_sim/stats",
        "/_sim/settings",
    ):
        assert str(value) in text
    for key, ids in resman["properties"].items():
        assert f"{key}" in text and all(ids[k] in text for k in ("property_id", "source_id"))

    with httpx.Client(timeout=5) as http:
        leads = http.send(as_request(printed_curl(lines, "/v1/leads?limit=2")))
        assert leads.status_code == 200 and len(leads.json()["data"]) == 2
        properties = http.send(as_request(printed_curl(lines, "/Account/GetProperties")))
        assert properties.json()["Status"] == "Success"
        found = {p["PropertyID"] for p in properties.json()["Properties"]}
        assert found == {p["property_id"] for p in resman["properties"].values()}

    code, rest, err = sim.stop(signal.SIGINT)
    assert code == 0, err
    assert rest.strip().splitlines()[-1] == "leadsync sim: simulators stopped. Goodbye."
    assert "Traceback" not in err


def test_sim_stops_cleanly_on_sigterm(sim: Running) -> None:
    sim.read_until(CONFIG_END)
    code, rest, err = sim.stop(signal.SIGTERM)
    assert (code, "Traceback" in err) == (0, False)
    assert "Goodbye" in rest


async def test_the_banner_lists_every_property_and_the_controls() -> None:
    options = SimOptions(domiq_port=0, resman_port=0, leads=20, activity_per_min=0)
    async with run_simulators(replace(options, now=FrozenClock(T0))) as sims:
        text = banner(sims, options)
        for link in sims.world.properties:
            assert all(v in text for v in (link.property_id, link.source_id, link.agent_id))
        assert f"GET|PUT {sims.resman_url}/_sim/settings" in text
        assert f"curl -X PUT {sims.domiq_url}/_sim/faults -d '{{\"error_rate\": 0.2}}'" in text
        assert text.endswith("Serving until Ctrl+C (or SIGTERM).\n")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--leads", "-1"], "--leads"),
        (["--leads", "10000000"], "--leads"),  # once: minutes of silence, then out of memory
        (["--fault-rate", "1.5"], "--fault-rate"),
        (["--fault-rate", "-0.1"], "--fault-rate"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--latency-ms", "nan"], "--latency-ms"),
        (["--domiq-port", "70000"], "--domiq-port"),
        (["--resman-port", "-1"], "--resman-port"),
        (["--search-limit", "0"], "--search-limit"),
        (["--activity-per-min", "-2"], "--activity-per-min"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    args: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"leadsync sim: {option} must be") and "; " in err


def test_a_big_world_shows_its_build_progress() -> None:
    """From 5,000 leads the build takes seconds to minutes: say how far it has come."""
    running = Running(*QUICK[:4], "--leads", "5000", "--activity-per-min", "0")
    try:
        running.read_until(CONFIG_END, within_s=120)
        code, _, err = running.stop(signal.SIGINT)
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == "leadsync sim: building a world of 5,000 conversations..."
    steps = [line for line in lines if "building the world:" in line]
    assert len(steps) == 20
    assert steps[0] == "leadsync sim: building the world: 250 of 5,000 conversations"
    assert steps[-1] == "leadsync sim: building the world: 5,000 of 5,000 conversations"


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield blocker.getsockname()[1]


def test_a_busy_port_is_named_with_the_fix(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", *QUICK, "--domiq-port", str(busy_port)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert f"port {busy_port}" in err and "--domiq-port 0" in err
    assert "Traceback" not in err


def test_other_bind_failures_say_what_to_pass() -> None:
    unknown_host = SimulatorBindError(
        "domiq", "nohost.invalid", 8701, socket.gaierror(-2, "Name or service not known")
    )
    assert "--host 127.0.0.1" in bind_problem(unknown_host)
    denied = SimulatorBindError("resman", "127.0.0.1", 80, OSError(errno.EACCES, "denied"))
    assert "--resman-port 0" in bind_problem(denied) and "port 80" in bind_problem(denied)

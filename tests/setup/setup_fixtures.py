"""The rig of the set-up tests: the real simulators on loopback, the real `leadsync`
command run on a thread (its own event loop, as a user's process has), its output."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from leadsync_tui.cli import main
from leadsync_tui.private_files import open_private
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.sim.world_records import DOMIQ_TOKEN, RESMAN_API_KEY

SECRETS = (DOMIQ_TOKEN, RESMAN_API_KEY)


@dataclass(frozen=True)
class Run:
    """What one `leadsync ...` printed and how it ended."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def line_of(self, subject: str, check: str) -> str:
        """The table row of one check (`prop_oakridge`, `agent`)."""
        return next(line for line in self.lines if line.split()[:1] == [subject] and check in line)

    def fix_after(self, subject: str, check: str) -> str:
        """The `fix:` line under a row."""
        index = self.lines.index(self.line_of(subject, check))
        following = self.lines[index + 1].strip()
        assert following.startswith("fix: "), following
        return following.removeprefix("fix: ")


def _run_sync(argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return Run(code, out.getvalue(), err.getvalue())


async def leadsync(*argv: str) -> Run:
    """`leadsync ARGV` on a thread, so the simulators on this loop keep answering."""
    return await asyncio.to_thread(_run_sync, list(argv))


@asynccontextmanager
async def simulators(leads: int = 30) -> AsyncIterator[RunningSims]:
    options = SimOptions(domiq_port=0, resman_port=0, leads=leads, activity_per_min=0)
    async with run_simulators(options) as sims:
        yield sims


def write_config(path: Path, text: str) -> Path:
    """A config file as a careful operator keeps it: owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(path) as handle:
        handle.write(text)
    return path


def assert_no_secret(run: Run) -> None:
    for secret in SECRETS:
        assert secret not in run.out and secret not in run.err

"""The `leadsync` command: a thin layer that parses, loads config and hands over.

`leadsync` (or `leadsync tui`) opens the TUI; `sync --headless`, `status`, `drift`, `audit`, `sim`
and `config check` are the other subcommands. Every user error ends in a message that names
the problem and the fix, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from textual.theme import BUILTIN_THEMES

from leadsync_tui import __version__
from leadsync_tui.config import ConfigError, LoadedSettings, load_settings
from leadsync_tui.logging_setup import add_log_level_option, configure_for_command, log_file_note
from leadsync_tui.roles import role_for

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2

THEMES = tuple(sorted(BUILTIN_THEMES))
"""Every theme Textual ships (`ctrl+t` then switches between textual-dark and -light)."""


def _add_config_option(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="config file (default: $LEADSYNC_CONFIG, else the XDG config dir; none = demo)",
    )


def _add_tui_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    suppress = None if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="viewer role: hide every action that changes data",
    )
    parser.add_argument(
        "--mask-pii",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="mask names, emails and phones (for screen sharing)",
    )
    parser.add_argument(
        "--theme",
        choices=THEMES,
        metavar="NAME",
        default=suppress,
        help="colour theme: any Textual theme, e.g. textual-light (default textual-dark)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadsync",
        description=(
            "Watch and steer the two-way lead sync between DomIQ and ResMan. "
            "With no config file it runs a demo on embedded simulators."
        ),
    )
    parser.add_argument("--version", action="version", version=f"leadsync {__version__}")
    _add_config_option(parser, top=True)
    _add_tui_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tui = commands.add_parser("tui", help="open the terminal UI (the default)")
    _add_config_option(tui)
    _add_tui_options(tui, defaults=False)

    sync = commands.add_parser("sync", help="run the sync engine without a UI")
    _add_config_option(sync)
    sync.add_argument(
        "--headless", action="store_true", required=True, help="no UI; JSON lines on stdout"
    )
    sync.add_argument("--once", action="store_true", help="one full reconcile, then exit")
    sync.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --once: longest wait on retries before giving up (default 60)",
    )
    sync.add_argument(
        "--retry-failed", action="store_true", help="move parked failed items back to pending"
    )

    status = commands.add_parser("status", help="print sync health; exit 0/1/2")
    _add_config_option(status)
    status.add_argument("--json", action="store_true", help="one JSON object")

    drift = commands.add_parser(
        "drift", help="read both systems whole and check every linked pair agrees; exit 0/1/2"
    )
    _add_config_option(drift)
    drift.add_argument("--repair", action="store_true", help="queue and send the repairs")
    drift.add_argument("--json", action="store_true", help="one JSON object (ids only)")
    drift.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --repair: longest wait on retries while sending (default 60)",
    )

    audit = commands.add_parser("audit", help="list who did what (oldest first)")
    _add_config_option(audit)
    audit.add_argument(
        "--since",
        metavar="WHEN",
        default=None,
        help="only entries from then on: ISO date/time (UTC) or an age like 30m, 2h, 1d",
    )
    audit.add_argument("--json", action="store_true", help="one JSON object per line")

    sim = commands.add_parser("sim", help="run the DomIQ and ResMan simulators alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--domiq-port", type=int, default=8701, metavar="PORT", help="0 = any free")
    sim.add_argument("--resman-port", type=int, default=8702, metavar="PORT", help="0 = any free")
    sim.add_argument("--seed", type=int, default=7, metavar="N")
    sim.add_argument("--leads", type=int, default=200, metavar="N")
    sim.add_argument("--activity-per-min", type=float, default=30.0, metavar="N")
    sim.add_argument("--fault-rate", type=float, default=0.0, metavar="F", help="0..1")
    sim.add_argument("--latency-ms", type=float, default=0.0, metavar="L")
    sim.add_argument("--search-limit", type=int, default=500, metavar="N")

    config = commands.add_parser("config", help="inspect the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_commands.add_parser(
        "check", help="validate and print every effective value with its source"
    )
    _add_config_option(check)
    add_log_level_option(parser, top=True)
    for command in (tui, sync, status, audit, sim, check):
        add_log_level_option(command)
    return parser


def _load(args: argparse.Namespace, err: TextIO) -> LoadedSettings | None:
    try:
        loaded = load_settings(args.config)
    except ConfigError as exc:
        where = f" in {exc.path}" if exc.path else ""
        print(f"leadsync: configuration problem{where}:", file=err)
        for problem in exc.problems:
            print(f"  - {problem}", file=err)
        return None
    for warning in loaded.warnings:
        print(f"leadsync: warning: {warning}", file=err)
    return loaded


def run_config_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    source = f"{loaded.path} ({loaded.path_reason})" if loaded.path else "none (demo mode)"
    print(f"config file: {source}", file=out)
    print(f"mode: {'demo (embedded simulators)' if loaded.settings.is_demo else 'live'}", file=out)
    user = os.environ.get("USER") or "operator"
    print(f"role: {role_for(loaded.settings, user).value} (user {user})", file=out)
    rows = list(loaded.effective_values())
    width = max(len(key) for key, _, _ in rows)
    for key, value, origin in rows:
        print(f"  {key:<{width}}  {value}  [{origin}]", file=out)
    print(log_file_note(), file=out)
    print("config OK", file=out)
    return EXIT_OK


def run_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    from leadsync_tui.sync.headless import run_headless

    return run_headless(
        loaded.settings,
        once=args.once,
        max_wait=args.max_wait,
        retry_failed=args.retry_failed,
        out=out,
        err=err,
        log_level=args.log_level,
    )


def run_status_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    from leadsync_tui.sync.status import run_status

    return run_status(loaded.settings, as_json=args.json, out=out, err=err)


def run_drift_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    from leadsync_tui.sync.drift_command import run_drift

    return run_drift(
        loaded.settings,
        repair=args.repair,
        as_json=args.json,
        max_wait=args.max_wait,
        out=out,
        err=err,
    )


def run_audit_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from leadsync_tui.audit_report import SinceError, parse_since, run_audit

    try:
        since = None if args.since is None else parse_since(args.since)
    except SinceError as exc:
        print(f"leadsync audit: {exc}", file=err)
        return EXIT_USAGE
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    from leadsync_tui.sync.wiring import database_file

    return run_audit(
        loaded.settings,
        database_file(loaded.settings),
        since=since,
        as_json=args.json,
        out=out,
        err=err,
    )


def run_tui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err)
    if loaded is None:
        return EXIT_USAGE
    from leadsync_tui.app import make_app

    app = make_app(
        loaded.settings,
        read_only=args.read_only,
        mask_pii=args.mask_pii,
        theme=getattr(args, "theme", None) or "textual-dark",
    )
    app.run()
    # The TUI's screen hid what was printed before it; say the warnings again on exit.
    for warning in loaded.warnings:
        print(f"leadsync: warning: {warning}", file=err)
    return app.return_code or EXIT_OK


def run_sim(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from leadsync_tui.sim.command import run_sim_command

    return run_sim_command(args, out, err)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    command = args.command or "tui"
    configure_for_command(command, args.log_level)
    if command == "config":
        if args.config_command != "check":
            parser.parse_args(["config", "--help"])
        return run_config_check(args, out, err)
    handlers: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
        "tui": run_tui,
        "sync": run_sync,
        "status": run_status_command,
        "audit": run_audit_command,
        "drift": run_drift_command,
        "sim": run_sim,
    }
    try:
        return handlers[command](args, out, err)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

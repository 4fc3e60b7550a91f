"""The `leadsync` command: a thin layer that parses, loads config and hands over.

`leadsync` (or `leadsync tui`) opens the TUI; `sync --headless`, `status`, `drift`, `audit`, `sim`
and `config check` are the other subcommands. Every user error ends in a message that names
the problem and the fix, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from leadsync_tui.config import ConfigError, LoadedSettings, load_settings
from leadsync_tui.logging_setup import add_log_level_option, configure_for_command, log_file_note
from leadsync_tui.roles import default_actor, role_for
from leadsync_tui.setup.init_options import add_init_options
from leadsync_tui.store import connections

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2


def theme_name(value: str) -> str:
    """`--theme`: any theme Textual has (imported only when the option is given)."""
    from textual.theme import BUILTIN_THEMES

    if value not in BUILTIN_THEMES:
        raise argparse.ArgumentTypeError(
            f"no theme {value!r}; choose one of: {', '.join(sorted(BUILTIN_THEMES))}"
        )
    return value


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
        "--watch-only",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="never run the sync engine in this window, only show the store (another "
        "leadsync holds the sync lease; without this flag the window takes it over once "
        "that one is gone)",
    )
    parser.add_argument(
        "--theme",
        type=theme_name,
        default=suppress,
        help="colour theme: any Textual theme, e.g. textual-light, nord (default textual-dark)",
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a TCP port; give a number from 1 to 65535 (0 = any free port)"
        )
    return port


class _VersionAction(argparse.Action):
    """`--version`, worked out only when asked (it may run git)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from leadsync_tui.version import version_text

        print(version_text(), file=sys.stdout)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadsync",
        description=(
            "Watch and steer the two-way lead sync between DomIQ and ResMan. "
            "With no config file it runs a demo on embedded simulators."
        ),
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show the version (and the git commit when run from a checkout) and exit",
    )
    _add_config_option(parser, top=True)
    _add_tui_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tui = commands.add_parser("tui", help="open the terminal UI (the default)")
    _add_config_option(tui)
    _add_tui_options(tui, defaults=False)

    sync = commands.add_parser(
        "sync",
        help="run the sync engine without a UI",
        description=(
            "Run the sync engine without a UI. Only one engine per store sends: this one "
            "waits for the store's sync lease while another holds it (one `lease_held` "
            "JSON line). Exit codes: 0 done (or stopped by a signal); 1 --once left work "
            "or could not read an upstream; 2 cannot start; 3 another engine holds the "
            "sync lease (--once), or took it over from this one."
        ),
    )
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
    sync.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        metavar="PORT",
        help="serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 = any free port; "
        "default: [sync] metrics_port, else none)",
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

    init = commands.add_parser(
        "init", help="set up the real DomIQ and ResMan: try them, pair properties, write config"
    )
    add_init_options(init)

    config = commands.add_parser("config", help="inspect the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_commands.add_parser(
        "check", help="validate and print every effective value with its source"
    )
    _add_config_option(check)
    check.add_argument(
        "--online",
        action="store_true",
        help="also sign in to DomIQ and ResMan and check every mapped property; exit 0/1/2",
    )
    add_log_level_option(parser, top=True)
    for command in (tui, sync, status, audit, sim, check, init):
        add_log_level_option(command)
    return parser


def _load(
    args: argparse.Namespace,
    err: TextIO,
    load: Callable[[], LoadedSettings] | None = None,
) -> LoadedSettings | None:
    try:
        loaded = load() if load is not None else load_settings(args.config)
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
    user = default_actor()
    print(f"role: {role_for(loaded.settings, user).value} (user {user})", file=out)
    rows: list[tuple[str, str, str]] = list(loaded.effective_values())
    if loaded.settings.is_demo:  # the demo never touches sync.database: say which it uses
        from leadsync_tui.sync.wiring import database_file

        demo_db = str(database_file(loaded.settings))
        rows = [(k, demo_db, "demo") if k == "sync.database" else (k, v, o) for k, v, o in rows]
    width = max(len(key) for key, _, _ in rows)
    for key, value, origin in rows:
        print(f"  {key:<{width}}  {value}  [{origin}]", file=out)
    print(log_file_note(), file=out)
    print("config OK", file=out)
    if args.online:
        from leadsync_tui.setup.check_table import run_online_check

        return run_online_check(loaded.settings, out)
    return EXIT_OK


def _sync_settings(args: argparse.Namespace) -> LoadedSettings:
    """The configuration `sync` runs with, found as at start (`ConfigError` if bad): the
    same for the first load and for every reload on SIGHUP."""
    loaded = load_settings(args.config)
    if args.metrics_port is None:
        return loaded
    settings = loaded.settings  # the option beats [sync] metrics_port
    sync = settings.sync.model_copy(update={"metrics_port": args.metrics_port})
    return replace(loaded, settings=settings.model_copy(update={"sync": sync}))


def run_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = _load(args, err, load=lambda: _sync_settings(args))
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
        reload=lambda: _sync_settings(args),
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
        watch_only=args.watch_only,
    )
    app.run()
    # The TUI's screen hid what was printed before it; say the warnings again on exit.
    for warning in loaded.warnings:
        print(f"leadsync: warning: {warning}", file=err)
    return app.return_code or EXIT_OK


def run_init_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from leadsync_tui.setup.init_command import run_init

    return run_init(args, out, err)


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
        "init": run_init_command,
    }
    try:
        return handlers[command](args, out, err)
    except KeyboardInterrupt:
        return 130
    finally:
        connections.stop_leaked()  # a connection an error path left open never hangs the exit


if __name__ == "__main__":
    sys.exit(main())

"""The `leadsync` console script: the click group (`commands.root`) run for a return code.

Every user error ends in one line that names the problem (and the fix where there is
one) and exit code 2; never a traceback. The commands themselves live in `commands/`.

This module imports nothing heavy at its top: the console script imports it before
`main` runs, and Ctrl+C there (a slow start, a second thought) printed a traceback of
the imports. `main` imports the commands inside its own guard, so Ctrl+C at any point of
the start ends quietly with exit 130.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing alone takes tens of ms here
if TYPE_CHECKING:
    from collections.abc import Sequence

    import click

INTERRUPTED = 130
"""`ExitCode.INTERRUPTED`, known before `exit_codes` (an enum) is imported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code (`exit_codes`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        import click

        from leadsync_tui.commands.root import PROG, leadsync
        from leadsync_tui.exit_codes import ExitCode
        from leadsync_tui.store import connections
    except KeyboardInterrupt:
        return INTERRUPTED
    try:
        code = leadsync.main(args, prog_name=PROG, standalone_mode=False)
    except click.UsageError as exc:
        print(usage_line(exc), file=sys.stderr)
        return ExitCode.USAGE
    except click.ClickException as exc:
        print(f"{PROG}: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, click.Abort):
        return ExitCode.INTERRUPTED
    finally:
        connections.stop_leaked()  # a connection an error path left open never hangs the exit
    return int(code or 0)


def usage_line(exc: click.UsageError) -> str:
    """A usage error as one line: `leadsync sync: <what is wrong>`."""
    from leadsync_tui.commands.options import OptionProblem
    from leadsync_tui.commands.root import PROG

    where = exc.ctx.command_path if exc.ctx is not None else PROG
    if isinstance(exc, OptionProblem):
        return f"{where}: {exc.format_message()}"
    return f"{where}: error: {exc.format_message()} (see `{where} --help`)"


if __name__ == "__main__":
    sys.exit(main())

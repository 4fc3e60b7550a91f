"""What `leadsync ARGV` would run with: the options of the group and each command down
to the one invoked, merged (a command's own value over the group's), without running it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from leadsync_tui.commands.root import PROG, leadsync


def parsed(argv: Sequence[str]) -> dict[str, Any]:
    """Every option's value, keyed by parameter name; click's usage errors propagate."""
    ctx = leadsync.make_context(PROG, list(argv))
    params = dict(ctx.params)
    command: click.Command = leadsync
    while isinstance(command, click.Group):
        args = [*ctx._protected_args, *ctx.args]
        if not args:
            break
        _, found, rest = command.resolve_command(ctx, args)
        assert found is not None
        ctx = found.make_context(found.name, rest, parent=ctx)
        params.update({k: v for k, v in ctx.params.items() if v not in (None, False, ())})
        params.update({k: v for k, v in ctx.params.items() if k not in params})
        command = found
    return params

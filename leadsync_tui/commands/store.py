"""`leadsync store migrate --from sqlite:PATH --to URL`: move a deployment's store to a
team's PostgreSQL (`store_run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from leadsync_tui.commands.options import (
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)
from leadsync_tui.store_location import POSTGRES_SCHEMES, check_postgres_url

SQLITE_PREFIX = "sqlite:"


class SqliteSource(click.ParamType[Path]):
    """`sqlite:PATH`: an existing SQLite file (`~` expanded)."""

    name = "sqlite:PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        if isinstance(value, Path):
            return value
        text = str(value).strip()
        if not text.startswith(SQLITE_PREFIX) or not text[len(SQLITE_PREFIX) :].strip():
            self.fail(
                f"{text!r} is not sqlite:PATH; name the SQLite file, e.g. "
                "--from sqlite:~/.local/share/leadsync/leadsync.db "
                "(`leadsync config check` shows sync.database)",
                param,
                ctx,
            )
        path = Path(text[len(SQLITE_PREFIX) :].strip()).expanduser().absolute()
        if not path.is_file():
            self.fail(
                f"there is no file {path}; name the SQLite store to move "
                "(`leadsync config check` shows sync.database)",
                param,
                ctx,
            )
        return path


class PostgresTarget(click.ParamType[str]):
    """A `postgresql://user@host:5432/dbname` URL without a password."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            scheme = urlsplit(text).scheme
        except ValueError:
            scheme = ""
        if scheme not in POSTGRES_SCHEMES:
            self.fail("write it as postgresql://user@host:5432/dbname", param, ctx)
        try:
            return check_postgres_url(text)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.group("store", invoke_without_command=True, short_help="move the store to PostgreSQL")
@click.pass_context
def store_group(ctx: click.Context) -> None:
    """Manage where the store is."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@store_group.command("migrate", short_help="copy a SQLite store into an empty PostgreSQL database")
@click.option(
    "--from",
    "source",
    type=SqliteSource(),
    metavar="sqlite:PATH",
    required=True,
    help="the SQLite store to move: sqlite:PATH (its [sync] database file)",
)
@click.option(
    "--to",
    "target",
    type=PostgresTarget(),
    required=True,
    help="an empty PostgreSQL database: postgresql://user@host:5432/dbname (no password "
    "in it: [store] password, $PGPASSWORD or ~/.pgpass)",
)
@config_option()
@log_level_option
@click.pass_context
def migrate_command(
    ctx: click.Context,
    source: Path,
    target: str,
    config: str | None,
    log_level: str | None,
) -> None:
    """Copy every lead, link, outbox item, conflict, sync log entry, audit entry, cursor
    and operator command of a SQLite store into an empty PostgreSQL database, ids and
    order kept, in one transaction (all or nothing). Stop the engine on the SQLite store
    first; it is not changed, apart from being brought to the current schema.

    Exit 0 copied, then set [store] url as printed; 2 nothing copied (the reason and the
    fix in one line)."""
    begin(ctx, "store", log_level)
    out, err = out_err()
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    from leadsync_tui.commands.store_run import run_migrate

    password = loaded.settings.store.password
    ctx.exit(run_migrate(source, target, password, out=out, err=err))

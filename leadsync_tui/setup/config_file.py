"""The config file `init` writes: edited in place with tomlkit (a person's comments,
order and other sections survive a second run), written owner-only (0600, in a 0700
folder: it holds the API key and token) by an atomic replace, and shown masked."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from leadsync_tui.config import SECRET_KEYS
from leadsync_tui.private_files import open_private, private_dir

MASK = "********"
HEADER = (
    "leadsync configuration, written by `leadsync init`.",
    "Run `leadsync init` again to change it: it keeps your own edits and comments.",
    "It holds secrets (the DomIQ token, the ResMan API key): keep it mode 0600.",
)


class ConfigFileError(Exception):
    """The existing file cannot be read or parsed: it is left as it is."""


def read_document(path: Path) -> TOMLDocument | None:
    """The existing file as an editable document; None when there is none."""
    if not path.exists():
        return None
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(
            f"cannot read {path}: {exc}; fix its mode or choose --config"
        ) from None
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigFileError(
            f"{path} is not valid TOML ({exc}); fix it or move it away, then run init again"
        ) from None


def new_document() -> TOMLDocument:
    document = tomlkit.document()
    for line in HEADER:
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    return document


def plain(document: TOMLDocument | None) -> dict[str, Any]:
    """The document as plain Python values (for reading what a file already says)."""
    return {} if document is None else tomllib.loads(tomlkit.dumps(document))


def _table(parent: TOMLDocument | Table, key: str, *, super_table: bool = False) -> Table:
    existing = parent.get(key)
    if isinstance(existing, Table):
        return existing
    table = tomlkit.table(is_super_table=super_table)
    parent[key] = table
    return table


def set_values(document: TOMLDocument, section: str, values: Mapping[str, Any]) -> None:
    """Set `[section]` keys, keeping the others and every comment."""
    table = _table(document, section)
    for key, value in values.items():
        table[key] = value


def set_property(
    document: TOMLDocument, domiq_id: str, values: Mapping[str, str | None], title: str | None
) -> None:
    """Set `[resman.properties.<domiq_id>]`: keys with a value are set, None ones removed.
    A new table, or one paired anew, gets the ResMan property's name as a comment."""
    properties = _table(_table(document, "resman"), "properties", super_table=True)
    table = properties.get(domiq_id)
    if not isinstance(table, Table):
        table = tomlkit.table()
        properties[domiq_id] = table
        if title:
            table.comment(title)
    elif title and table.get("property_id") != values.get("property_id"):
        table.comment(title)
    for key, value in values.items():
        if value is not None:
            table[key] = value
        elif key in table:
            del table[key]


def write_private(path: Path, document: TOMLDocument) -> None:
    """Write atomically (a 0600 temporary file beside it, then renamed over it)."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open_private(temporary) as handle:
            handle.write(tomlkit.dumps(document))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def masked(document: TOMLDocument) -> str:
    """The document as text with every secret's value replaced by `MASK`."""
    copy = tomlkit.parse(tomlkit.dumps(document))
    for dotted in SECRET_KEYS:
        section, _, key = dotted.partition(".")
        table = copy.get(section)
        if isinstance(table, Table) and key in table:
            table[key] = MASK
    return tomlkit.dumps(copy)

"""`leadsync init`, non-interactive: every answer from an option or the existing file.

Steps, each said on the terminal: try both systems at once (nothing is written when
either fails: the message says what failed and which option fixes it); pair DomIQ's
properties (seen in its leads) with ResMan's and choose each one's source, agent and
lost reason (`mapping_plan`); write the file (0600, comments kept: `config_file`); show
it with secrets masked; then run the online check (`config check --online`) on it.

Exit codes: the online check's (0 all passed, 1 a check failed), or 2 when nothing
could be written (a missing or bad answer, a system unreachable, a bad `--pair`).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import certifi
from pydantic import SecretStr, ValidationError
from tomlkit.toml_document import TOMLDocument

from leadsync_tui.config import ConfigError, DomiqSettings, ResmanSettings, load_settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.locations import CONFIG_ENV_VAR, default_config_file
from leadsync_tui.setup.catalog import ResmanCatalog, read_properties
from leadsync_tui.setup.check_table import print_report
from leadsync_tui.setup.config_file import (
    ConfigFileError,
    masked,
    new_document,
    plain,
    read_document,
    set_property,
    set_values,
    write_private,
)
from leadsync_tui.setup.init_options import SECRET_FROM_STDIN, InitAnswers
from leadsync_tui.setup.mapping_plan import (
    OPTION,
    Choice,
    Plan,
    PlanError,
    PropertyOptions,
    PropertyPlan,
    pair_properties,
    plan_mapping,
)
from leadsync_tui.setup.online_check import (
    CheckRow,
    OnlineReport,
    check_online,
    reach_domiq,
    reach_resman,
)
from leadsync_tui.setup.proposals import guid_key
from leadsync_tui.setup.reach import domiq_client, resman_client

_ANSWERS = (
    ("domiq", "base_url", "domiq_url"),
    ("domiq", "token", "domiq_token"),
    ("resman", "base_url", "resman_url"),
    ("resman", "integration_partner_id", "resman_partner_id"),
    ("resman", "api_key", "resman_api_key"),
    ("resman", "account_id", "resman_account_id"),
)


class InitError(Exception):
    """Answers `init` cannot use; one line per problem, each naming its option."""

    def __init__(self, problems: list[str], fields: Mapping[str, str] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.fields = dict(fields or {})
        """Per answer (`InitAnswers` attribute): what is wrong with it, for the guided screen."""


def _option(attribute: str) -> str:
    return "--" + attribute.replace("_", "-")


def target_path(explicit: str | None) -> Path:
    """`--config`, else `$LEADSYNC_CONFIG`, else the XDG file (created if missing)."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(CONFIG_ENV_VAR)
    return Path(from_env).expanduser() if from_env else default_config_file()


def credentials(
    args: InitAnswers, existing: Mapping[str, Any], stdin: TextIO
) -> tuple[DomiqSettings, ResmanSettings]:
    """Both systems' settings from the options, else the file; `InitError` otherwise."""
    values: dict[str, dict[str, Any]] = {"domiq": {}, "resman": {}}
    missing: list[str] = []
    fields: dict[str, str] = {}
    for section, key, attribute in _ANSWERS:
        given = getattr(args, attribute)
        if given == SECRET_FROM_STDIN and key in ("token", "api_key"):
            given = stdin.readline().strip()
        old = (
            existing.get(section, {}).get(key) if isinstance(existing.get(section), dict) else None
        )
        value = given if given not in (None, "") else old
        if value in (None, ""):
            missing.append(f"{_option(attribute)} (or [{section}] {key} in the file)")
            fields[attribute] = "missing"
        values[section][key] = (
            SecretStr(str(value)) if key in ("token", "api_key") and value else value
        )
    if missing:
        raise InitError(["missing answers: " + ", ".join(missing)], fields)
    problems: list[str] = []
    domiq = resman = None
    try:
        domiq = DomiqSettings(**values["domiq"])
    except ValidationError as exc:
        problems += _problems(exc, "domiq", fields)
    try:
        resman = ResmanSettings(**values["resman"])
    except ValidationError as exc:
        problems += _problems(exc, "resman", fields)
    if problems or domiq is None or resman is None:
        raise InitError(problems, fields)
    return domiq, resman


def _problems(exc: ValidationError, section: str, fields: dict[str, str]) -> list[str]:
    attributes = {f"{s}.{k}": a for s, k, a in _ANSWERS}
    lines = []
    for error in exc.errors():
        key = f"{section}.{error['loc'][0]}" if error["loc"] else section
        name = _option(attributes[key]) if key in attributes else key
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
        if key in attributes:
            fields[attributes[key]] = message
    return lines


def _pairs_of(
    values: tuple[str, ...], option: str, *, bare_means_all: bool = False
) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        domiq_id, sep, target = value.partition("=")
        if not sep and bare_means_all:
            domiq_id, target = "*", value
        if not domiq_id.strip() or not target.strip():
            raise InitError([f"{option} {value!r}: write it as DOMIQ_PROP=VALUE"])
        found[domiq_id.strip()] = target.strip()
    return found


def property_options(args: InitAnswers) -> PropertyOptions:
    return PropertyOptions(
        pairs=_pairs_of(args.pair, "--pair"),
        sources=_pairs_of(args.source, "--source"),
        agents=_pairs_of(args.agent, "--agent"),
        lost_reasons=_pairs_of(args.lost_reason, "--lost-reason", bare_means_all=True),
    )


def _verify(existing: Mapping[str, Any]) -> ssl.SSLContext:
    """As `config.tls_context`: public CAs plus the file's `[tls] ca_bundle`, if any."""
    context = ssl.create_default_context(cafile=certifi.where())
    tls = existing.get("tls")
    if isinstance(tls, dict) and tls.get("ca_bundle"):
        context.load_verify_locations(cafile=str(Path(str(tls["ca_bundle"])).expanduser()))
    return context


@dataclass
class Discovery:
    rows: list[CheckRow]
    counts: Counter[str] | None
    catalog: ResmanCatalog | None
    plan: Plan | None


async def discover(
    domiq: DomiqSettings,
    resman: ResmanSettings,
    existing: Mapping[str, Any],
    options: PropertyOptions,
    *,
    as_option: bool = True,
) -> Discovery:
    """Try both systems at once; when both answer, pair and plan every property. Fixes
    name `init` options (`as_option`) or the file's keys (the guided screen)."""
    verify = _verify(existing)
    async with domiq_client(domiq, verify) as d, resman_client(resman, verify) as r:
        (domiq_row, counts), (resman_row, catalog) = await asyncio.gather(
            reach_domiq(d, as_option), reach_resman(r, as_option)
        )
        found = Discovery([domiq_row, resman_row], counts, catalog, None)
        if counts is None or catalog is None:
            return found
        mapped = existing.get("resman", {}).get("properties", {})
        warnings: list[str] = []
        pairs = pair_properties(catalog, counts, mapped, options, warnings)
        await read_properties(r, catalog, (c.value for c in pairs.values() if c.value))
        found.plan = plan_mapping(catalog, counts, mapped, options, pairs, warnings)
        return found


def _show_plan(plan: Plan, out: TextIO) -> None:
    print("", file=out)
    print("Pairs (DomIQ property -> ResMan property; what its new prospects get):", file=out)
    for item in plan.properties:
        p = item.property
        label = f"{p.label} " if p.label else ""
        print(f"  {item.domiq_id} ({item.leads} leads) -> {label}{p.value}  [{p.how}]", file=out)
        for name, choice in (
            ("source", item.source),
            ("agent", item.agent),
            ("lost reason", item.lost_reason),
        ):
            label = f"{choice.label} " if choice.label else ""
            shown = f"{label}{choice.value}  [{choice.how}]" if choice.value else "(none)"
            print(f"      {name:<12} {shown}", file=out)
    for warning in plan.warnings:
        print(f"warning: {warning}", file=out)


def _show_unpaired(catalog: ResmanCatalog, plan: Plan, out: TextIO) -> None:
    paired = {guid_key(p.property.value or "") for p in plan.properties}
    left = [p for p in catalog.properties if guid_key(p.property_id) not in paired]
    if left:
        listed = ", ".join(f"{p.name} {p.property_id}" for p in left)
        print(f"ResMan properties with no DomIQ property paired: {listed}", file=out)


def run_init(args: InitAnswers, out: TextIO, err: TextIO) -> int:
    """The whole non-interactive `init` (see the module docstring)."""
    path = target_path(args.config)
    try:
        document = read_document(path)
        existing = plain(document)
        domiq, resman = credentials(args, existing, sys.stdin)
        options = property_options(args)
    except ConfigFileError as exc:
        print(f"leadsync init: {exc}", file=err)
        return ExitCode.USAGE
    except InitError as exc:
        for problem in exc.problems:
            print(f"leadsync init: {problem}", file=err)
        return ExitCode.USAGE
    print(f"leadsync init: {'editing' if document else 'creating'} {path}", file=out)
    try:
        found = asyncio.run(discover(domiq, resman, existing, options))
    except PlanError as exc:
        print(f"leadsync init: {exc}; nothing written", file=err)
        return ExitCode.USAGE
    for row in found.rows:
        print(f"{'✔' if row.passed else '✘'} {row.subject}: {row.detail}", file=out)
        if row.fix:
            print(f"    fix: {row.fix}", file=out)
    if found.plan is None:
        print(f"leadsync init: nothing written to {path}; fix the above and run it again", file=err)
        return ExitCode.USAGE
    _show_plan(found.plan, out)
    if found.catalog is not None:
        _show_unpaired(found.catalog, found.plan, out)
    return _write_and_check(path, document, domiq, resman, found.plan, out, err)


def write_answers(
    path: Path,
    document: TOMLDocument | None,
    domiq: DomiqSettings,
    resman: ResmanSettings,
    plan: Plan,
) -> TOMLDocument:
    """Set both systems and every planned property in the file (a new one, or the
    existing one edited: comments kept) and write it 0600; `OSError` when it cannot."""
    doc = document if document is not None else new_document()
    assert domiq.token is not None and resman.api_key is not None
    set_values(doc, "domiq", {"base_url": domiq.base_url, "token": domiq.token.get_secret_value()})
    set_values(
        doc,
        "resman",
        {
            "base_url": resman.base_url,
            "integration_partner_id": resman.integration_partner_id,
            "api_key": resman.api_key.get_secret_value(),
            "account_id": resman.account_id,
        },
    )
    for item in plan.properties:
        set_property(doc, item.domiq_id, item.values(), item.property.label or None)
    write_private(path, doc)
    return doc


async def check_written(path: Path, *, as_option: bool = True) -> OnlineReport:
    """The online check of the file just written (`ConfigError` when it does not load)."""
    loaded = load_settings(path)
    return await check_online(loaded.settings, as_option=as_option)


def _write_and_check(
    path: Path,
    document: TOMLDocument | None,
    domiq: DomiqSettings,
    resman: ResmanSettings,
    plan: Plan,
    out: TextIO,
    err: TextIO,
) -> int:
    try:
        doc = write_answers(path, document, domiq, resman, plan)
    except OSError as exc:
        print(f"leadsync init: cannot write {path}: {exc.strerror}", file=err)
        return ExitCode.USAGE
    print("", file=out)
    print(f"wrote {path} (mode 0600; secrets shown masked):", file=out)
    for line in masked(doc).splitlines():
        print(f"  {line}", file=out)
    print("", file=out)
    print("online check of what was written:", file=out)
    try:
        report = asyncio.run(check_written(path))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"leadsync init: {problem}", file=err)
        return ExitCode.USAGE
    return print_report(report, out)


async def plan_one(
    resman: ResmanSettings,
    existing: Mapping[str, Any],
    catalog: ResmanCatalog,
    counts: Counter[str],
    domiq_id: str,
    property_id: str,
) -> PropertyPlan:
    """One DomIQ property paired anew (the guided screen's choice): read that ResMan
    property's sources and employees, then propose as `discover` does."""
    async with resman_client(resman, _verify(existing)) as client:
        await read_properties(client, catalog, [property_id])
    found = catalog.property(property_id)
    pick = Choice(property_id, found.name if found else "", OPTION)
    mapped = existing.get("resman", {}).get("properties", {})
    plan = plan_mapping(catalog, counts, mapped, PropertyOptions(), {domiq_id: pick}, [])
    return plan.properties[0]

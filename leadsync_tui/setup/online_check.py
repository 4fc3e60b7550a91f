"""`leadsync config check --online`: the configuration as DomIQ and ResMan see it.

Authenticates to both systems (both are tried, each failure is said), then for every
`[resman.properties.<domiq property id>]` checks the four things ResMan integrations
most often get wrong (`docs/resman-mits.md` §8, §10): the property is in the account,
the prospect source is linked to it (else "Transaction Source could not be found"),
the agent is one of its employees, and the lost reason exists. Each failed check comes
with its fix, naming the id to set when set-up can tell which one fits.

Exit codes: 0 all passed, 1 a check failed, 2 a system could not be reached or used.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.config import ResmanProperty, Settings, tls_context
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.setup import proposals
from leadsync_tui.setup.catalog import (
    ResmanCatalog,
    domiq_properties,
    read_account,
    read_properties,
)
from leadsync_tui.setup.reach import domiq_client, domiq_failure, resman_client, resman_failure

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_OPTIONS = {
    "property_id": "--pair",
    "source_id": "--source",
    "agent_id": "--agent",
    "lost_reason_id": "--lost-reason",
}


@dataclass(frozen=True)
class CheckRow:
    """One line of the table: a ✔, a ✘ (with its fix) or not checked (passed None)."""

    subject: str
    check: str
    passed: bool | None
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class OnlineReport:
    """Every check made, notes that are not failures, and whether both systems answered."""

    rows: tuple[CheckRow, ...]
    notes: tuple[str, ...]
    reached: bool

    @property
    def failed(self) -> int:
        return sum(row.passed is False for row in self.rows)

    @property
    def exit_code(self) -> int:
        if not self.reached:
            return ExitCode.USAGE
        return ExitCode.PROBLEM if self.failed else ExitCode.OK


def table_name(domiq_id: str) -> str:
    """`[resman.properties.<id>]` as TOML writes it (quoted when not a bare key)."""
    key = domiq_id if _BARE_KEY.match(domiq_id) else json.dumps(domiq_id)
    return f"[resman.properties.{key}]"


def set_hint(domiq_id: str, key: str, value: str, *, as_option: bool) -> str:
    """How to set one property's key: in the file, or as an `init` option."""
    if as_option:
        return f"run leadsync init again with {_OPTIONS[key]} {domiq_id}={value}"
    return f"set {table_name(domiq_id)} {key} = {json.dumps(value)}"


async def check_online(settings: Settings, *, as_option: bool = False) -> OnlineReport:
    """Reach both systems and check every mapped property (see the module docstring)."""
    if settings.is_demo:
        return OnlineReport(
            (),
            (
                "no [domiq] or [resman] endpoint is configured (demo mode): there is "
                "nothing to check online; run `leadsync init` to set up the real systems",
            ),
            reached=False,
        )
    verify = tls_context(settings)
    async with (
        domiq_client(settings.domiq, verify) as domiq,
        resman_client(settings.resman, verify) as resman,
    ):
        (domiq_row, counts), (resman_row, catalog) = await asyncio.gather(
            reach_domiq(domiq, as_option), reach_resman(resman, as_option)
        )
        rows = [domiq_row, resman_row]
        notes: list[str] = []
        if catalog is not None:
            mapped = settings.resman.properties
            try:
                await read_properties(resman, catalog, (p.property_id for p in mapped.values()))
            except SyncError as exc:
                failure = resman_failure(exc, resman.base_url, as_option=as_option)
                rows.append(CheckRow("ResMan", "connection", False, failure.what, failure.fix))
                return OnlineReport(tuple(rows), (), reached=False)
            for domiq_id, entry in mapped.items():
                rows += property_rows(domiq_id, entry, catalog, as_option=as_option)
            if not mapped:
                rows.append(_no_mapping(as_option))
        if counts is not None:
            notes += _unmapped_notes(counts, settings, as_option)
    reached = domiq_row.passed is True and resman_row.passed is True
    return OnlineReport(tuple(rows), tuple(notes), reached=reached)


async def reach_domiq(domiq: DomiqClient, as_option: bool) -> tuple[CheckRow, Counter[str] | None]:
    try:
        counts = await domiq_properties(domiq)
    except SyncError as exc:
        failure = domiq_failure(exc, domiq.base_url, as_option=as_option)
        return CheckRow("DomIQ", "connection", False, failure.what, failure.fix), None
    leads = sum(counts.values())
    detail = (
        f"{domiq.base_url} accepted the token; {leads} lead(s) in "
        f"{len(counts)} propert{'y' if len(counts) == 1 else 'ies'}"
    )
    return CheckRow("DomIQ", "connection", True, detail), counts


async def reach_resman(
    resman: ResmanClient, as_option: bool
) -> tuple[CheckRow, ResmanCatalog | None]:
    try:
        catalog = await read_account(resman)
    except SyncError as exc:
        failure = resman_failure(exc, resman.base_url, as_option=as_option)
        return CheckRow("ResMan", "connection", False, failure.what, failure.fix), None
    detail = (
        f"{resman.base_url} accepted the credentials; account {catalog.account_id} has "
        f"{len(catalog.properties)} propert{'y' if len(catalog.properties) == 1 else 'ies'}"
    )
    return CheckRow("ResMan", "connection", True, detail), catalog


def _no_mapping(as_option: bool) -> CheckRow:
    fix = (
        "pair DomIQ properties with ResMan ones: run leadsync init (it proposes pairs by name)"
        if not as_option
        else "pair them with --pair DOMIQ_PROPERTY=RESMAN_PROPERTY_ID"
    )
    return CheckRow("(mapping)", "properties", False, "no property is mapped", fix)


def _unmapped_notes(counts: Counter[str], settings: Settings, as_option: bool) -> list[str]:
    how = "--pair {id}=<ResMan PropertyID>" if as_option else "{table} property_id"
    return [
        f"DomIQ has {count} lead(s) at {domiq_id}, which is not mapped: they cannot reach "
        "ResMan; add " + how.format(id=domiq_id, table=table_name(domiq_id))
        for domiq_id, count in sorted(counts.items())
        if domiq_id not in settings.resman.properties
    ]


def property_rows(
    domiq_id: str, entry: ResmanProperty, catalog: ResmanCatalog, *, as_option: bool = False
) -> list[CheckRow]:
    """The four checks of one mapped property (the last three wait on the first)."""
    prop = catalog.property(entry.property_id)
    if prop is None:
        best = proposals.propose_property(domiq_id, catalog.properties)
        if best is not None:
            fix = set_hint(domiq_id, "property_id", best.property_id, as_option=as_option)
            fix += f" ({best.name}, named like {domiq_id})"
        else:
            listed = ", ".join(f"{p.property_id} ({p.name})" for p in catalog.properties[:6])
            fix = f"set {table_name(domiq_id)} property_id to one of: {listed or '(none)'}"
        skipped = [
            CheckRow(domiq_id, check, None, "not checked: the property is unknown")
            for check in ("source", "agent")
        ]
        return [
            CheckRow(
                domiq_id,
                "property",
                False,
                f"{entry.property_id} is not a property of ResMan account {catalog.account_id}",
                fix,
            ),
            *skipped,
            _lost_reason_row(domiq_id, entry, catalog, as_option),
        ]
    return [
        CheckRow(domiq_id, "property", True, f"{prop.name} ({prop.property_id})"),
        _source_row(domiq_id, entry, prop.property_id, prop.name, catalog, as_option),
        _agent_row(domiq_id, entry, prop.property_id, prop.name, catalog, as_option),
        _lost_reason_row(domiq_id, entry, catalog, as_option),
    ]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_Item = TypeVar("_Item", bound=_HasId)


def _by_id(items: Sequence[_Item], wanted: str | None) -> _Item | None:
    """The item whose GUID is `wanted` (ResMan writes GUIDs in any case, braced or not)."""
    if not wanted:
        return None
    key = proposals.guid_key(wanted)
    return next((item for item in items if proposals.guid_key(item.id) == key), None)


def _source_row(
    domiq_id: str,
    entry: ResmanProperty,
    property_id: str,
    name: str,
    catalog: ResmanCatalog,
    as_option: bool,
) -> CheckRow:
    sources = catalog.sources_of(property_id)
    found = _by_id(sources, entry.source_id)
    if found is not None and found.is_active is not False:
        return CheckRow(domiq_id, "source", True, f"{found.name} ({found.id}) is linked to {name}")
    if not entry.source_id:
        detail = "source_id is not set: ResMan refuses a new prospect without a source"
    elif found is None:
        detail = f"{entry.source_id} is not a prospect source linked to {name}"
    else:
        detail = f"{found.name} ({found.id}) is inactive at {name}"
    best = proposals.propose_source(sources)
    if best is not None:
        fix = set_hint(domiq_id, "source_id", best.id, as_option=as_option) + f" ({best.name})"
    else:
        linked = ", ".join(f"{s.id} ({s.name})" for s in sources[:6]) or "none"
        fix = (
            f'in ResMan, link a prospect source for DomIQ (e.g. "DomIQ Chat") to {name}, '
            f"then set {table_name(domiq_id)} source_id to its ID (linked now: {linked})"
        )
    return CheckRow(domiq_id, "source", False, detail, fix)


def _agent_row(
    domiq_id: str,
    entry: ResmanProperty,
    property_id: str,
    name: str,
    catalog: ResmanCatalog,
    as_option: bool,
) -> CheckRow:
    employees = catalog.employees_of(property_id)
    found = _by_id(employees, entry.agent_id)
    if found is not None:
        detail = f"{found.name} ({found.id}) is an employee of {name}"
        twins = proposals.duplicates_of(found, employees)
        if twins:
            others = ", ".join(e.id for e in twins)
            detail += f"; ResMan lists this person {len(twins) + 1} times (also {others})"
        return CheckRow(domiq_id, "agent", True, detail)
    if not entry.agent_id:
        detail = "agent_id is not set: ResMan refuses a new prospect without an agent"
    else:
        detail = f"{entry.agent_id} is not an employee of {name}"
    best = proposals.propose_agent(employees)
    if best is not None:
        fix = set_hint(domiq_id, "agent_id", best.id, as_option=as_option) + f" ({best.name})"
    else:
        fix = (
            f'in ResMan, add an integration employee (e.g. "DomIQ Integration") to {name}, '
            f"then set {table_name(domiq_id)} agent_id to its ID"
        )
    return CheckRow(domiq_id, "agent", False, detail, fix)


def _lost_reason_row(
    domiq_id: str, entry: ResmanProperty, catalog: ResmanCatalog, as_option: bool
) -> CheckRow:
    found = catalog.lost_reason(entry.lost_reason_id) if entry.lost_reason_id else None
    if found is not None:
        return CheckRow(domiq_id, "lost reason", True, f"{found.name} ({found.id})")
    if not entry.lost_reason_id:
        detail = "lost_reason_id is not set: a lead DomIQ disqualifies cannot be marked lost"
    else:
        detail = f"{entry.lost_reason_id} is not a lost-prospect reason of this account"
    best = proposals.propose_lost_reason(catalog.lost_reasons)
    if best is not None:
        fix = set_hint(domiq_id, "lost_reason_id", best.id, as_option=as_option)
        fix += f" ({best.name})"
    else:
        listed = ", ".join(f"{r.id} ({r.name})" for r in catalog.lost_reasons[:6]) or "none"
        fix = f"set {table_name(domiq_id)} lost_reason_id to one of: {listed}"
    return CheckRow(domiq_id, "lost reason", False, detail, fix)

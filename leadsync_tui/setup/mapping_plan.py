"""Which ResMan property, source, agent and lost reason each DomIQ property gets, and
why: an `init` option beats what the file already says, which beats a proposal by name
(`proposals`). Nothing here calls the network; `catalog` holds what was read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync_tui.setup import proposals
from leadsync_tui.setup.catalog import ResmanCatalog

OPTION = "given"
KEPT = "kept from the file"
PROPOSED = "proposed"


class PlanError(Exception):
    """An option names something ResMan does not have (the message lists what it has)."""


@dataclass(frozen=True)
class Choice:
    """One value for one key, with its label (a name) and how it was chosen."""

    value: str | None
    label: str = ""
    how: str = ""


@dataclass(frozen=True)
class PropertyPlan:
    domiq_id: str
    leads: int
    property: Choice
    source: Choice
    agent: Choice
    lost_reason: Choice

    def values(self) -> dict[str, str | None]:
        return {
            "property_id": self.property.value,
            "source_id": self.source.value,
            "agent_id": self.agent.value,
            "lost_reason_id": self.lost_reason.value,
        }


@dataclass(frozen=True)
class PropertyOptions:
    """What a person said per DomIQ property (`--pair`, `--source`, ...); "*" = all."""

    pairs: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    agents: Mapping[str, str] = field(default_factory=dict)
    lost_reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    properties: list[PropertyPlan]
    warnings: list[str]


def plan_mapping(
    catalog: ResmanCatalog,
    domiq_counts: Counter[str],
    existing: Mapping[str, Any],
    options: PropertyOptions,
    pairs: Mapping[str, Choice],
    warnings: list[str],
) -> Plan:
    """Choose each paired property's source, agent and lost reason (`catalog` must hold
    the sources and employees of the paired properties: `catalog.read_properties`)."""
    plans = [
        _property_plan(domiq_id, pick, catalog, domiq_counts, existing, options, warnings)
        for domiq_id, pick in pairs.items()
    ]
    return Plan(plans, warnings)


def pair_properties(
    catalog: ResmanCatalog,
    counts: Counter[str],
    existing: Mapping[str, Any],
    options: PropertyOptions,
    warnings: list[str],
) -> dict[str, Choice]:
    """Pair every DomIQ property (in `--pair`, in the file, seen in leads) with a ResMan
    property; raise `PlanError` when `--pair` names one ResMan does not have."""
    pairs: dict[str, Choice] = {}
    for domiq_id, wanted in options.pairs.items():
        found = catalog.find_property(wanted)
        if found is None:
            listed = ", ".join(f"{p.property_id} ({p.name})" for p in catalog.properties)
            raise PlanError(
                f"--pair {domiq_id}={wanted}: ResMan account {catalog.account_id} has no "
                f"property with that id or name; it has: {listed or 'none'}"
            )
        if domiq_id not in counts:
            warnings.append(f"DomIQ has no lead at {domiq_id} yet; pairing it as asked")
        pairs[domiq_id] = Choice(found.property_id, found.name, OPTION)
    for domiq_id, entry in existing.items():
        if domiq_id not in pairs and isinstance(entry, Mapping) and entry.get("property_id"):
            value = str(entry["property_id"])
            known = catalog.property(value)
            pairs[domiq_id] = Choice(value, known.name if known else "not in ResMan", KEPT)
    taken = {proposals.guid_key(c.value) for c in pairs.values() if c.value}
    for domiq_id in sorted(counts):
        if domiq_id in pairs:
            continue
        free = [p for p in catalog.properties if proposals.guid_key(p.property_id) not in taken]
        best = proposals.propose_property(domiq_id, free)
        if best is None:
            warnings.append(
                f"no ResMan property is named like {domiq_id} ({counts[domiq_id]} lead(s)): "
                f"its leads will not reach ResMan; pair it with --pair {domiq_id}=<PropertyID>"
            )
            continue
        taken.add(proposals.guid_key(best.property_id))
        pairs[domiq_id] = Choice(best.property_id, best.name, f"{PROPOSED}: named like it")
    return pairs


def _given(options: Mapping[str, str], domiq_id: str) -> str | None:
    return options.get(domiq_id, options.get("*"))


def _property_plan(
    domiq_id: str,
    pick: Choice,
    catalog: ResmanCatalog,
    counts: Counter[str],
    existing: Mapping[str, Any],
    options: PropertyOptions,
    warnings: list[str],
) -> PropertyPlan:
    entry = existing.get(domiq_id)
    old: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {}
    same = bool(old.get("property_id")) and proposals.guid_key(str(old["property_id"])) == (
        proposals.guid_key(pick.value or "")
    )
    property_id = pick.value or ""
    sources = catalog.sources_of(property_id)
    employees = catalog.employees_of(property_id)

    def kept(key: str) -> str | None:
        value = old.get(key)
        return str(value) if value and (same or key == "lost_reason_id") else None

    source = _choose(
        _given(options.sources, domiq_id),
        kept("source_id"),
        proposals.propose_source(sources),
        {s.id: s.name for s in sources},
        "named like DomIQ's chat",
    )
    agent_choice = proposals.propose_agent(employees)
    agent = _choose(
        _given(options.agents, domiq_id),
        kept("agent_id"),
        agent_choice,
        {e.id: e.name for e in employees},
        "an integration employee",
    )
    chosen = next((e for e in employees if agent.value and e.id == agent.value), None)
    if chosen is not None:
        twice = proposals.listed_twice(chosen, employees, pick.label)
        if twice:
            warnings.append(twice)
    lost = _choose(
        _given(options.lost_reasons, domiq_id),
        kept("lost_reason_id"),
        proposals.propose_lost_reason(catalog.lost_reasons),
        {r.id: r.name for r in catalog.lost_reasons},
        "for leads that stopped answering",
    )
    for key, choice in (("source_id", source), ("agent_id", agent), ("lost_reason_id", lost)):
        if choice.value is None:
            warnings.append(f"{domiq_id}: no {key} given, kept or proposable (see the check)")
    return PropertyPlan(domiq_id, counts.get(domiq_id, 0), pick, source, agent, lost)


def _choose(
    given: str | None,
    kept: str | None,
    proposal: Any,
    names: Mapping[str, str],
    why: str,
) -> Choice:
    def label(value: str) -> str:
        wanted = proposals.guid_key(value)
        return next((n for i, n in names.items() if proposals.guid_key(i) == wanted), "")

    if given:
        return Choice(given, label(given), OPTION)
    if kept:
        return Choice(kept, label(kept), KEPT)
    if proposal is not None:
        return Choice(str(proposal.id), str(proposal.name), f"{PROPOSED}: {why}")
    return Choice(None)

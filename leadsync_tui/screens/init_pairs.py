"""One DomIQ property on the guided set-up screen: which ResMan property it pairs with and
what its new prospects get (source, agent, lost reason), as Selects prefilled with what
`setup.mapping_plan` proposed. The row only shows and collects; choosing another ResMan
property asks the app (`Repair`) to read that property and propose again."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from leadsync_tui.setup import proposals
from leadsync_tui.setup.catalog import ResmanCatalog
from leadsync_tui.setup.mapping_plan import OPTION, Choice, PropertyPlan

NOT_PAIRED = "(not paired: its leads stay in DomIQ)"
NONE = "(none)"


def _option(name: str, value: str) -> tuple[str, str]:
    return (f"{name} · {value}" if name else value, value)


class PairRow(Vertical):
    """A DomIQ property and its four choices."""

    @dataclass
    class Repair(Message):
        """The person paired `domiq_id` with another ResMan property: propose again."""

        row: PairRow
        property_id: str

    def __init__(
        self, domiq_id: str, leads: int, plan: PropertyPlan | None, catalog: ResmanCatalog
    ) -> None:
        super().__init__(classes="pair")
        self.domiq_id = domiq_id
        self.leads = leads
        self.catalog = catalog
        self.plan = plan
        self._property = plan.property.value if plan else None
        self._known: dict[str, set[str]] = {}

    def compose(self) -> ComposeResult:
        plan = self.plan
        yield Label(
            f"{self.domiq_id} · {self.leads} lead(s) in DomIQ"
            + (f" · {plan.property.how}" if plan and plan.property.how else ""),
            classes="pair-title",
        )
        properties = [_option(p.name, p.property_id) for p in self.catalog.properties]
        reasons = [_option(r.name, r.id) for r in self.catalog.lost_reasons]
        self._known = {
            ".property": {value for _, value in properties},
            ".lost": {value for _, value in reasons},
        }
        yield self._row("ResMan", Select(properties, prompt=NOT_PAIRED, classes="property"))
        yield self._row("source", Select([], prompt=NONE, classes="source"))
        yield self._row("agent", Select([], prompt=NONE, classes="agent"))
        yield self._row("lost reason", Select(reasons, prompt=NONE, classes="lost"))
        yield Static("", classes="pair-warning")

    def _row(self, label: str, select: Select[str]) -> Horizontal:
        return Horizontal(Label(label, classes="pair-label"), select, classes="pair-row")

    def on_mount(self) -> None:
        self.apply(self.plan)

    def apply(self, plan: PropertyPlan | None) -> None:
        """Show `plan`'s choices (after `Repair`, the proposals for the new property)."""
        self.plan = plan
        self._property = plan.property.value if plan else None
        self._set(".property", plan.property if plan else None)
        pid = self._property or ""
        sources = [_option(s.name, s.id) for s in self.catalog.sources_of(pid)]
        employees = [_option(e.name, e.id) for e in self.catalog.employees_of(pid)]
        self.query_one(".source", Select).set_options(sources)
        self.query_one(".agent", Select).set_options(employees)
        self._known[".source"] = {value for _, value in sources}
        self._known[".agent"] = {value for _, value in employees}
        self._set(".source", plan.source if plan else None)
        self._set(".agent", plan.agent if plan else None)
        self._set(".lost", plan.lost_reason if plan else None)
        self._warn()

    def _set(self, selector: str, choice: Choice | None) -> None:
        select: Select[str] = self.query_one(selector, Select)
        if choice is not None and choice.value in self._known.get(selector, set()):
            select.value = choice.value
        else:
            select.clear()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.has_class("property"):
            chosen = event.value if isinstance(event.value, str) else None
            if chosen != self._property:
                self._property = chosen
                if chosen:
                    self.post_message(self.Repair(self, chosen))
                else:
                    self.apply(None)
        self._warn()

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def _warn(self) -> None:
        """ResMan listing the chosen agent twice, said under the row (as init prints it)."""
        pid, agent = self._value(".property"), self._value(".agent")
        note = ""
        if pid and agent:
            employees = self.catalog.employees_of(pid)
            chosen = next((e for e in employees if e.id == agent), None)
            found = self.catalog.property(pid)
            if chosen is not None:
                note = proposals.listed_twice(chosen, employees, found.name if found else pid) or ""
        if pid and not agent:
            note = "no agent: ResMan refuses a new prospect without one"
        warning = self.query_one(".pair-warning", Static)
        warning.update(f"⚠ {note}" if note else "")
        warning.display = bool(note)

    def chosen(self) -> PropertyPlan | None:
        """What the person chose, as the plan `init` writes; None when not paired."""
        pid = self._value(".property")
        if not pid:
            return None
        found = self.catalog.property(pid)

        def choice(selector: str) -> Choice:
            return Choice(self._value(selector), "", OPTION)

        return PropertyPlan(
            self.domiq_id,
            self.leads,
            Choice(pid, found.name if found else "", OPTION),
            choice(".source"),
            choice(".agent"),
            choice(".lost"),
        )

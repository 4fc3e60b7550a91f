"""`leadsync init` in a terminal: the guided set-up screen.

The screen only collects answers and shows results; every step is the non-interactive
path's own function (`setup.init_command`): `credentials` checks the answers, `discover`
tries both systems at once and proposes the pairs, `plan_one` proposes again for a
property paired anew, `write_answers` writes the file (0600, comments kept) and
`check_written` runs the online check. Network work runs through `ui_work`, so a
failure is shown and the app stays up. Exit code: the online check's once written;
2 (nothing written) when the person leaves before writing.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static
from tomlkit.toml_document import TOMLDocument

from leadsync_tui.config import ConfigError, DomiqSettings, ResmanSettings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.screens.init_pairs import PairRow
from leadsync_tui.setup.check_table import FAIL, PASS, render
from leadsync_tui.setup.config_file import ConfigFileError, masked, plain, read_document
from leadsync_tui.setup.init_command import (
    Discovery,
    InitError,
    check_written,
    credentials,
    discover,
    plan_one,
    property_options,
    target_path,
    write_answers,
)
from leadsync_tui.setup.init_options import SECRET_FROM_STDIN, InitAnswers
from leadsync_tui.setup.mapping_plan import Plan, PlanError, PropertyOptions
from leadsync_tui.setup.online_check import CheckRow
from leadsync_tui.ui_work import push_screen, ui_work

Discover = Callable[
    [DomiqSettings, ResmanSettings, Mapping[str, Any], PropertyOptions], Awaitable[Discovery]
]

FIELDS = (
    ("domiq", "domiq_url", "URL", "base_url", False),
    ("domiq", "domiq_token", "token", "token", True),
    ("resman", "resman_url", "URL", "base_url", False),
    ("resman", "resman_partner_id", "partner id", "integration_partner_id", False),
    ("resman", "resman_api_key", "API key", "api_key", True),
    ("resman", "resman_account_id", "account id", "account_id", False),
)


async def discover_on_screen(
    domiq: DomiqSettings,
    resman: ResmanSettings,
    existing: Mapping[str, Any],
    options: PropertyOptions,
) -> Discovery:
    """`discover`, with fixes naming the file's keys (the screen has no options)."""
    return await discover(domiq, resman, existing, options, as_option=False)


class LeaveScreen(ModalScreen[bool]):
    """Leave without writing? (asked only when something was typed or proposed)."""

    BINDINGS = [Binding("y", "answer(True)", "Leave"), Binding("n,escape", "answer(False)", "Stay")]

    def compose(self) -> ComposeResult:
        with Vertical(id="leave"):
            yield Label("Leave without writing? Nothing has been written yet.")
            with Horizontal(id="leave-buttons"):
                yield Button("Leave (y)", id="leave-yes", variant="error")
                yield Button("Stay (n)", id="leave-no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "leave-yes")

    def action_answer(self, leave: bool) -> None:
        self.dismiss(leave)


class InitApp(App[int]):
    """Ask, try, pair, write, check (see the module docstring)."""

    CSS_PATH = [Path(__file__).parent.parent / "app.tcss", "init_app.tcss"]
    TITLE = "leadsync init"
    BINDINGS = [
        Binding("ctrl+s", "write", "Write", priority=True),
        Binding("ctrl+t", "try", "Try", priority=True),
        Binding("escape", "leave", "Quit"),
        Binding("ctrl+q", "leave", "Quit", priority=True),
    ]

    def __init__(
        self,
        answers: InitAnswers,
        path: Path,
        document: TOMLDocument | None,
        *,
        discover: Discover = discover_on_screen,
    ) -> None:
        super().__init__()
        self.answers = answers
        self.path = path
        self.document = document
        self.existing = plain(document)
        self.discover = discover
        self.found: Discovery | None = None
        self.tried: tuple[DomiqSettings, ResmanSettings] | None = None
        self.written = False
        self.exit_code: int = ExitCode.USAGE
        self._prefill = {a: self._initial(s, a, k) for s, a, _, k, _ in FIELDS}

    def _initial(self, section: str, attribute: str, key: str) -> str:
        given = getattr(self.answers, attribute)
        if given and given != SECRET_FROM_STDIN:
            return str(given)
        table = self.existing.get(section)
        old = table.get(key) if isinstance(table, dict) else None
        return "" if old is None else str(old)

    def compose(self) -> ComposeResult:
        verb = "editing" if self.document is not None else "creating"
        with VerticalScroll(id="form"):
            yield Static(f"{verb} {self.path} (mode 0600)", id="target")
            for system in ("domiq", "resman"):
                with Vertical(id=system, classes="system"):
                    for section, attribute, label, _, secret in FIELDS:
                        if section != system:
                            continue
                        with Horizontal(classes="field-row"):
                            yield Label(label, classes="field-label")
                            yield Input(
                                self._prefill[attribute],
                                id=attribute,
                                password=secret,
                                classes="control",
                            )
                        yield Static("", id=f"{attribute}-error", classes="field-error")
                    yield Static("", id=f"{system}-status", classes="status")
            with Horizontal(classes="buttons"):
                yield Button("Try (ctrl+t)", id="try", variant="primary")
                yield Static("", id="try-status")
            yield Vertical(id="pairs")
            with Horizontal(classes="buttons"):
                yield Button("Write (ctrl+s)", id="write", variant="success", disabled=True)
                yield Static("", id="write-status")
            yield Static("", id="written")
            yield Static("", id="check")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#domiq", Vertical).border_title = "DomIQ"
        self.query_one("#resman", Vertical).border_title = "ResMan"
        self.query_one("#pairs", Vertical).border_title = "Properties"
        for node in self.query(".field-error, .status, #pairs, #written, #check"):
            node.display = False
        empty = [i for i in self.query(".field-row Input").results(Input) if not i.value]
        (empty[0] if empty else self.query_one("#try", Button)).focus()

    # ------------------------------------------------------------------ answers, Try

    def _answers(self) -> InitAnswers:
        """The options as given, with the fields as typed now."""

        def typed(attribute: str) -> str:
            return self.query_one(f"#{attribute}", Input).value.strip()

        return replace(
            self.answers,
            domiq_url=typed("domiq_url"),
            domiq_token=typed("domiq_token"),
            resman_url=typed("resman_url"),
            resman_partner_id=typed("resman_partner_id"),
            resman_api_key=typed("resman_api_key"),
            resman_account_id=typed("resman_account_id"),
        )

    def _say(self, selector: str, text: str | Text) -> None:
        node = self.query_one(selector, Static)
        node.update(text)
        node.display = bool(str(text))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "try":
            self.action_try()
        elif event.button.id == "write":
            self.action_write()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._say(f"#{event.input.id}-error", "")
        if self.tried is not None and not self.written:
            self.tried = None
            self.query_one("#write", Button).disabled = True
            self._say("#try-status", "changed since the last Try: press Try again")

    def action_try(self) -> None:
        for _, attribute, _, _, _ in FIELDS:
            self._say(f"#{attribute}-error", "")
        try:
            domiq, resman = credentials(self._answers(), self.existing, io.StringIO())
            options = property_options(self.answers)
        except InitError as exc:
            for attribute, problem in exc.fields.items():
                self._say(f"#{attribute}-error", f"✘ {problem}")
            unplaced = [] if exc.fields else exc.problems
            self._say("#try-status", "; ".join(unplaced) or "fix the marked fields")
            return
        self._say("#try-status", "trying DomIQ and ResMan…")
        self.query_one("#try", Button).disabled = True
        self._try(domiq, resman, options)

    @ui_work(exclusive=True, group="try", description="Trying DomIQ and ResMan")
    async def _try(
        self, domiq: DomiqSettings, resman: ResmanSettings, options: PropertyOptions
    ) -> None:
        try:
            found = await self.discover(domiq, resman, self.existing, options)
        except PlanError as exc:
            self._say("#try-status", f"✘ {exc}")
            return
        finally:
            self.query_one("#try", Button).disabled = False
        for row, system in zip(found.rows, ("domiq", "resman"), strict=True):
            self._say(f"#{system}-status", _row_text(row))
        if found.plan is None or found.catalog is None or found.counts is None:
            self._say("#try-status", "✘ fix the above and Try again; nothing written")
            return
        self.found, self.tried = found, (domiq, resman)
        await self._show_pairs(found)
        self.query_one("#write", Button).disabled = False
        self._say("#try-status", "✔ both answered; check the pairs below, then Write")

    async def _show_pairs(self, found: Discovery) -> None:
        assert found.plan is not None and found.catalog is not None and found.counts
        pairs = self.query_one("#pairs", Vertical)
        await pairs.remove_children()
        names = ", ".join(f"{p.name} ({p.property_id})" for p in found.catalog.properties)
        planned = {item.domiq_id: item for item in found.plan.properties}
        ids = sorted(set(found.counts) | set(planned))
        rows: list[Static | PairRow] = [Static(f"ResMan has: {names}", classes="listed")]
        rows += [PairRow(i, found.counts.get(i, 0), planned.get(i), found.catalog) for i in ids]
        if found.plan.warnings:
            rows.append(Static("\n".join(f"⚠ {w}" for w in found.plan.warnings)))
        await pairs.mount_all(rows)
        pairs.display = True

    def on_pair_row_repair(self, message: PairRow.Repair) -> None:
        self._repair(message.row, message.property_id)

    @ui_work(group="repair", description="Reading the ResMan property")
    async def _repair(self, row: PairRow, property_id: str) -> None:
        if self.found is None or self.tried is None or self.found.catalog is None:
            return
        counts = self.found.counts
        assert counts is not None
        plan = await plan_one(
            self.tried[1], self.existing, self.found.catalog, counts, row.domiq_id, property_id
        )
        row.apply(plan)

    # ------------------------------------------------------------------ Write, check

    def action_write(self) -> None:
        if self.tried is None:
            self._say("#write-status", "Try first: nothing is written before both answer")
            return
        chosen = [row.chosen() for row in self.query(PairRow)]
        plan = Plan([item for item in chosen if item is not None], [])
        self.query_one("#write", Button).disabled = True
        self._write(plan)

    @ui_work(exclusive=True, group="write", description="Writing the configuration")
    async def _write(self, plan: Plan) -> None:
        assert self.tried is not None
        domiq, resman = self.tried
        try:
            self.document = write_answers(self.path, self.document, domiq, resman, plan)
        except OSError as exc:
            self._say("#write-status", f"✘ cannot write {self.path}: {exc.strerror}")
            self.query_one("#write", Button).disabled = False
            return
        self.written = True
        self.sub_title = f"wrote {self.path}"
        self._say("#write-status", f"✔ wrote {self.path} (mode 0600); checking it online…")
        self._say("#written", masked(self.document).rstrip())
        try:
            report = await check_written(self.path, as_option=False)
        except ConfigError as exc:
            self._say("#check", "\n".join(exc.problems))
            return
        self.exit_code = report.exit_code
        self._say("#check", _table(render(report)))
        self._say("#write-status", f"✔ wrote {self.path} (mode 0600); esc to leave")
        self.query_one("#check", Static).scroll_visible()

    # ------------------------------------------------------------------ leaving

    def _typed(self) -> bool:
        typed = any(
            self.query_one(f"#{a}", Input).value != self._prefill[a] for _, a, _, _, _ in FIELDS
        )
        return typed or self.found is not None

    def action_leave(self) -> None:
        if self.written or not self._typed():
            self.exit(self.exit_code)
            return
        push_screen(self.screen, LeaveScreen(), self._left)

    def _left(self, leave: bool | None) -> None:
        if leave:
            self.exit(self.exit_code)


def _row_text(row: CheckRow) -> Text:
    mark, style = (PASS, "green") if row.passed else (FAIL, "red")
    text = Text.assemble((f"{mark} ", style), row.detail)
    if row.fix:
        text.append(f"\n  fix: {row.fix}", style="italic")
    return text


def _table(lines: list[str]) -> Text:
    """The online check's table as `config check --online` prints it, ✔ green, ✘ red."""
    text = Text()
    for line in lines:
        style = "red" if f" {FAIL} " in line else "green" if f" {PASS} " in line else ""
        text.append(line + "\n", style=style)
    text.rstrip()
    return text


def run_guided(answers: InitAnswers, err: TextIO) -> int:
    """Run the screen on the file `init` would write; its exit code (`ExitCode.USAGE`
    when the file cannot be read, or when left before writing)."""
    path = target_path(answers.config)
    try:
        document = read_document(path)
    except ConfigFileError as exc:
        print(f"leadsync init: {exc}", file=err)
        return ExitCode.USAGE
    code = InitApp(answers, path, document).run()
    return ExitCode.USAGE if code is None else int(code)

"""The dashboard's actions on many leads at once: retry, bulk resolve, export.

They share one rule for what they work on (`targets`: the marked rows, else the rows the
filter shows, else the lead under the cursor), and each is audited as one decision; kept
apart from the dashboard so the screen reads as layout and wiring.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

from leadsync_tui.models import ConflictResolution, Resolution, SyncStatus
from leadsync_tui.roles import Permission
from leadsync_tui.screens.alerts import AlertTracker
from leadsync_tui.screens.bulk_action import BulkActionModal, BulkDecision
from leadsync_tui.screens.conflict_words import RESOLUTION_WORDS
from leadsync_tui.screens.csv_export import export_file_name, write_csv
from leadsync_tui.screens.session import SessionScreen
from leadsync_tui.screens.wording import plural
from leadsync_tui.store.retry_note import nothing_to_retry
from leadsync_tui.store.store import ActionRefused
from leadsync_tui.ui_work import push_screen, run_ui_work
from leadsync_tui.widgets import LeadsTable


def targets(table: LeadsTable) -> tuple[list[str], str]:
    """What a bulk action works on: the marked rows, else the rows the filter shows
    (when a filter is on), else the lead under the cursor; and how to say which."""
    if table.marked_keys:
        hidden = len(table.marked_keys - set(table.visible_keys()))
        which = "the marked rows"
        if hidden:
            which += f", {plural(hidden, 'of them', 'of them')} hidden by the filter"
        return sorted(table.marked_keys), which
    if table.filter_text or table.row_count < table.total_count:
        return table.visible_keys(), "the rows the filter shows"
    return ([table.cursor_key], "this lead") if table.cursor_key else ([], "no lead")


class BulkActions:
    """Retry, bulk resolve and export for `screen`, on the rows of its `table`."""

    def __init__(
        self, screen: SessionScreen, table: Callable[[], LeadsTable], alerts: AlertTracker
    ) -> None:
        self._screen = screen
        self._table = table
        self._alerts = alerts

    def _used_marks(self, which: str) -> None:
        """A bulk action done on the marked rows clears the marks: they were for it."""
        if which.startswith("the marked rows"):
            self._table().clear_marks()

    # ------------------------------------------------------------ bulk resolve

    def resolve(self) -> None:
        """Resolve the open conflicts of the marked (or filtered) leads at once."""
        screen, session = self._screen, self._screen.session
        if not session.refuse_unless(Permission.BULK):
            return
        keys, which = targets(self._table())
        conflicts = [c for key in keys for c in screen.store.open_conflicts_for(key)]
        allowed = [c for c in conflicts if session.may(Permission.RESOLVE, c.conflict_severity)]
        if not allowed:
            screen.notify(
                f"No open conflict you may resolve among {which}." if keys else "No lead selected.",
                timeout=3,
            )
            return
        leads = len({c.conversation_id for c in allowed})
        summary = (
            f"Resolve {plural(len(allowed), 'open conflict')} of {plural(leads, 'lead')}"
            f" ({which}) with one decision."
        )
        skipped = ""
        if len(allowed) < len(conflicts):
            skipped = (
                f"{plural(len(conflicts) - len(allowed), 'conflict')} left out: high severity,"
                " for a manager."
            )
        push_screen(
            screen,
            BulkActionModal("resolve", summary, skipped=skipped),
            partial(self._resolve, [c.id for c in allowed], which),
        )

    async def _resolve(
        self, conflict_ids: list[str], which: str, decision: BulkDecision | None
    ) -> None:
        if decision is None or decision.resolution is None:
            return
        store, actor = self._screen.store, self._screen.session.actor
        done: list[str] = []
        refused: list[str] = []
        for conflict_id in conflict_ids:
            resolution = ConflictResolution(resolution=decision.resolution, reason=decision.reason)
            try:
                await store.resolve_conflict(conflict_id, resolution, actor)
            except ActionRefused as exc:
                refused.append(f"{conflict_id}: {exc}")
            else:
                done.append(conflict_id)
                if decision.resolution is Resolution.MANUAL_REVIEW:
                    self._alerts.announced_reviews.add(conflict_id)
        await store.record_audit(
            actor=actor,
            action="bulk_resolve",
            target=which,
            after={"resolution": decision.resolution.value, "resolved": done, "refused": refused},
            reason=decision.reason,
        )
        words = RESOLUTION_WORDS[decision.resolution]
        message = f"Resolved {plural(len(done), 'conflict')} ({words})."
        self._used_marks(which)
        if refused:
            message += f" {len(refused)} refused: {refused[0]}"
        self._screen.notify(message, severity="warning" if refused else "information", timeout=5)

    # ------------------------------------------------------------ retry

    def retry(self) -> None:
        """Send the failed writes of the marked leads (else the filtered ones, else the
        current one) again; more than one lead asks for a confirmation first."""
        screen = self._screen
        if not screen.session.refuse_unless(Permission.RETRY):
            return
        keys, which = targets(self._table())
        if not keys:
            return
        if len(keys) == 1:
            run_ui_work(
                screen,
                self._retry(keys, which, BulkDecision("retry")),
                group="retry",
                description="Retry",
            )
            return
        leads = screen.store.state.leads
        failed = sum(
            1
            for key in keys
            if (lead := leads.get(key)) and lead.resman_sync_status is SyncStatus.FAILED
        )
        summary = (
            f"Retry the failed writes of {plural(len(keys), 'lead')} ({which})?"
            f" {failed:,} of them show failed now."
        )
        push_screen(screen, BulkActionModal("retry", summary), partial(self._retry, keys, which))

    async def _retry(self, keys: list[str], which: str, decision: BulkDecision | None) -> None:
        if decision is None:
            return
        store, actor = self._screen.store, self._screen.session.actor
        count = await store.retry_leads(keys, actor=actor)
        self._used_marks(which)
        if len(keys) > 1:
            await store.record_audit(
                actor=actor,
                action="bulk_retry",
                target=which,
                after={"leads": len(keys), "writes_retried": count},
            )
        if count:
            self._screen.notify(f"Retrying {plural(count, 'failed write')}.", timeout=3)
        else:
            self._screen.notify(nothing_to_retry(store, keys), timeout=5)

    # ------------------------------------------------------------ export

    async def export(self) -> None:
        """The rows in view, as shown (filter, sort, masking), to a CSV file."""
        screen = self._screen
        if not screen.session.refuse_unless(Permission.EXPORT):
            return
        table = self._table()
        leads = [lead for key in table.visible_keys() if (lead := table.get_lead(key))]
        if not leads:
            screen.notify(
                "Nothing to export: no row is in view (esc clears the filter).", timeout=4
            )
            return
        now = screen.session.clock()
        path = Path.cwd() / export_file_name(now)
        try:
            count = await asyncio.to_thread(write_csv, path, leads, now, mask=table.mask_pii)
        except OSError as exc:
            screen.notify(
                f"Could not write {path}: {exc.strerror or exc}. Start leadsync from a"
                " directory you can write to, then press e again.",
                title="Export failed",
                severity="error",
                timeout=8,
            )
            return
        await screen.store.record_audit(
            actor=screen.session.actor,
            action="export",
            target=str(path),
            after={"rows": count, "filter": table.filter_text, "masked": table.mask_pii},
        )
        screen.notify(f"Exported {plural(count, 'row')} to {path}", title="Export", timeout=6)

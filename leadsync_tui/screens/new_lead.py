"""Opening the new-lead form (`n`): refused with the reason, or wired to the session.

The session decides how a create goes out (this window's desk, or a command for the
engine's holder while the window watches) and who the audit log names; the dashboard
only says where the new lead should show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from leadsync_tui.models import Lead
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.screens.lead_creation_calls import check_on, create_on, create_through_engine
from leadsync_tui.screens.session import Session, SessionScreen
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.ui_work import push_screen
from leadsync_tui.widgets.leads_table import LeadsTable


def form_for_desk(desk: LeadDesk, *, actor: str, today: date) -> LeadCreationModal:
    """The form wired to DomIQ and ResMan through the desk, audited as `actor`."""
    return LeadCreationModal(
        desk.mapping.domiq_property_ids,
        check=partial(check_on, desk, today),
        create=partial(create_on, desk, actor),
        today=today,
        property_names=desk.settings.resman.property_names,
    )


def form_through_engine(
    desk: LeadDesk, *, actor: str, today: date, clock: Callable[[], datetime]
) -> LeadCreationModal:
    """The form of a watching window: checks read DomIQ and ResMan as usual, the
    create goes to the lease holder's engine as a command and the form waits."""
    form = form_for_desk(desk, actor=actor, today=today)
    form.use_create(partial(create_through_engine, desk.store, actor, clock, form))
    return form


def creation_refusal(session: Session) -> str | None:
    """Why this session cannot create leads (read-only, or no DomIQ to create them in)."""
    if session.read_only:
        return "Read-only session: creating leads is not allowed."
    if session.desk is None:
        return "No connection to DomIQ and ResMan in this session: cannot create leads."
    return None


def open_lead_creation(screen: SessionScreen, table: LeadsTable, *, today: date) -> None:
    """Open the form over `screen`, audited as the session's actor; afterwards put
    `table`'s cursor on the new lead."""
    session = screen.session
    refusal = creation_refusal(session)
    desk = session.desk
    if refusal is not None or desk is None:
        screen.notify(refusal or "Cannot create leads here.", severity="warning", timeout=4)
        return
    if not desk.mapping.domiq_property_ids:
        screen.notify(
            "No property is mapped to ResMan: add [resman.properties.<DomIQ id>] to the "
            "config (leadsync config check shows it), then create leads.",
            severity="warning",
            timeout=6,
        )
        return

    def created(lead: Lead | None) -> None:
        if lead is None:
            return
        if table.get_lead(lead.conversation_id) is None:
            table.upsert([lead])
        shown = table.move_cursor_to(lead.conversation_id)
        note = "" if shown else " (the filter hides it)"
        screen.notify(f"Lead created; syncing to ResMan{note}", timeout=4)

    actor = session.actor
    if session.watching:
        modal = form_through_engine(desk, actor=actor, today=today, clock=session.clock)
    else:
        modal = form_for_desk(desk, actor=actor, today=today)
    push_screen(screen, modal, created)

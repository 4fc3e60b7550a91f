"""`ConflictNotificationBanner` (spec: `ConflictNotificationBanner`): counts, order, hiding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from leadsync_tui.models import (
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    ResolutionStatus,
)
from leadsync_tui.widgets.conflict_banner import (
    ConflictNotificationBanner,
    first_conflict,
    triage_order,
)

NOW = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)

LEAD_NAMES = {"conv_001": "Maya Okafor", "conv_002": "Liam Nguyen", "conv_003": "Sofia Garcia"}


def conflict(
    conflict_id: str,
    *,
    field: str = "phone",
    conversation_id: str = "conv_001",
    severity: ConflictSeverity = ConflictSeverity.HIGH,
    status: ResolutionStatus = ResolutionStatus.UNRESOLVED,
    age: timedelta | None = timedelta(minutes=5),
) -> LeadSyncConflict:
    return LeadSyncConflict(
        id=conflict_id,
        conversation_id=conversation_id,
        field=field,
        resman_value="+15125550100",
        domiq_value="+15125550199",
        conflict_type=ConflictType.VALUE_MISMATCH,
        conflict_severity=severity,
        resolution_status=status,
        detected_at=None if age is None else NOW - age,
    )


def sample_conflicts() -> list[LeadSyncConflict]:
    """Three open conflicts (one high) and one resolved one that must not count."""
    return [
        conflict(
            "cf_1",
            field="move_in_date",
            severity=ConflictSeverity.MEDIUM,
            age=timedelta(hours=3),
            conversation_id="conv_002",
        ),
        conflict("cf_2", field="email", age=timedelta(minutes=10)),
        conflict(
            "cf_3",
            field="notes",
            severity=ConflictSeverity.LOW,
            status=ResolutionStatus.ESCALATED,
            conversation_id="conv_003",
        ),
        conflict("cf_4", status=ResolutionStatus.RESOLVED, age=timedelta(days=2)),
    ]


def displayed(widget: Widget) -> bool:
    """`widget.display`, read through a call so mypy does not narrow it between steps."""
    return widget.display


class BannerApp(App[None]):
    def __init__(self, banner: ConflictNotificationBanner) -> None:
        super().__init__()
        self.banner = banner
        self.selected: list[Message] = []

    def compose(self) -> ComposeResult:
        yield self.banner

    def on_conflict_notification_banner_conflict_selected(
        self, message: ConflictNotificationBanner.ConflictSelected
    ) -> None:
        self.selected.append(message)


def test_triage_order_puts_severity_first_then_age_then_id() -> None:
    old_medium = conflict("a", severity=ConflictSeverity.MEDIUM, age=timedelta(days=3))
    new_high = conflict("b", age=timedelta(seconds=5))
    older_high = conflict("c", age=timedelta(hours=1))
    undated_high = conflict("d", age=None)
    twin_high = conflict("0", age=timedelta(hours=1))
    ordered = sorted([old_medium, new_high, undated_high, older_high, twin_high], key=triage_order)
    assert [c.id for c in ordered] == ["0", "c", "b", "d", "a"]


def test_first_conflict_ignores_closed_ones() -> None:
    resolved_high = conflict("x", status=ResolutionStatus.RESOLVED, age=timedelta(days=9))
    review_low = conflict("y", severity=ConflictSeverity.LOW, status=ResolutionStatus.MANUAL_REVIEW)
    assert first_conflict([resolved_high, review_low]) == review_low
    assert first_conflict([resolved_high]) is None
    assert first_conflict([]) is None


async def test_hidden_when_nothing_is_open() -> None:
    banner = ConflictNotificationBanner(
        [conflict("cf_9", status=ResolutionStatus.RESOLVED)], lead_names=LEAD_NAMES
    )
    async with BannerApp(banner).run_test():
        assert displayed(banner) is False
        assert banner.open_conflicts == []


async def test_one_conflict_names_field_and_lead() -> None:
    banner = ConflictNotificationBanner([conflict("cf_1")], lead_names=LEAD_NAMES)
    async with BannerApp(banner).run_test():
        assert displayed(banner) is True
        assert banner.label == "▲ 1 unresolved conflict: phone on Maya Okafor — press c"


async def test_unknown_lead_falls_back_to_conversation_id() -> None:
    banner = ConflictNotificationBanner(
        [conflict("cf_1", field="desired_bedrooms", conversation_id="conv_777")]
    )
    async with BannerApp(banner).run_test():
        assert banner.label == "▲ 1 unresolved conflict: desired bedrooms on conv_777 — press c"


async def test_many_conflicts_count_open_ones_and_high_ones() -> None:
    banner = ConflictNotificationBanner(sample_conflicts(), lead_names=LEAD_NAMES)
    async with BannerApp(banner).run_test():
        assert banner.label == "▲ 3 unresolved conflicts (1 high) — press c to triage"
        assert any(  # the high count has its own (error) style
            banner.label[span.start : span.end] == "1 high" for span in banner.render().spans
        )


async def test_many_without_high_ones_omit_the_high_count() -> None:
    conflicts = [
        conflict("a", severity=ConflictSeverity.LOW),
        conflict("b", severity=ConflictSeverity.MEDIUM),
    ]
    banner = ConflictNotificationBanner(conflicts, key_hint="f2")
    async with BannerApp(banner).run_test():
        assert banner.label == "▲ 2 unresolved conflicts — press f2 to triage"


async def test_updates_show_and_hide_the_banner() -> None:
    banner = ConflictNotificationBanner()
    async with BannerApp(banner).run_test() as pilot:
        assert displayed(banner) is False
        banner.update_conflicts([conflict("cf_1")], lead_names={"conv_001": "M. O."})
        await pilot.pause()
        assert displayed(banner) is True
        assert banner.label == "▲ 1 unresolved conflict: phone on M. O. — press c"
        banner.conflicts = sample_conflicts()
        await pilot.pause()
        assert banner.label.startswith("▲ 3 unresolved conflicts")
        banner.conflicts = []
        await pilot.pause()
        assert displayed(banner) is False


async def test_click_selects_the_most_severe_then_oldest_conflict() -> None:
    app = BannerApp(ConflictNotificationBanner(sample_conflicts(), lead_names=LEAD_NAMES))
    async with app.run_test() as pilot:
        await pilot.click(ConflictNotificationBanner)
        await pilot.pause()
        assert len(app.selected) == 1
        selected = app.selected[0]
        assert isinstance(selected, ConflictNotificationBanner.ConflictSelected)
        assert selected.conflict_id == "cf_2"  # the only high one, though cf_1 is older
        assert selected.control is app.banner


async def test_triage_action_posts_like_a_click_and_nothing_when_empty() -> None:
    app = BannerApp(ConflictNotificationBanner([conflict("cf_5")]))
    async with app.run_test() as pilot:
        app.banner.action_triage()
        await pilot.pause()
        app.banner.conflicts = []
        app.banner.action_triage()
        await pilot.pause()
        ids = [m.conflict_id for m in app.selected if isinstance(m, app.banner.ConflictSelected)]
        assert ids == ["cf_5"]


async def test_hostile_names_stay_on_one_line_as_plain_text() -> None:
    names = {"conv_001": "[bold red]Evil[/]\n\x1b[2J\u202eName\x00" + "x" * 5000}
    banner = ConflictNotificationBanner([conflict("cf_1")], lead_names=names)
    async with BannerApp(banner).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        label = banner.label
        assert "[bold red]Evil[/]" in label
        assert not any(ord(char) < 32 or char == "\u202e" for char in label)
        assert len(label) < 200
        assert banner.size.height == 1
        assert banner.region.width == 80

"""`LeadIndex` against a naive model: any mix of upserts, removals, filters and sorts gives
the same view as recomputing it from scratch, with and without flushing in between."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.models import Lead, Qualification, SyncStatus
from leadsync_tui.widgets.lead_index import SORTABLE, LeadIndex
from leadsync_tui.widgets.leads_columns import NUMBER_SORT, TEXT_SORT, fold, search_text
from tests.widgets.sample_leads import NOW, sample_leads

KEYS = [f"conv_{n:02d}" for n in range(12)]
NAMES = ["Ada", "ada", "Bo", "Cy", "Dee", "Ed"]


def make_lead(key: str, name: str, status: SyncStatus, age: int | None) -> Lead:
    return Lead(
        conversation_id=key,
        created_at=NOW,
        updated_at=NOW,
        property_id=f"prop_{len(name)}",
        first_name=name,
        last_name="Zed",
        email=f"{name.lower()}@example.com",
        qualification=Qualification.NEW,
        resman_sync_status=status,
        last_sync_at=None if age is None else NOW - timedelta(minutes=age),
    )


leads = st.builds(
    make_lead,
    st.sampled_from(KEYS),
    st.sampled_from(NAMES),
    st.sampled_from(list(SyncStatus)),
    st.one_of(st.none(), st.integers(0, 5)),
)
operations = st.one_of(
    st.tuples(st.just("upsert"), st.lists(leads, max_size=4)),
    st.tuples(st.just("remove"), st.lists(st.sampled_from(KEYS), max_size=3)),
    st.tuples(st.just("filter"), st.sampled_from(["", "a", "ad", "ada", "synced", "x", "zed"])),
    st.tuples(st.just("sort"), st.sampled_from([None, *sorted(SORTABLE)]), st.booleans()),
    st.tuples(
        st.just("flush"),
    ),
)


@dataclass
class Naive:
    """The view recomputed from scratch every time."""

    rows: dict[str, Lead]
    arrival: dict[str, int]
    needle: str = ""
    column: str | None = None
    reverse: bool = False
    counter: int = 0

    def view(self) -> list[str]:
        keys = [k for k, lead in self.rows.items() if self.needle in search_text(lead)]

        def sort_key(key: str) -> tuple[object, ...]:
            lead = self.rows[key]
            if self.column is None:
                return (self.arrival[key],)
            if self.column in NUMBER_SORT:
                return (NUMBER_SORT[self.column](lead), self.arrival[key])
            return (TEXT_SORT[self.column](lead), key)

        keys.sort(key=sort_key)
        return keys[::-1] if self.reverse else keys


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(operations, st.booleans()), max_size=25), st.booleans(), st.booleans())
def test_the_view_matches_a_naive_recomputation(
    steps: list[tuple[tuple[object, ...], bool]], bulk: bool, rebuild: bool
) -> None:
    index = LeadIndex()
    if bulk:
        index.BULK = 1  # every batch of new keys takes the bulk path
    if rebuild:
        index.REBUILD_MIN = 0  # most flushes rebuild instead of bisecting
    naive = Naive({}, {})
    for op, read_back in steps:
        kind = op[0]
        if kind == "upsert":
            batch = op[1]
            assert isinstance(batch, list)
            index.upsert(batch)
            for lead in batch:
                if lead.conversation_id not in naive.rows:
                    naive.counter += 1
                    naive.arrival.setdefault(lead.conversation_id, naive.counter)
                naive.rows[lead.conversation_id] = lead
        elif kind == "remove":
            removed = op[1]
            assert isinstance(removed, list)
            index.remove(removed)
            for key in removed:
                if naive.rows.pop(key, None) is not None:
                    naive.arrival.pop(key, None)
        elif kind == "filter":
            assert isinstance(op[1], str)
            index.set_filter(op[1])
            naive.needle = fold(op[1])
        elif kind == "sort":
            column, reverse = op[1], op[2]
            assert column is None or isinstance(column, str)
            assert isinstance(reverse, bool)
            index.sort_by(column, reverse)
            naive.column, naive.reverse = column, reverse
        else:
            index.flush()
        if read_back:  # reading flushes, so reads are drawn too: changes pile up between them
            expected = naive.view()
            assert index.keys() == expected
            for position, key in enumerate(expected):
                assert index.position(key) == position
                assert index.key_at(position) == key
            middle = len(expected) // 2
            assert index.keys_between(1, middle + 2) == expected[1 : middle + 2]
    assert index.keys() == naive.view()
    assert index.total == len(naive.rows)


def test_a_resurrected_row_before_a_flush_is_not_duplicated() -> None:
    index = LeadIndex()
    lead = sample_leads()[0]
    index.upsert([lead])
    assert index.keys() == [lead.conversation_id]
    index.remove([lead.conversation_id])
    index.upsert([lead.model_copy(update={"first_name": "Mia"})])
    assert index.keys() == [lead.conversation_id]
    assert index.get(lead.conversation_id).first_name == "Mia"  # type: ignore[union-attr]


def test_versions_change_with_every_state_and_are_never_reused() -> None:
    index = LeadIndex()
    lead = sample_leads()[0]
    index.upsert([lead])
    first = index.version(lead.conversation_id)
    index.upsert([lead])  # same values: no change
    assert index.version(lead.conversation_id) == first
    index.upsert([lead.model_copy(update={"first_name": "Mia"})])
    second = index.version(lead.conversation_id)
    index.remove([lead.conversation_id])
    index.flush()
    index.upsert([lead])
    third = index.version(lead.conversation_id)
    assert len({first, second, third}) == 3
    assert index.version("nope") == -1


def test_a_big_batch_is_one_rebuild_and_a_small_one_is_none() -> None:
    index = LeadIndex()
    batch = sample_leads()
    index.upsert(batch[:15])
    index.upsert(batch[15:])
    index.flush()
    assert index.rebuilds == 0  # 30 rows: below the rebuild threshold
    index.sort_by("name")
    renamed = [lead.model_copy(update={"first_name": "A" + lead.first_name}) for lead in batch]
    many = [*renamed, *(lead.model_copy(update={"conversation_id": f"x{n}"}) for n, lead in
                        enumerate(batch * 3))]  # fmt: skip
    index.upsert(many[:60])
    index.upsert(many[60:])
    index.flush()
    assert index.rebuilds == 1
    index.upsert([batch[0]])
    index.flush()
    assert index.rebuilds == 1


def test_filter_texts_are_built_lazily_and_a_filter_finishes_them() -> None:
    index = LeadIndex()
    index.upsert(sample_leads())
    assert not index.index_some(10)  # returns whether every text is built
    assert index.set_filter("OAKRIDGE")
    assert index.index_some(0)
    assert len(index) == 8
    assert not index.set_filter(" oakridge ")  # same filter once normalised


def test_sorting_the_same_column_again_only_flips_the_direction() -> None:
    index = LeadIndex()
    index.upsert(sample_leads())
    index.sort_by("name")
    ascending = index.keys()
    index.sort_by("name", reverse=True)
    assert index.keys() == ascending[::-1]
    assert index.position(ascending[0]) == len(ascending) - 1

"""The leads table's model: rows by key and the filtered, sorted view of them. No Textual.

Why it is shaped like this (docs/perf.md §7): the live feed changes a few rows at a time
in a table of up to 100k, so no event may cost O(n) Python work, and a 100k load must
reach the first frame in a small fraction of a second.

- Per-row facts live in flat dicts keyed by `conversation_id` (lead, arrival number,
  version, order key, filter text), not in one object per row: dict entries are not
  objects the garbage collector tracks, so a 100k load triggers no collections (with
  one object per row, full collections over the leads cost more than the load itself).
- `upsert` and `remove` only note what changed (new rows are just the arrival numbers
  past the last flush); the base class (`lead_order`) files them into the view, keeps
  it sorted and filters it.
- The filter text of a newly added row is built lazily: `index_some` builds it in small
  chunks (the widget calls it between frames), and a filter finishes whatever is left
  first. An unfiltered table never needs it, so a big load is not slowed by it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import islice

from leadsync_tui.models import Lead
from leadsync_tui.widgets.lead_order import LeadOrder
from leadsync_tui.widgets.leads_columns import NUMBER_SORT, TEXT_SORT, fold, search_text

SORTABLE = frozenset(TEXT_SORT) | frozenset(NUMBER_SORT)
"""Column keys `sort_by` accepts (besides None, arrival order)."""


@dataclass(frozen=True, slots=True)
class ViewChange:
    """What changed in the view since the widget last asked: enough to repaint only that."""

    first_moved: int | None = None
    """Rows from this view position on may be different rows than before; None: the
    sequence of rows did not change."""
    updated: frozenset[str] = frozenset()
    """Rows that changed in place (same position, new content)."""

    @property
    def empty(self) -> bool:
        return self.first_moved is None and not self.updated


NO_CHANGE = ViewChange()


class LeadIndex(LeadOrder):
    """Leads by key, plus their filtered and sorted order. Positions are view positions."""

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        """Rows in the view (matching the filter)."""
        self.flush()
        return len(self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._leads

    @property
    def total(self) -> int:
        """All rows, shown or not."""
        return len(self._leads)

    @property
    def indexed(self) -> bool:
        """Whether every row's filter text is built (a filter then costs only its scan)."""
        return self._index_cursor == len(self._seq_keys) and not self._reindex

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def key_filter(self) -> frozenset[str] | None:
        """The keys a key filter lets through, None when there is none."""
        return self._allowed

    @property
    def sort_column(self) -> str | None:
        return self._sort_column

    @property
    def reverse(self) -> bool:
        return self._reverse

    def get(self, key: str) -> Lead | None:
        return self._leads.get(key)

    def version(self, key: str) -> int:
        """A stamp that differs for every state a row has been in (-1: unknown key).

        Rows never changed since they arrived use their arrival number (as -2 - seq),
        which saves a dict entry per row on a big load; changes take a fresh tick.
        """
        version = self._versions.get(key)
        if version is not None:
            return version
        seq = self._seq.get(key)
        return -1 if seq is None else -2 - seq

    def key_at(self, position: int) -> str:
        """The key shown at view `position` (IndexError outside the view)."""
        self.flush()
        if not 0 <= position < len(self._order):
            raise IndexError(position)
        return self._decode(self._order[self._internal(position)])

    def keys_between(self, start: int, stop: int) -> list[str]:
        """Keys shown from view position `start` up to, not including, `stop`."""
        self.flush()
        size = len(self._order)
        start, stop = max(0, start), min(stop, size)
        if start >= stop:
            return []
        if not self._reverse:
            return self._decode_all(self._order[start:stop])
        chunk = self._order[size - stop : size - start]
        chunk.reverse()
        return self._decode_all(chunk)

    def keys(self) -> list[str]:
        """Every key in the view, in view order."""
        return self.keys_between(0, len(self))

    def position(self, key: str) -> int | None:
        """The view position of `key`, or None if it is not shown. O(log n)."""
        self.flush()
        filed = self._filed.get(key)
        if filed is None:
            return None
        return self._display(bisect_left(self._order, filed), len(self._order))

    # ------------------------------------------------------------------ writing

    BULK = 256
    """Batches at least this big, of new keys only, are added with C-level dict updates."""

    def upsert(self, leads: Iterable[Lead]) -> int:
        """Add or replace leads by `conversation_id`; returns how many actually changed.

        A new row costs a few dict/list writes here; everything else waits for `flush`
        (its place in the view) and `index_some` (its filter text). A big batch of new
        leads only (a load) skips the per-row loop altogether.
        """
        batch = leads if isinstance(leads, list) else list(leads)
        stored, seq, seq_keys = self._leads, self._seq, self._seq_keys
        if len(batch) >= self.BULK:
            keys = [lead.conversation_id for lead in batch]
            if stored.keys().isdisjoint(keys):
                before = len(stored)
                stored.update(zip(keys, batch, strict=True))
                arrived = list(stored)[before:]  # first occurrence of each key, in order
                numbers = range(len(seq_keys), len(seq_keys) + len(arrived))
                seq.update(zip(arrived, numbers, strict=True))
                seq_keys.extend(arrived)
                return len(arrived)
        changed = 0
        for lead in batch:
            key = lead.conversation_id
            old = stored.get(key)
            if old is None:
                stored[key] = lead
                seq[key] = len(seq_keys)
                seq_keys.append(key)
                changed += 1
            elif old is not lead and old != lead:
                stored[key] = lead
                changed += 1
                self._changed(key)
        return changed

    def _changed(self, key: str) -> None:
        self._tick += 1
        self._versions[key] = self._tick
        self._dirty[key] = None
        self._search.pop(key, None)
        self._reindex[key] = None

    def remove(self, keys: Iterable[str]) -> list[str]:
        """Drop rows by key; returns the keys that were present."""
        removed: list[str] = []
        for key in keys:
            if self._leads.pop(key, None) is None:
                continue
            self._dirty.pop(key, None)
            self._search.pop(key, None)
            self._reindex.pop(key, None)
            self._versions.pop(key, None)
            # Readers flush before decoding, so the arrival number can go now.
            self._seq_keys[self._seq.pop(key)] = None
            filed = self._filed.pop(key, None)
            if filed is not None:
                self._gone[key] = filed  # still in the view until the next flush
            removed.append(key)
        return removed

    def index_some(self, limit: int) -> bool:
        """Build the filter text of up to `limit` rows; returns whether all are built."""
        search, stored = self._search, self._leads
        again = list(islice(self._reindex, limit))
        for key in again:
            del self._reindex[key]
            search[key] = search_text(stored[key], self._names)
        limit -= len(again)
        stop = min(len(self._seq_keys), self._index_cursor + limit)
        for waiting in self._seq_keys[self._index_cursor : stop]:
            if waiting is not None and waiting not in search:
                search[waiting] = search_text(stored[waiting], self._names)
        self._index_cursor = stop
        return self.indexed

    def set_filter(self, text: str) -> bool:
        """Show only rows whose text contains `text` (case-insensitive); "" shows all.

        Returns whether the filter changed.
        """
        needle = fold(text)
        if needle == self._needle:
            return False
        self.flush()
        self.index_some(len(self._seq_keys) + len(self._reindex))
        previous, self._needle = self._needle, needle
        if previous in needle:
            self._narrow(needle)
        else:
            self._refilter(needle)
        self._moved_from(0)
        return True

    def set_key_filter(self, keys: Collection[str] | None) -> bool:
        """Show only rows whose key is in `keys` (None: no key filter), combined with the
        text filter; rows of those keys that arrive later show up too.

        One pass over the allowed keys (or, when clearing, over every row), like a text
        filter; returns whether the filter changed.
        """
        allowed = None if keys is None else frozenset(keys)
        if allowed == self._allowed:
            return False
        self.flush()
        self._allowed = allowed
        self._refilter(self._needle)
        self._moved_from(0)
        return True

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        """Order by `column` (one of `SORTABLE`), or by arrival when None."""
        if column is not None and column not in SORTABLE:
            raise KeyError(column)
        self.flush()
        if column != self._sort_column:
            self._sort_column = column
            order = self._file(list(self._filed))
            order.sort()
            self._order = order
        elif reverse == self._reverse:
            return
        self._reverse = reverse
        self._moved_from(0)

    def take_changes(self) -> ViewChange:
        """What changed in the view since the last call (flushing first)."""
        self.flush()
        if self._first_moved is None and not self._updated:
            return NO_CHANGE
        change = ViewChange(self._first_moved, frozenset(self._updated))
        self._first_moved = None
        self._updated = set()
        return change

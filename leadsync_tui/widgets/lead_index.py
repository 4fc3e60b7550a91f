"""The leads table's model: rows by key and the filtered, sorted view of them. No Textual.

Why it is shaped like this (docs/perf.md §7): the live feed changes a few rows at a time
in a table of up to 100k, so no event may cost O(n) Python work, and a 100k load must
reach the first frame in a small fraction of a second.

- Per-row facts live in flat dicts keyed by `conversation_id` (lead, arrival number,
  version, order key, filter text), not in one object per row: dict entries are not
  objects the garbage collector tracks, so a 100k load triggers no collections (with
  one object per row, full collections over the leads cost more than the load itself).
- The view is one ascending list of order keys, each unique to its row, so a row's
  position is a binary search for the key it was filed under: O(log n), with no
  key -> position dict to renumber after every insert. A descending sort shows the same
  list backwards, so flipping the direction costs nothing.
- Order keys are plain `str` or `int`, never tuples (`order_keys`): such lists sort
  several times faster.
- `upsert` and `remove` only note what changed (new rows are just the arrival numbers
  past the last flush). `flush` (run by every reader, and by the widget once per frame)
  files the changed rows in: a bisect per row for a few changes,
  or one rebuild (a near-linear merge of two sorted runs) when many rows changed at once.
  Several batches between two frames therefore cost at most one rebuild.
- The filter text of a newly added row is built lazily: `index_some` builds it in small
  chunks (the widget calls it between frames), and a filter finishes whatever is left
  first. An unfiltered table never needs it, so a big load is not slowed by it.
- Filtering scans the filter texts once (O(n), C-speed `in`); narrowing a filter
  (typing another letter) only rescans the rows already shown.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, islice

from leadsync_tui.models import Lead
from leadsync_tui.widgets.leads_columns import NO_NAMES, NUMBER_SORT, TEXT_SORT, fold, search_text
from leadsync_tui.widgets.order_keys import OrderKey, decode, decode_all, order_keys

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


class LeadIndex:
    """Leads by key, plus their filtered and sorted order. Positions are view positions."""

    REBUILD_RATIO = 8
    """Rebuild the view instead of filing rows one by one once more than 1/8 of it changed..."""
    REBUILD_MIN = 64
    """...and more than this many rows changed."""

    def __init__(self, property_names: Mapping[str, str] = NO_NAMES) -> None:
        """`property_names`: what the Property column shows, searches and sorts by."""
        self._names = property_names
        self._leads: dict[str, Lead] = {}
        self._seq: dict[str, int] = {}
        """Arrival number per row: the order of an unsorted table, and numeric order keys."""
        self._seq_keys: list[str | None] = []
        """Key per arrival number (None once removed): decodes numeric order keys."""
        self._flushed_seq = 0
        """Rows with a lower arrival number have been filed (or filtered out) already."""
        self._versions: dict[str, int] = {}
        """Change stamp of rows changed since they arrived (see `version`)."""
        self._tick = 0
        self._search: dict[str, str] = {}
        """Filter text per row, once built."""
        self._index_cursor = 0
        """Rows with a lower arrival number have had their filter text built."""
        self._reindex: dict[str, None] = {}
        """Changed rows whose filter text must be built again (an ordered set)."""
        self._filed: dict[str, OrderKey] = {}
        """The order key of every shown row."""
        self._order: list[OrderKey] = []
        self._dirty: dict[str, None] = {}
        """Rows changed (not new) since the last flush (an ordered set)."""
        self._gone: dict[str, OrderKey] = {}
        """Order keys of rows removed since the last flush, still in the view until then.
        (A key removed and added again before a flush is a new row, with a new arrival.)"""
        self._needle = ""
        self._allowed: frozenset[str] | None = None
        """With a key filter on, only these keys are shown (see `set_key_filter`)."""
        self._sort_column: str | None = None
        self._reverse = False
        self._first_moved: int | None = None
        self._updated: set[str] = set()
        self.rebuilds = 0
        """How many times the view was rebuilt in one piece (for tests and benchmarks)."""

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
    def pending(self) -> bool:
        """Whether changes are waiting to be filed into the view."""
        return bool(self._dirty or self._gone or self._flushed_seq < len(self._seq_keys))

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

    def flush(self) -> None:
        """File pending upserts and removals into the view."""
        if not self.pending:
            return
        arrived = self._seq_keys[self._flushed_seq :]
        self._flushed_seq = len(self._seq_keys)
        # A new row changed again before this flush is in both: file it once.
        fresh = [key for key in arrived if key is not None and key not in self._dirty]
        changes = len(fresh) + len(self._dirty) + len(self._gone)
        if changes * self.REBUILD_RATIO > len(self._order) and changes > self.REBUILD_MIN:
            self._rebuild(fresh)
        else:
            self._file_each(fresh)
        self._dirty.clear()
        self._gone.clear()

    def take_changes(self) -> ViewChange:
        """What changed in the view since the last call (flushing first)."""
        self.flush()
        if self._first_moved is None and not self._updated:
            return NO_CHANGE
        change = ViewChange(self._first_moved, frozenset(self._updated))
        self._first_moved = None
        self._updated = set()
        return change

    # ------------------------------------------------------------------ internals

    def _internal(self, position: int) -> int:
        return len(self._order) - 1 - position if self._reverse else position

    def _display(self, index: int, size: int) -> int:
        """View position of list `index` in a list of `size` (the inverse of `_internal`)."""
        return size - 1 - index if self._reverse else index

    def _moved_from(self, position: int) -> None:
        if self._first_moved is None or position < self._first_moved:
            self._first_moved = position

    def _matches(self, key: str) -> bool:
        """Whether `key` passes the filter, building its filter text if needed."""
        if self._allowed is not None and key not in self._allowed:
            return False
        if not self._needle:
            return True
        text = self._search.get(key)
        if text is None:
            text = self._search[key] = search_text(self._leads[key], self._names)
            self._reindex.pop(key, None)
        return self._needle in text

    def _order_key(self, key: str) -> OrderKey:
        return self._file([key])[0]

    def _file(self, keys: list[str]) -> list[OrderKey]:
        """Give each key its order key for the current sort; returns them, unsorted.

        The per-row work is kept in comprehensions and `map`: on a sort this runs over
        every shown row.
        """
        order = order_keys(self._sort_column, keys, self._seq, self._leads, self._names)
        self._filed.update(zip(keys, order, strict=True))
        return order

    def _decode(self, filed: OrderKey) -> str:
        """The row key an order key belongs to."""
        return decode(filed, self._seq_keys)

    def _decode_all(self, order: list[OrderKey]) -> list[str]:
        return decode_all(order, self._seq_keys)

    def _file_each(self, arrived: list[str]) -> None:
        """Few changes: take each changed row out and bisect it back in."""
        order, filed = self._order, self._filed
        for gone in self._gone.values():
            self._take_out(gone)
        for key in chain(self._dirty, arrived):
            old = filed.get(key)
            new = self._order_key(key) if self._matches(key) else None
            if new is None:
                filed.pop(key, None)
            if new == old:
                if new is not None:
                    self._updated.add(key)
                continue
            if old is not None and new is not None:
                index = bisect_left(order, old)
                del order[index]
                target = bisect_left(order, new)
                order.insert(target, new)
                if target == index:
                    self._updated.add(key)
                else:
                    low, high = min(index, target), max(index, target)
                    self._moved_from(low if not self._reverse else len(order) - 1 - high)
                continue
            if old is not None:
                self._take_out(old)
            if new is not None:
                index = bisect_left(order, new)
                order.insert(index, new)
                self._moved_from(self._display(index, len(order)))

    def _take_out(self, filed: OrderKey) -> None:
        index = bisect_left(self._order, filed)
        self._moved_from(self._display(index, len(self._order)))
        del self._order[index]

    def _rebuild(self, arrived: list[str]) -> None:
        """Many changes: keep the untouched rows in order, sort the changed ones, merge."""
        self.rebuilds += 1
        filed, dirty = self._filed, self._dirty
        stale = set(self._gone.values())
        for key in dirty:
            old = filed.pop(key, None)
            if old is not None:
                stale.add(old)
        kept = [order_key for order_key in self._order if order_key not in stale]
        changed = [*dirty, *arrived]
        filtered = self._needle or self._allowed is not None
        matched = [key for key in changed if self._matches(key)] if filtered else changed
        fresh = self._file(matched)
        fresh.sort()
        kept.extend(fresh)
        kept.sort()  # two sorted runs: timsort merges them in linear time
        self._order = kept
        self._moved_from(0)

    def _narrow(self, needle: str) -> None:
        """The new filter contains the old one: only shown rows can still match.

        One pass over the shown rows builds the new key -> order key map; the order is
        then re-sorted when few rows are left, or filtered in place when many are.
        """
        search, filed = self._search, self._filed
        if self._allowed is None and len(filed) == len(search):  # every row shown
            matched = [key for key, text in search.items() if needle in text]
        else:
            matched = [key for key in filed if needle in search[key]]
        kept = {key: filed[key] for key in matched}
        self._filed = kept
        if len(kept) * 4 < len(self._order):
            order = list(kept.values())
            order.sort()
        else:
            keep = set(kept.values())
            order = [filed for filed in self._order if filed in keep]
        self._order = order

    def _refilter(self, needle: str) -> None:
        """Scan every row (only the allowed ones under a key filter); rows that come into
        view get their order key."""
        if self._allowed is not None:
            leads = self._leads
            matched = [key for key in self._allowed if key in leads and self._matches(key)]
        elif needle:
            matched = [key for key, text in self._search.items() if needle in text]
        else:
            matched = list(self._leads)
        old = self._filed
        self._filed = {key: old[key] for key in matched if key in old}
        self._file([key for key in matched if key not in old])
        order = list(self._filed.values())
        order.sort()
        self._order = order

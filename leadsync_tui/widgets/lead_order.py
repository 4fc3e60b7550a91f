"""The leads table's order: keeps the filtered, sorted view of the rows up to date.

Apart from `LeadIndex` (what the widget calls) because filing rows into the order is the
performance-tuned part (docs/perf.md §7): `LeadIndex` holds the rows and says what
changed, this base files them in. No event may cost O(n) Python work:

- The view is one ascending list of order keys, each unique to its row, so a row's
  position is a binary search for the key it was filed under: O(log n), with no
  key -> position dict to renumber after every insert. A descending sort shows the same
  list backwards, so flipping the direction costs nothing.
- Order keys are plain `str` or `int`, never tuples (`order_keys`): such lists sort
  several times faster.
- `flush` (run by every reader, and by the widget once per frame) files the changed
  rows in: a bisect per row for a few changes, or one rebuild (a near-linear merge of
  two sorted runs) when many rows changed at once. Several batches between two frames
  therefore cost at most one rebuild.
- Filtering scans the filter texts once (O(n), C-speed `in`); narrowing a filter
  (typing another letter) only rescans the rows already shown.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from itertools import chain

from leadsync_tui.models import Lead
from leadsync_tui.widgets.leads_columns import NO_NAMES, search_text
from leadsync_tui.widgets.order_keys import OrderKey, decode, decode_all, order_keys


class LeadOrder:
    """The rows' state and their filtered, sorted order; `LeadIndex` is the way in."""

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

    @property
    def pending(self) -> bool:
        """Whether changes are waiting to be filed into the view."""
        return bool(self._dirty or self._gone or self._flushed_seq < len(self._seq_keys))

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

"""Where a row is filed in the leads view: its order key, and the row a key belongs to.

Order keys are plain `str` or `int`, never tuples (lists of them sort several times
faster): a text column files a row under `"<value>\\0<conversation_id>"`, a numeric
one (and arrival order) under `value << 32 | arrival number`. Each is unique to its row,
so a row's position is a binary search for its key (see `lead_index`). The per-row work
is kept in comprehensions and `map`: on a sort this runs over every shown row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from leadsync_tui.models import Lead
from leadsync_tui.widgets.leads_columns import NUMBER_SORT, PROPERTY, TEXT_SORT, property_label

OrderKey = str | int
"""Where a row is filed in the view; unique per row."""

SEQ_BITS = 32
SEQ_MASK = (1 << SEQ_BITS) - 1
TEXT_SEPARATOR = "\x00"


def order_keys(
    column: str | None,
    keys: list[str],
    seq: Mapping[str, int],
    stored: Mapping[str, Lead],
    names: Mapping[str, str],
) -> list[OrderKey]:
    """Each key's order key when sorted by `column` (None: arrival), unsorted."""
    order: list[OrderKey]
    if column is None:
        order = [seq[key] for key in keys]
    elif column in NUMBER_SORT:
        numbers = map(NUMBER_SORT[column], [stored[key] for key in keys])
        order = [n << SEQ_BITS | seq[key] for n, key in zip(numbers, keys, strict=True)]
    elif column == PROPERTY:  # by what the column shows
        labels = [property_label(stored[key].property_id, names).lower() for key in keys]
        order = [t + TEXT_SEPARATOR + key for t, key in zip(labels, keys, strict=True)]
    else:
        texts = map(TEXT_SORT[column], [stored[key] for key in keys])
        order = [t + TEXT_SEPARATOR + key for t, key in zip(texts, keys, strict=True)]
    return order


def decode(filed: OrderKey, seq_keys: Sequence[str | None]) -> str:
    """The row key an order key belongs to (`seq_keys`: key per arrival number)."""
    if isinstance(filed, int):
        key = seq_keys[filed & SEQ_MASK]
        assert key is not None
        return key
    return filed[filed.rindex(TEXT_SEPARATOR) + 1 :]


def decode_all(order: list[OrderKey], seq_keys: Sequence[str | None]) -> list[str]:
    """`decode` for a whole slice, with the per-item work kept inline (hot path)."""
    if not order:
        return []
    if isinstance(order[0], int):
        shown = cast("Sequence[str]", seq_keys)  # shown rows are never None
        return [shown[filed & SEQ_MASK] for filed in cast("list[int]", order)]
    return [filed[filed.rindex(TEXT_SEPARATOR) + 1 :] for filed in cast("list[str]", order)]

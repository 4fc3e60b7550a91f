"""DomIQ-style ids: `cnv_` plus 26 ULID-like Crockford base32 characters.

The 48-bit time part comes from the state's (injectable) clock and the 80 random bits
from its seeded `random.Random`, so a seed and a clock give the same ids every run, and
ids still sort roughly by creation time like real ULIDs.
"""

from __future__ import annotations

import random
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TIME_BITS = 48
_RANDOM_BITS = 80


def ulid_like(rng: random.Random, at: datetime) -> str:
    """26 characters: milliseconds since the epoch, then randomness, in Crockford base32."""
    millis = int(at.timestamp() * 1000) & ((1 << _TIME_BITS) - 1)
    value = (millis << _RANDOM_BITS) | rng.getrandbits(_RANDOM_BITS)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def conversation_id(rng: random.Random, at: datetime) -> str:
    return f"cnv_{ulid_like(rng, at)}"

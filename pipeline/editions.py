"""The latest edition wins: each edition reprints the years before it, and where two editions
print a figure for the same year the later one is NCMEC's latest word on it.

The one rule behind the value `fields` gives a year, the OJJDP numbers `diff --years` compares and
the figures the report charts; written once here so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def newest(rows: Iterable[T], edition: Callable[[T], Any]) -> list[T]:
    """The rows of the newest edition among `rows` (`edition(row)` orders them), in their order."""
    rows = list(rows)
    if not rows:
        return []
    latest = max(edition(row) for row in rows)
    return [row for row in rows if edition(row) == latest]


def newest_per(rows: Iterable[T], key: Callable[[T], Hashable], edition: Callable[[T], Any]) -> list[T]:
    """For each figure (`key(row)`), the rows of the newest edition printing it, in their order."""
    rows = list(rows)
    latest: dict[Hashable, Any] = {}
    for row in rows:
        k, e = key(row), edition(row)
        if k not in latest or e > latest[k]:
            latest[k] = e
    return [row for row in rows if edition(row) == latest[key(row)]]

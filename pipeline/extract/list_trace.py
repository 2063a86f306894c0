"""What the list reader found on each page, recorded for `explain` (which draws it over the page)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.extract.list_headers import ListHeader
from pipeline.extract.list_rows import RawRow


@dataclass
class PageReading:
    """What the reader found on one page, for `explain`: header bands and near misses, each
    list's part of the page, count columns and row bounds, and the rows read."""

    page: int
    headers: list[ListHeader] = field(default_factory=list)
    near_misses: list[str] = field(default_factory=list)
    near_miss_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    lists: list[tuple["ListRegion", "CountColumns", list[float]]] = field(default_factory=list)
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class ListTrace:
    """Every page's reading, and the refusal that stopped the document (with its page)."""

    pages: dict[int, PageReading] = field(default_factory=dict)
    refusal: str | None = None
    refused_page: int | None = None

    def page(self, number: int) -> PageReading:
        return self.pages.setdefault(number, PageReading(number))

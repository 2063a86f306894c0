"""Refusals of a whole list document: a list without its total or with two, a page inside the
list read under no header, rows printed under no known header, count columns changing between pages.

Each names the page and quotes the lines that start like a header but are none, so a reworded
header is one edit of pipeline/data/list_layouts.csv."""

from __future__ import annotations

from collections import Counter

from pipeline.extract import ExtractionError
from pipeline.extract.list_columns import NEAR_COLUMNS, _ends_in_a_column
from pipeline.extract.list_headers import LAYOUTS_FILE, ListHeader, ListLayout, unknown_labels
from pipeline.extract.list_rows import RawRow, _where
from pipeline.layout import TextLine


def split_total(rows: list[RawRow], layout: ListLayout, source: str) -> tuple[list[RawRow], RawRow]:
    """Separate the printed total from the data rows; it must be printed once, as the last row."""
    totals = [i for i, row in enumerate(rows) if layout.total_label.fullmatch(row.name)]
    if not totals:
        last = rows[-1] if rows else None
        found = f"last row {last.name!r} on page {last.page}" if last else "no rows at all"
        raise ExtractionError(
            f"{source}: expected a printed total row matching {layout.total_label.pattern!r}, found {found}"
        )
    if len(totals) > 1 or totals[0] != len(rows) - 1:
        pages = ", ".join(str(rows[i].page) for i in totals)
        raise ExtractionError(
            f"{source}: expected one total row at the end of the list, found {len(totals)} total row(s)"
            f" (pages {pages}) and {len(rows) - 1 - totals[-1]} row(s) after the last"
        )
    return rows[:-1], rows[-1]


def _refuse_unread_continuation(rows: list[RawRow], layout: ListLayout, source: str,
                                near_misses: dict[int, list[str]]) -> None:
    """A list that stops without its total, with a later page printing a header-like line that
    is none: the list goes on there under a wording or a column this reader does not know. Named
    on that page (which `explain` draws), not as a missing total."""
    if not rows or _total_read(rows, layout):
        return
    later = {page: texts for page, texts in near_misses.items() if page > rows[-1].page and texts}
    if later:
        page = min(later)
        raise ExtractionError(
            f"{_where(source, page)}: expected the list of pages {rows[0].page} to {rows[-1].page} to go on to its"
            f" total under a header like {layout.describe()}" + _near_miss_note({page: later[page]})
        )


def _total_read(rows: list[RawRow], layout: ListLayout) -> bool:
    return any(layout.total_label.fullmatch(row.name) for row in rows)


def same_columns(header_pages: list[tuple[int, ListHeader]], source: str) -> ListHeader:
    """The first list header, once every list header of the document is known to print the same
    count columns: a page whose columns differ (a total column dropped, the parts swapped) would
    otherwise put its counts under another role."""
    first_page, first = header_pages[0]
    for page, header in header_pages[1:]:
        if header.roles != first.roles:
            raise ExtractionError(
                f"{_where(source, page)}: expected the count columns of page {first_page}"
                f" ({' | '.join(c.label for c in first.columns)}), found"
                f" {' | '.join(c.label for c in header.columns)}: one list's columns must not change between pages"
            )
    return first


def row_like_lines(lines: list[TextLine]) -> list[TextLine]:
    """Lines printed like the row of a list (`_ends_in_a_column`)."""
    return [line for line in lines if _ends_in_a_column(line)]


def _list_like(lines: list[TextLine], headers: list[ListHeader]) -> list[TextLine]:
    """Three or more row-like lines whose counts line up (right or left), set near the columns of
    a list read elsewhere (a page whose list is shifted, or whose count header sits elsewhere)."""
    near = [line for line in lines
            if any(abs(line.words[0].x0 - h.name_x0) <= NEAR_COLUMNS and h.name_x1 < line.words[-1].x0
                   and line.words[-1].x1 <= h.count_x1 + NEAR_COLUMNS for h in headers)]
    for edge in (lambda w: w.x1, lambda w: w.x0):
        common = Counter(round(edge(line.words[-1])) for line in near).most_common(1)
        if common:
            aligned = [line for line in near if abs(edge(line.words[-1]) - common[0][0]) <= 2]
            if len(aligned) >= 3:
                return aligned
    return []


def _refuse_unheaded_lists(unheaded: dict[int, list[str]], layout: ListLayout, source: str,
                           near_misses: dict[int, list[str]]) -> None:
    if not unheaded:
        return
    page, texts = min(unheaded.items())
    lines = f"{len(texts)} line{'s' if len(texts) > 1 else ''}"
    pages = f"; pages {', '.join(map(str, sorted(unheaded)))} print such lines" if len(unheaded) > 1 else ""
    raise ExtractionError(
        f"{_where(source, page)}: expected list rows only under a header like {layout.describe()},"
        f" found {lines} printed like rows under no such header"
        f" ({', '.join(map(repr, texts[:3]))}){pages}: a reworded header (extend"
        " pipeline/data/list_layouts.csv), or a header printed on the list's first page only"
        + _near_miss_note({page: near_misses.get(page, [])})
    )


def _near_miss(line: TextLine, layout: ListLayout) -> str:
    """A line that starts like a header but is none, quoted with the label that stops it."""
    unknown = unknown_labels(line, layout)
    return f"{line.text!r}" + (f" ({unknown!r} is no count column role of {LAYOUTS_FILE})" if unknown else "")


def _near_miss_note(near_misses: dict[int, list[str]]) -> str:
    found = [(page, text) for page, texts in sorted(near_misses.items()) for text in texts]
    if not found:
        return ""
    shown = "; ".join(f"page {page}: {text}" for page, text in found[:3])
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return (f"; lines that start like a header but are not one: {shown}{more} (a reworded label: add its"
            f" wording to the `pattern` of its role in {LAYOUTS_FILE}; a column of another measure is not"
            " read: its role would have to be added to the reader and the tables)")


def _refuse_gaps(headed: dict[int, tuple[int, int]], last: int, layout: ListLayout, source: str,
                 sideways: list[int], near_misses: dict[int, list[str]] | None = None) -> None:
    """Every page between the list's first page and the page of its total must carry the list:
    a page whose header NCMEC reworded would otherwise be skipped, and its rows with it (rows
    printed '-' leave the total reconciling)."""
    first = min(number for number, (headers, _) in headed.items() if headers)
    for number in range(first + 1, last):
        headers, read = headed[number]
        if not headers:
            raise ExtractionError(
                f"{_where(source, number)}: expected the list of pages {first} to {last} to continue under a"
                f" header like {layout.describe()}, found none"
                + (" (the page's text runs sideways)" if number in sideways else "")
                + _near_miss_note({number: (near_misses or {}).get(number, [])})
            )
        if not read:
            raise ExtractionError(
                f"{_where(source, number)}: expected rows under the list header (the list runs from page"
                f" {first} to {last}), found none"
            )

"""One page of a list document: each list's part of the page, its count columns, its rows (band
by band between drawn borders, or from text lines), and the refusals of anything outside them."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, replace

from pipeline.extract import ExtractionError
from pipeline.extract.list_columns import (
    COLUMN_GAP,
    EDGE,
    NAME_INDENT,
    NEAR_COLUMNS,
    CountColumns,
    _beside_a_name,
    _ends_in_a_column,
    _in_list_columns,
    count_columns,
    count_divider,
)
from pipeline.extract.list_headers import LAYOUTS_FILE, ListHeader, ListLayout, find_headers, header_like, loose_labels
from pipeline.extract.list_rows import (
    NamelessCount,
    RawRow,
    _is_row_line,
    _join_by_column,
    _name_text,
    _borderless_region,
    _where,
    rows_from_lines,
)
from pipeline.extract.list_trace import PageReading
from pipeline.layout import TextLine, Word, borders_across, group_lines, is_count_text, words_between


@dataclass(frozen=True)
class ListRegion:
    """The part of a page that belongs to one list: no word is read into two lists."""

    header: ListHeader
    x0: float       # the list's left edge: its name header's, less EDGE
    x1: float       # the left edge of the next list to the right (inf: none)
    bottom: float   # the top of the next header below in the same column (inf: none)
    leftmost: bool  # no list to its left: text left of x0 is beside the list, not in another


def list_regions(headers: list[ListHeader]) -> list[ListRegion]:
    """Each list's part of the page, left column first, top to bottom within a column.

    A list starts at its name header (names are printed flush with it) and ends where the next
    list to the right starts, not at its count header: a short count header ('Count') can end
    well left of the widest counts under it.
    """
    regions = []
    for header in headers:
        to_the_right = [h for h in headers if h.name_x0 > header.count_x1]
        below = [h.top for h in headers if h.top > header.bottom + 2
                 and h.name_x0 < header.count_x1 and h.count_x1 > header.name_x0]
        regions.append(ListRegion(
            header=header,
            x0=header.name_x0 - EDGE,
            x1=min((h.name_x0 - EDGE for h in to_the_right), default=math.inf),
            bottom=min(below, default=math.inf),
            leftmost=not any(h.count_x1 < header.name_x0 for h in headers),
        ))
    column = {id(r): sum(1 for h in headers if h.count_x1 < r.header.name_x0) for r in regions}
    return sorted(regions, key=lambda r: (column[id(r)], r.header.top, r.header.name_x0))


def extract_page_lists(words: list[Word], segments, edges, *, layout: ListLayout, page: int,
                       source: str, carried_from: list[ListHeader] = (),
                       trace: PageReading | None = None) -> tuple[list[RawRow], list[ListHeader]]:
    """All rows printed on one page, list by list, left list first; and the list headers the
    page prints. A page that prints no header, inside a list whose total is still to come, is
    read under the headers of the page before (`carried_from`) when its rows sit in their columns
    (`carried_headers`)."""
    lines = group_lines(words)
    bands = find_headers(lines, layout)
    headers = [h for found, _ in bands for h in found]
    loose = loose_labels(lines, bands)
    if loose:
        first = loose[0]
        raise ExtractionError(
            f"{_where(source, page)}: the header {first.column.label!r} has {first.word.text!r} printed right"
            f" {'above' if first.line.bottom <= min(h.top for h in headers) + 0.5 else 'under'} it (y={first.word.top:.0f}), as close as a stacked label's next line, outside the header read:"
            f" the column's label may be {first.word.text!r} with it, whose role is not certain; expected a"
            f" header whose every label line is one of the wordings of {LAYOUTS_FILE}"
        )
    # A line that starts like a header but is none (a wording not in list_layouts.csv) stops the
    # carrying: the page is refused naming it, not read under the last page's columns.
    if not headers and carried_from and not any(header_like(line, layout) for line in lines):
        headers = carried_headers(words, segments, carried_from, where=_where(source, page))
    headers = headers + wrapped_headers(words, headers)
    if trace is not None:
        trace.headers = headers
    rows: list[RawRow] = []
    for region in list_regions(headers):
        rows.extend(_read_list(words, segments, edges, region, layout, page=page, source=source, trace=trace))
    if trace is not None:
        trace.rows = rows
    return rows, headers


def wrapped_headers(words: list[Word], headers: list[ListHeader]) -> list[ListHeader]:
    """The header of a list that wraps into a further column on the same page without repeating
    its header: the rightmost list's header moved to where those rows sit, or [] when they do not.

    Taken only when at least two lines right of the rightmost list are printed like its rows
    (text, then a count per count column set apart from it), and every such line starts where
    the others do and ends inside the moved count columns: the wrapped column is the same list
    set again further right. Its rows are then read with every check of a list; anything else
    right of the list stays in the list's part of the page, where it is refused."""
    if not headers:
        return []
    last = max(headers, key=lambda h: h.count_x1)
    n = len(last.columns)
    right = [w for w in words if w.x0 > last.count_x1 + COLUMN_GAP / 2 and w.middle > last.bottom]
    rows = [line for line in group_lines(right) if _ends_in_a_column(line, n)]
    if len(rows) < 2:
        return []
    start = Counter(round(line.words[0].x0) for line in rows).most_common(1)[0][0]
    dx = start - last.name_x0
    moved = replace(last, name_x0=last.name_x0 + dx, name_x1=last.name_x1 + dx, carried=True,
                    columns=tuple(replace(c, x0=c.x0 + dx, x1=c.x1 + dx) for c in last.columns))
    if all(abs(line.words[0].x0 - moved.name_x0) <= EDGE and _in_list_columns(line, [moved]) for line in rows):
        return [moved]
    return []


def carried_headers(words: list[Word], segments, previous: list[ListHeader], *, where: str) -> list[ListHeader]:
    """The previous page's list headers, carried to a page that prints none, for each list whose
    rows sit in its columns: a row-like line starting where the names start and ending inside the
    count columns (`_in_list_columns`).

    The carried header ends at the last border drawn across the list above that first row, or just
    above the row when none is drawn. Refused rather than guessed: a count printed above that line
    in the list's columns (a row whose count sits on a line of its own would be lost), and, with no
    border, text right above the first row (its wrapped name, or page furniture: which, nothing
    says)."""
    lines = group_lines(words)
    carried = []
    for header in previous:
        in_columns = [line for line in lines if _in_list_columns(line, [header])]
        if not in_columns:
            continue
        first = in_columns[0]
        height = first.bottom - first.top
        above = [w for w in words if header.name_x0 - EDGE <= w.x0 < header.count_x1 + NEAR_COLUMNS
                 and w.middle < first.top]
        counts = [w for w in above if w.x0 > header.name_x1 and is_count_text(w.text)]
        borders = [y for y in borders_across(segments, header.name_x0, header.count_x1) if y <= first.top + 0.5]
        bottom = max(borders) if borders else first.top - 0.5
        counts = [w for w in counts if w.middle < bottom] if borders else counts
        if counts:
            raise ExtractionError(
                f"{where}: the page prints no list header; its rows sit in the columns of the list before,"
                f" but {counts[0].text!r} at y={counts[0].top:.0f} is printed above its first row"
                f" ({first.text!r}) in the count column: expected nothing above the first row of a page"
                " without a header"
            )
        close = [w for w in above if first.top - w.bottom < 1.5 * height and w.middle < first.top]
        if not borders and close:
            raise ExtractionError(
                f"{where}: the page prints no list header, and {close[0].text!r} at y={close[0].top:.0f} sits right"
                f" above its first row {first.text!r} with no border between: the row's wrapped name or a"
                " heading; refusing to guess"
            )
        if borders:
            # A name line right above the first border is the end of a row broken across the page
            # break (its count on the page before) as much as a heading: not dropped unseen.
            broken = [w for w in above if bottom - w.bottom < 1.5 * height and w.middle < bottom
                      and abs(w.x0 - header.name_x0) <= NAME_INDENT]
            if broken:
                raise ExtractionError(
                    f"{where}: the page prints no list header, and {broken[0].text!r} at y={broken[0].top:.0f}"
                    f" sits in the name column right above the border over its first row {first.text!r}: the end"
                    " of a row broken across the page break, or a heading; refusing to guess"
                )
        carried.append(replace(header, top=bottom - 0.1, bottom=bottom, carried=True))
    return carried


def _read_list(words: list[Word], segments, edges, region: ListRegion, layout: ListLayout, *,
               page: int, source: str, trace: PageReading | None = None) -> list[RawRow]:
    try:
        return _read_list_rows(words, segments, edges, region, layout, page=page, source=source, trace=trace)
    except NamelessCount as err:
        # Names printed left of their header (a centred or indented header) are not in the list's
        # words, so the first count comes out nameless: say what is really there.
        header = region.header
        left = [w for w in words if w.x0 < region.x0 and header.bottom < w.middle < region.bottom] \
            if region.leftmost else []
        if left:
            raise ExtractionError(
                f"{err}; but {left[0].text!r} at y={left[0].top:.0f} is printed left of the name header (which"
                f" starts at x={header.name_x0:.0f}): expected names flush with their column header"
            ) from None
        raise


def _read_list_rows(words: list[Word], segments, edges, region: ListRegion, layout: ListLayout, *,
                    page: int, source: str, trace: PageReading | None = None) -> list[RawRow]:
    header = region.header
    where = _where(source, page)
    below = [w for w in words if header.bottom < w.middle < region.bottom]
    in_list = [w for w in below if region.x0 <= w.x0 < region.x1]
    divider = count_divider(header, edges, in_list)
    columns = count_columns(header, divider, in_list, where)
    borders = [y for y in borders_across(segments, header.name_x0, header.count_x1)
             if header.bottom - 1 <= y < region.bottom]
    open_top = bool(borders) and len(_count_lines(words_between(in_list, header.bottom, borders[0]), divider)) == 1
    if open_top:
        # Borders under every row but none under the header: the header closes the first band. Only
        # for one row there: a second header line or a caption holds no count, and a border
        # above the total of a borderless list has every row above it.
        borders = [header.bottom, *borders]
    closing = _row_under_the_last_border(in_list, borders, columns, layout)
    if closing is not None:
        borders = [*borders, closing]
    if trace is not None:
        trace.lists.append((region, columns, borders))
    rows: list[RawRow] = []
    if len(borders) >= 2:
        rows, end = _rows_between_borders(in_list, borders, columns, layout, page=page, source=source,
                                        open_top=open_top)
    bordered_rows = bool(rows)
    if rows:
        top, bottom = borders[0], end
        outside = [w for w in in_list if not top < w.middle < bottom]
    else:
        # No borders, or none closing a row (the edges of a filled header and of a page background,
        # a border above the page footer): a borderless list, with the checks of one.
        lines = _borderless_region(group_lines(in_list), layout, divider, page=page, source=source)
        if not lines:
            return []
        rows = rows_from_lines(lines, divider, page=page, source=source, bordered=False, columns=columns)
        top, bottom = header.bottom, lines[-1].bottom
        outside = [w for w in in_list if w.middle > bottom]
    inside = [w for w in in_list if top < w.middle < bottom]
    _refuse_strays(outside, inside, columns, header, where)
    _refuse_count_under_the_rows([w for w in outside if w.middle > bottom], bottom, header, where)
    if bordered_rows:
        _refuse_name_under_the_rows(rows, [w for w in outside if w.middle > bottom], bottom, header, layout, where)
    for word in below:
        if not top < word.middle < bottom:
            continue
        if region.leftmost and word.x0 < region.x0:
            raise ExtractionError(
                f"{where}: found {word.text!r} at y={word.top:.0f} left of the list (it starts at"
                f" x={region.x0 + EDGE:.0f}); expected nothing beside its rows"
            )
        if region.x0 <= word.x0 < region.x1 < word.x1:
            raise ExtractionError(
                f"{where}: found {word.text!r} at y={word.top:.0f} running into the list to the right;"
                " expected each word inside one list"
            )
    return rows


def _row_under_the_last_border(words: list[Word], borders: list[float], columns: CountColumns,
                               layout: ListLayout) -> float | None:
    """A y closing the band of a row printed under the list's last border with no border under it,
    or None: zebra stripes ending on an unstriped row, lists bordered above their total only.

    Read so only when nothing else can be meant: one line right under the border, set apart from
    whatever follows by more than any band above; either the total row (its label says it is the
    list's last row) or a row with a count in every column, each count flush with that column's
    counts above (right or left edge within 1 pt). A note or a stray number is not set so; it
    stays outside the rows, where the refusals of rows left without a border see it."""
    if len(borders) < 2:
        return None  # a lone border above the total of a borderless list: read as borderless
    divider = columns.divider
    lines = group_lines([w for w in words if w.middle > borders[-1]])
    if not lines or lines[0].top - borders[-1] > 2 * (lines[0].bottom - lines[0].top):
        return None
    first = lines[0]
    if not _is_row_line(first, divider) or not _name_text(first, divider).strip():
        return None
    if any(layout.total_label.fullmatch(_name_text(line, divider).strip())
           for line in group_lines([w for w in words if borders[0] < w.middle < borders[-1]])):
        return None  # nothing of the list follows its total
    band = max(b - a for a, b in zip(borders, borders[1:]))
    if len(lines) > 1 and lines[1].top - first.bottom < max(band, 2 * (first.bottom - first.top)):
        return None  # the next line as close as a wrapped name's or a row's: not certainly the end
    if not layout.total_label.fullmatch(_name_text(first, divider).strip()):
        above = [w for w in words if borders[0] < w.middle < borders[-1] and w.x0 >= divider and is_count_text(w.text)]
        counts = [w for w in first.words if w.x0 >= divider]
        if sorted({columns.role_of(w) for w in counts}) != sorted(columns.roles) or len(counts) != len(columns.roles):
            return None
        for word in counts:
            same = [w for w in above if columns.role_of(w) == columns.role_of(word)]
            flush = all(abs(w.x1 - word.x1) <= 1 for w in same) or all(abs(w.x0 - word.x0) <= 1 for w in same)
            if not same or not flush:
                return None
    return first.bottom + 0.5


def _refuse_strays(outside: list[Word], inside: list[Word], columns: CountColumns, header: ListHeader,
                   where: str) -> None:
    """A row or a count printed outside the rows read (under the last border, after the gap that
    ends a borderless list) would vanish without a word, and a row printed '-' leaves the total
    reconciling: refuse it. Prose and footers that merely contain a number ('Copyright 2024
    ...') are neither a row (text starting where the names start, then only counts in the count
    column; or text ending in a count set apart from it like a column, as '-' centred or set in
    from the right) nor right-aligned with the counts."""
    divider = columns.divider
    for line in group_lines(outside):
        names = [w for w in line.words if w.x0 < divider]
        counts = [w for w in line.words if w.x0 >= divider]
        set_apart = (_ends_in_a_column(line) and line.words[-1].x0 > header.name_x1
                     and line.words[0].x0 < header.count_x0)
        if set_apart or (names and abs(names[0].x0 - header.name_x0) <= EDGE and counts
                         and all(is_count_text(w.text) for w in counts)):
            raise ExtractionError(
                f"{where}: found the row {line.text!r} at y={line.top:.0f} outside the rows of the list;"
                " expected every row inside the list"
            )
    stray = stray_counts(outside, inside, columns, header.count_x1)
    if stray:
        raise ExtractionError(
            f"{where}: found {stray[0].text!r} in the count column at y={stray[0].top:.0f}, outside the"
            " rows of the list; expected every count inside a row"
        )


def _refuse_count_under_the_rows(under: list[Word], bottom: float, header: ListHeader, where: str) -> None:
    """A count in the count column right under the last row read (the lines that follow it as
    closely as a wrapped name's) is a row left without a border under it, whatever its alignment
    and wherever its name sits: read nothing of it silently. A note under the list ('*Reasons
    include no IP address ...', 2020-2023 by country, last page) holds no count there."""
    previous = bottom
    lines = group_lines(under)
    for line in lines:
        if line.top - previous > 2 * (line.bottom - line.top):
            return
        counts = [w for i, w in enumerate(line.words) if w.x0 > header.name_x1 and is_count_text(w.text)
                  and _placed_like_a_count(line, i, lines, header)]
        if counts:
            raise ExtractionError(
                f"{where}: found {counts[0].text!r} at y={counts[0].top:.0f} right under the last row of the list"
                f" ({line.text!r}); expected every count inside a row (a row without a border under it?)"
            )
        previous = line.bottom


def _refuse_name_under_the_rows(rows: list[RawRow], under: list[Word], bottom: float, header: ListHeader,
                                layout: ListLayout, where: str) -> None:
    """Text in the name column right under the last row read, before the list's total: the start
    of a row broken across the page break (its count on the next page), which would otherwise be
    dropped and the row named by its last line only. After the total, such text is a note. (An
    borderless list's own checks see the same case.)"""
    if any(layout.total_label.fullmatch(row.name) for row in rows):
        return
    lines = group_lines(under)
    if not lines:
        return
    line = lines[0]
    if line.top - bottom <= 2 * (line.bottom - line.top) and abs(line.words[0].x0 - header.name_x0) <= NAME_INDENT:
        raise ExtractionError(
            f"{where}: {line.text!r} at y={line.top:.0f} is printed in the name column right under the last row"
            " of the list, before its total, with no count: the start of a row broken across the page break,"
            " or a note; refusing to guess"
        )


def _placed_like_a_count(line: TextLine, index: int, lines: list[TextLine], header: ListHeader) -> bool:
    """Whether the count-like word at `index` is printed where a row's count would be: alone on
    its line beside a name line (not a page number), or ending a line that starts where names
    start, set apart from the word before it by more than the line's word spaces (not prose
    such as '... as of December 31, 2023' or '© 2023 National Center ...')."""
    words = line.words
    if len(words) == 1:
        return _beside_a_name(line, lines, header)
    if index != len(words) - 1 or abs(words[0].x0 - header.name_x0) > NAME_INDENT:
        return False
    gap = words[index].x0 - words[index - 1].x1
    spaces = [b.x0 - a.x1 for a, b in zip(words[:index - 1], words[1:index])]
    return gap > COLUMN_GAP or (gap > 5 and (not spaces or gap > 2.5 * statistics.median(spaces)))


def stray_counts(outside: list[Word], inside: list[Word], columns: CountColumns, count_right: float) -> list[Word]:
    """Count-like words outside the rows but right-aligned with the counts inside them, column by
    column (or with the count header when no row was read): a row printed without borders, which
    would otherwise vanish. Prose and footers that merely contain a number do not line up with
    those edges."""
    divider = columns.divider
    edges: dict[str, list[float]] = {}
    for w in inside:
        if w.x0 >= divider and is_count_text(w.text):
            edges.setdefault(columns.role_of(w), []).append(w.x1)
    right_edges = [statistics.median(e) for e in edges.values()] or [count_right]
    return [w for w in outside if w.x0 >= divider and is_count_text(w.text)
            and any(abs(w.x1 - edge) < 2 for edge in right_edges) and not _ends_a_phrase(w, outside)]


def _ends_a_phrase(word: Word, words: list[Word]) -> bool:
    """Whether a number follows a word a word space before it on its line ('Page 1', 'Table 3'):
    text that ends in a number, not a count set apart from a name like a column."""
    height = word.bottom - word.top
    return any(abs(w.middle - word.middle) <= 2 and 0 <= word.x0 - w.x1 <= 0.6 * height
               and not is_count_text(w.text) for w in words if w is not word)


def _count_lines(words: list[Word], divider: float) -> list[TextLine]:
    return [line for line in group_lines(words) if any(w.x0 >= divider and is_count_text(w.text) for w in line.words)]


def _rows_between_borders(words: list[Word], borders: list[float], columns: CountColumns, layout: ListLayout,
                          *, page: int, source: str, open_top: bool = False) -> tuple[list[RawRow], float]:
    """Rows of a bordered list, band by band, and the y where they end.

    A band holds one row. A band holding several (borders under some rows only) is read like a
    borderless list, and the rows end where that reading ends (a wide gap, the total). A band whose
    closing border lies far below its text (a page background's edge, a border above the footer)
    closes no row: the rows end at its top, and what it holds is text under the list.
    """
    divider = columns.divider
    rows: list[RawRow] = []
    for top, bottom in zip(borders, borders[1:]):
        # A column header repeated inside the list is no row; nothing else in its band is dropped.
        lines = _without_headers(group_lines(words_between(words, top, bottom)), layout)
        if not lines:
            continue
        if bottom - lines[-1].bottom > 4 * statistics.median(line.bottom - line.top for line in lines):
            return rows, top
        pieces = [w for line in lines for w in line.words if w.x0 >= divider]
        count_lines = [line for line in lines if any(w.x0 >= divider for w in line.words)]
        if len(count_lines) > 1 and not _joins(pieces, columns):
            region = _borderless_region(lines, layout, divider, page=page, source=source)
            # The border above a band below other rows closes the row before: a name line at the
            # band's top starts its first row. The first band's border is the header's ("booktabs"
            # borders under the header and at the bottom only): a line there may be a caption.
            rows.extend(rows_from_lines(region, divider, page=page, source=source, bordered=False,
                                        bordered_above=bool(rows), columns=columns))
            if len(region) < len(lines):
                return rows, region[-1].bottom
            continue
        # The first band of a list with no border under its header is bounded above by the header
        # only: a line above its count may be a caption, so it is read with a borderless list's checks.
        bordered = not (open_top and top == borders[0])
        rows.extend(rows_from_lines(lines, divider, page=page, source=source, bordered=bordered, columns=columns))
    return rows, borders[-1]


def _without_headers(lines: list[TextLine], layout: ListLayout) -> list[TextLine]:
    """The lines less those of a header band repeated inside the list."""
    banded = {id(line) for _, band in find_headers(lines, layout) for line in band}
    return [line for line in lines if id(line) not in banded]


def _joins(pieces: list[Word], columns: CountColumns) -> bool:
    """Whether a band's count pieces make one count per column (a number broken across lines)."""
    try:
        _join_by_column(pieces, columns)
    except ValueError:
        return False
    return True

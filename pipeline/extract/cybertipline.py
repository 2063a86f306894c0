"""Extractor for the CyberTipline "Reports by ESP" and "Reports by Country" PDFs.

Both families print the same shape: a two-column Name | Count list over several pages, each
page repeating the column header, ended by a printed total. What varies between editions
(header wording, `Total` vs `Total:`, page headers, one or two lists side by side) is read from
`pipeline/data/list_layouts.csv`, not from `if year == ...` branches.

How a page is read:
1. find header lines: a text line made only of (name header, count header) pairs, one pair
   per list printed on the page (older editions print two lists side by side);
2. give each list its own part of the page: from its left edge to the next list's left edge,
   down to the next header in the same column, so no word is read into two lists;
3. below each header, cut the list into row bands at the drawn horizontal borders that span it;
   a band holds one row however its name wraps, with the count on any of its lines;
4. where a page has no borders, rebuild rows from text lines and refuse any line that could
   belong to two rows, or to a row or a note under the list.
Anything that looks like a row or a count outside the rows, text beside a row, a row without a
name, and a page inside the list without a header are errors, not silent drops: a wrong name on
a right count still sums to the printed total, so the reader must refuse what it cannot place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.extract import ExtractionError
from pipeline.extract.list_columns import _in_list_columns
from pipeline.extract.list_headers import ListHeader, header_like, load_layouts
from pipeline.extract.list_pages import extract_page_lists
from pipeline.extract.list_refusals import (
    _list_like,
    _near_miss,
    _near_miss_note,
    _refuse_gaps,
    _refuse_unheaded_lists,
    _refuse_unread_continuation,
    _total_read,
    row_like_lines,
    same_columns,
    split_total,
)
from pipeline.extract.list_rows import RawRow, _box
from pipeline.extract.list_trace import ListTrace
from pipeline.layout import TextLine, group_lines, horizontal_segments, vertical_edges, words_from_page


@dataclass(frozen=True)
class ListExtraction:
    rows: tuple[RawRow, ...]
    total: RawRow
    pages: int
    roles: tuple[str, ...] = ("reports",)
    labels: tuple[str, ...] = ()  # the count columns' labels as printed on the first header
    # Every page's text (with_page_texts), read from the pages parsed here instead of parsing
    # the PDF again: what identifies the edition and what the field search quotes.
    page_texts: tuple[str, ...] = ()


def extract_list(pdf_path: Path, family: str, source: str | None = None,
                 trace: ListTrace | None = None, with_page_texts: bool = False) -> ListExtraction:
    """Every row of a by-ESP or by-country PDF, plus its printed total row. With a `trace`, what
    was found on each page, and the refusal with its page, are recorded for `explain`;
    `with_page_texts` also returns each page's plain text."""
    try:
        return _extract_list(pdf_path, family, source, trace, with_page_texts)
    except ExtractionError as err:
        if trace is not None:
            trace.refusal = str(err)
            trace.refused_page = err.page
        raise


def _extract_list(pdf_path: Path, family: str, source: str | None, trace: ListTrace | None,
                  with_page_texts: bool) -> ListExtraction:
    from pipeline.pages import open_pages

    layout = load_layouts()[family]
    source = source or Path(pdf_path).name
    rows: list[RawRow] = []
    headed: dict[int, tuple[int, int]] = {}  # page -> (list headers, rows read)
    sideways: list[int] = []  # pages whose text runs up or down the page
    near_misses: dict[int, list[str]] = {}  # page -> lines that start like a header but are not one
    row_like: dict[int, list[TextLine]] = {}  # page without a header -> lines printed like a row
    seen_headers: list[ListHeader] = []
    header_pages: list[tuple[int, ListHeader]] = []
    page_texts: list[str] = []
    page_count = 0
    for page in open_pages(pdf_path):
        number = page_count = page.number
        words = words_from_page(page)
        # Inside a list whose total is still to come, the last headed page's headers carry over.
        carry = [] if not header_pages or _total_read(rows, layout) else \
            [h for p, h in header_pages if p == header_pages[-1][0]]
        segments = horizontal_segments(page)
        reading = trace.page(number) if trace is not None else None
        page_rows, headers = extract_page_lists(words, segments, vertical_edges(page), layout=layout,
                                                page=number, source=source, carried_from=carry, trace=reading)
        rows.extend(page_rows)
        headed[number] = (len(headers), len(page_rows))
        seen_headers.extend(headers)
        header_pages.extend((number, h) for h in headers)
        if not headers:
            lines = group_lines(words)
            near_misses[number] = [_near_miss(line, layout) for line in lines if header_like(line, layout)]
            if reading is not None:
                reading.near_misses = near_misses[number]
                reading.near_miss_boxes = [_box([line]) for line in lines if header_like(line, layout)]
            row_like[number] = row_like_lines(lines)
        if sum(not c["upright"] for c in page.chars) > len(page.chars) / 2:
            sideways.append(number)
        if with_page_texts:
            page_texts.append(page.text)
    unheaded = {number: texts for number, lines in row_like.items()
                if (texts := [line.text for line in lines if _in_list_columns(line, seen_headers)]
                    or [line.text for line in _list_like(lines, seen_headers)])}
    if not rows and not unheaded:
        turned = (f"; the text of page(s) {', '.join(map(str, sideways))} runs sideways (rotated text),"
                  " which this reader does not read" if sideways else "")
        raise ExtractionError(
            f"{source}: expected a list headed like {layout.describe()},"
            f" found no such header on any of {page_count} pages{turned}"
            + _near_miss_note(near_misses)
        )
    _refuse_unheaded_lists(unheaded, layout, source, near_misses)
    _refuse_unread_continuation(rows, layout, source, near_misses)
    data_rows, total = split_total(rows, layout, source)
    _refuse_gaps(headed, total.page, layout, source, sideways, near_misses)
    first = same_columns(header_pages, source)
    return ListExtraction(tuple(data_rows), total, page_count, first.roles, tuple(c.label for c in first.columns),
                          tuple(page_texts))

"""From grids to read tables: which grids are one table (continued across pages), its header,
its row labels and the numbers under each column, before the rules file names it.

Steps 1 and 2 of the reading described in `pipeline.extract.ojjdp`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp_cell_text import BARE_YEAR, CellText, PrintedValue, _safe_values, read_text, read_values
from pipeline.grid import TOUCH_TOLERANCE, Cell, Grid
from pipeline.layout import TextLine


# A word in a header that looks like a number ("0.3", "51", "4.1%"): header cells hold labels.
NUMBER_LIKE = re.compile(r"[\d,.%]*\d[\d,.%]*")


@dataclass(frozen=True)
class ReadTable:
    """A table's header text and its numbers, before a table id is known."""

    page: int
    header_text: str
    caption: str
    title: str
    entries: tuple[dict, ...]  # row_label, footnote, column_label, year, printed, page
    # (header cell text, word) for each number-like word in a header cell that is not a year
    # ("0.3" of "0.3 million"): a band of numbers the reader could not read, taken for header.
    header_numbers: tuple[tuple[str, str], ...] = ()


def _where(source: str, page: int) -> str:
    return f"{source}, page {page}"


def continue_across_pages(grids: list[Grid], *, source: str = "") -> list[list[Grid]]:
    """Tables as lists of grids. The first grid at the top of a page continues the last table of
    the previous page when nothing but page furniture is printed above it on its page, it is
    drawn with the same columns and it either starts with numbers (no header of its own) or
    repeats that table's header exactly, title included: Word's "repeat header rows" repeats
    rows from the table's first row only, so a grid repeating the column header without the
    title is another table (its caption printed as a paragraph) with the same columns.

    Neither 2022 nor 2023 splits a table across pages; a later edition may, and its second half
    must become neither an `unknown` table with no column labels nor a second copy of the table.
    Two tables with the same columns but different titles (the per-year identified-victims
    tables) stay apart. Such a grid starting with a band holding text only in its row-label
    column is the tail of a row Word broke across the page break ("(ICACs) Units" below
    "Internet Crimes Against Children" and its numbers): refused, since joining the halves of a
    label (and telling which half the numbers are on) is a guess.
    """
    tables: list[list[Grid]] = []
    for grid in grids:
        previous = tables[-1][-1] if tables else None
        if (previous is not None and grid.page == previous.page + 1
                and not any(g.page == grid.page and g.top < grid.top for g in grids)
                and not grid.text_above and _same_columns(previous, grid)):
            if _first_band_is_data(grid) or _header_texts(grid) == _header_texts(tables[-1][0]):
                tables[-1].append(grid)
                continue
            if _label_only_first_band(grid):
                first = grid.bands[0]
                raise ExtractionError(
                    f"{source}, page {grid.page}: expected the table continued from page {previous.page} (drawn"
                    f" with the same columns) to go on with numbers or its repeated header, found a first band"
                    f" with text only in the row-label column ({read_text(first[0]).text!r}): a row broken"
                    f" across the page break, whose label halves and numbers cannot be joined safely"
                )
        tables.append([grid])
    return tables


def _label_only_first_band(grid: Grid) -> bool:
    """The first band has text in its first cell, and nothing in the others."""
    band = grid.bands[0] if grid.bands else ()
    return (len(band) > 1 and bool(read_text(band[0]).text)
            and not any(read_text(c).text for c in band[1:]))


def _same_columns(a: Grid, b: Grid) -> bool:
    edges_a = sorted({round(c.x0) for band in a.bands for c in band} | {round(a.x1)})
    edges_b = sorted({round(c.x0) for band in b.bands for c in band} | {round(b.x1)})
    return len(edges_a) == len(edges_b) and all(abs(p - q) <= TOUCH_TOLERANCE for p, q in zip(edges_a, edges_b))


def _data_start(grid: Grid) -> int:
    """Index of the first band holding a number: the bands before it are the header."""
    for index, band in enumerate(grid.bands):
        if any(_safe_values(read_text(c)) is not None for c in band):
            return index
    return len(grid.bands)


def header_band_count(grid: Grid) -> int:
    """How many of a grid's bands are its header (for `explain`, which draws them apart)."""
    return _data_start(grid)


def _first_band_is_data(grid: Grid) -> bool:
    return bool(grid.bands) and _data_start(grid) == 0


def _header_texts(grid: Grid) -> tuple[tuple[str, ...], ...]:
    """The header bands' cell texts, left to right (empty for a grid starting with numbers)."""
    return tuple(tuple(read_text(c).text for c in band) for band in grid.bands[:_data_start(grid)])


def text_above_first_grids(grids: list[Grid], lines_by_page: dict[int, list[TextLine]]) -> list[Grid]:
    """The grids, the first on each page given the text printed above it (`Grid.text_above`).

    Lines that recur at the same height outside the tables of another page (digits aside:
    "Page 7") are page furniture, running headers that a continued table may sit below, and are
    left out. Both editions print nothing above the grids that start their pages (the page
    number is at the bottom), so only a caption or prose can be there.
    """
    outside: dict[int, list[TextLine]] = {
        page: [line for line in lines if not any(g.page == page and g.x0 <= line.words[0].x0 <= g.x1
                                                 and g.top <= line.middle <= g.bottom for g in grids)]
        for page, lines in lines_by_page.items()}
    first = {}
    for grid in grids:
        if grid.page not in first or (grid.top, grid.x0) < (first[grid.page].top, first[grid.page].x0):
            first[grid.page] = grid
    out = []
    for grid in grids:
        if first[grid.page] is grid:
            above = [line for line in outside.get(grid.page, []) if line.bottom <= grid.top + TOUCH_TOLERANCE
                     and not _is_furniture(line, grid.page, outside)]
            grid = replace(grid, text_above=" ".join(line.text for line in above))
        out.append(grid)
    return out


def _is_furniture(line: TextLine, page: int, lines_by_page: dict[int, list[TextLine]]) -> bool:
    key = re.sub(r"\d+", "#", line.text)
    return any(other != page and abs(o.top - line.top) <= TOUCH_TOLERANCE and re.sub(r"\d+", "#", o.text) == key
               for other, lines in lines_by_page.items() for o in lines)


def read_table(grids: list[Grid], *, source: str) -> ReadTable:
    """Header, row labels and numbers of one table (one grid, or several across pages)."""
    texts = {c: read_text(c) for g in grids for band in g.bands for c in band}
    _refuse_unknown_marks(grids, texts, source=source)
    header = _read_header(grids, texts, source=source)
    entries: list[dict] = []
    emitted: set[Cell] = set()
    previous_label: tuple[str | None, tuple[str, ...]] = (None, ())
    for grid, band_index in header.data_bands:
        label = _read_band(grid, band_index, header, texts, previous_label, emitted, entries, source=source)
        if label[0] is not None:
            previous_label = label
    return ReadTable(grids[0].page, header.text, header.caption, header.title, tuple(entries), header.numbers)


@dataclass(frozen=True)
class _Header:
    """What a table's header bands say, and which bands of its grids hold its numbers."""

    title: str
    cells: list[Cell]  # the header cells under the title
    stub_cells: list[Cell]  # those over the row-label column (none in a table without row labels)
    column_bands: list[list[Cell]]  # each header band's cells over the columns of numbers
    text: str  # what the rules file matches: title, row-label column's header, the rest
    caption: str
    numbers: tuple[tuple[str, str], ...]  # `ReadTable.header_numbers`
    data_bands: list[tuple[Grid, int]]  # (grid, band index); a continuation's repeated header skipped
    has_stub: bool  # the table has row labels


def _refuse_unknown_marks(grids: list[Grid], texts: dict[Cell, CellText], *, source: str) -> None:
    for grid in grids:
        for cell in _unique(c for band in grid.bands for c in band):
            if texts[cell].unknown_marks:
                raise ExtractionError(
                    f"{_where(source, grid.page)}: expected footnote markers of digits or * \u2020 \u2021 \u00a7,"
                    f" found {texts[cell].unknown_marks[0]!r} printed small and raised in {texts[cell].text!r}"
                )


def _read_header(grids: list[Grid], texts: dict[Cell, CellText], *, source: str) -> _Header:
    """The header of the table's first grid: the bands above its first number, a first band
    that is one cell across the whole table its title; and whether its data bands have row labels."""
    first = grids[0]
    width = first.x1 - first.x0
    data_start = _data_start(first)
    if data_start == 0:
        raise ExtractionError(
            f"{_where(source, first.page)}: expected a header row above the numbers of a table (or the"
            f" continuation of the table on the previous page, drawn with the same columns), found no"
            f" header above {' | '.join(texts[c].text for c in first.bands[0])!r}"
        )
    header_bands = first.bands[:data_start]
    title = ""
    if header_bands and len(header_bands[0]) == 1 and header_bands[0][0].x1 - header_bands[0][0].x0 >= width - 1:
        title = texts[header_bands[0][0]].text
        header_bands = header_bands[1:]
    header_cells = _unique(c for band in header_bands for c in band)

    data_bands = [(g, i) for g in grids for i in range(_data_start(g) if g is not first else data_start,
                                                         len(g.bands))]
    has_stub = any(g.bands[i] and _safe_values(texts[g.bands[i][0]]) is None and texts[g.bands[i][0]].text
                   for g, i in data_bands)
    stub = data_bands[0][0].bands[data_bands[0][1]][0] if has_stub and data_bands else None
    stub_cells = [c for c in header_cells if stub is not None and c.x0 <= stub.x_middle <= c.x1]
    stub_header = " ".join(texts[c].text for c in stub_cells if texts[c].text)
    # What the rules file matches: title, then the row-label column's header, then the rest.
    header_text = " ".join(t for t in [title, stub_header] + [texts[c].text for c in header_cells
                                                              if c not in stub_cells] if t)
    column_bands = [[c for c in band if c not in stub_cells] for band in header_bands]
    # A number in a title is words ("Top 5 ESPs"); one in a column header is a band of numbers
    # the reader could not read, taken for header (see `_check_table_is_read`).
    header_numbers = tuple((texts[c].text, token) for c in header_cells
                           for token in texts[c].tokens if _is_number_like(token))
    return _Header(title, header_cells, stub_cells, column_bands, header_text, title or stub_header or header_text,
                   header_numbers, data_bands, has_stub)


def _read_band(grid: Grid, band_index: int, header: _Header, texts: dict[Cell, CellText],
               previous_label: tuple[str | None, tuple[str, ...]], emitted: set[Cell], entries: list[dict], *,
               source: str) -> tuple[str | None, tuple[str, ...]]:
    """The numbers of one data band, appended to `entries` (a cell spanning bands once, counted
    in `emitted`); returns the band's row label and its footnotes."""
    where = f"{_where(source, grid.page)}: in the table {header.caption[:60]!r}"
    cells = list(grid.bands[band_index])
    label, label_notes = None, ()
    if header.has_stub:
        label, label_notes = _row_label(texts[cells[0]], [texts[c] for c in cells[1:]], where=where)
        cells = cells[1:]
    for cell in cells:
        if cell in emitted:
            continue
        content = texts[cell]
        values = _cell_values(content, label, where=where)
        if values is None:
            continue
        if header.has_stub and label is None:
            # A percent row printed under its count row with an empty label cell belongs to
            # the row above; anything else without a label cannot be placed.
            if all(v.percent is not None for v in values) and previous_label[0] is not None:
                label, label_notes = previous_label
            else:
                raise ExtractionError(
                    f"{where}: expected a row label left of {content.text!r}, found an empty label cell"
                )
        if header.has_stub and cell.row1 > cell.row0:
            labels = _unique(texts[grid.bands[i][0]].text for i in range(cell.row0, cell.row1 + 1))
            if len(labels) > 1:
                raise ExtractionError(
                    f"{where}: expected each number on one row, found {content.text!r} in a cell spanning"
                    f" the rows {', '.join(map(repr, labels))}"
                )
        _refuse_spanning_columns(cell, header, texts, label, where=where)
        emitted.add(cell)
        column_cells = [c for c in header.cells if c.x0 <= cell.x_middle <= c.x1 and c not in header.stub_cells]
        column_texts = [texts[c] for c in column_cells if texts[c].text]
        column_label = " | ".join(t.text for t in column_texts) or None
        # markers printed small after the number itself are kept too (none in 2022 or 2023)
        footnotes = tuple(label_notes) + tuple(m for t in column_texts for m in t.footnotes) + content.footnotes
        for value in values:
            entries.append({
                "row_label": label, "footnote": ",".join(footnotes) or None,
                "column_label": column_label, "printed": value, "page": grid.page, "cell": len(emitted),
            })
    return label, label_notes


def _row_label(stub_text: CellText, others: list[CellText], *, where: str) -> tuple[str | None, tuple[str, ...]]:
    """The row label of a data band (None where its label cell is empty) and its footnotes."""
    if stub_text.text and _safe_values(stub_text) is not None:
        # A table with row labels whose label column holds a number here (a table
        # without row labels that gained a labelled row): the number is no label.
        raise ExtractionError(
            f"{where}: expected a row label in the first column of every row, found the number"
            f" {stub_text.text!r} there"
        )
    label, label_notes = stub_text.text or None, stub_text.footnotes
    _refuse_number_in_label(stub_text, where)
    if label is not None and not any(_safe_values(t) is not None or t.text for t in others):
        # Word breaks a row across pages with "Allow row to break across pages" (its
        # default): one half of the label then stands alone, the numbers on the other.
        raise ExtractionError(
            f"{where}: expected numbers in the row {label!r}, found none beside its label (a row"
            f" broken across a page break, or numbers the reader cannot see)"
        )
    return label, label_notes


def _cell_values(content: CellText, label: str | None, *, where: str) -> list[PrintedValue] | None:
    """The numbers of a data cell; None for an empty one. Text among the numbers is refused."""
    try:
        values = read_values(content)
    except ValueError as err:
        raise ExtractionError(
            f"{where}, row {label!r}: expected one number per label in a cell, found"
            f" {content.text!r} ({err})"
        ) from None
    if values is None and content.text:
        raise ExtractionError(
            f"{where}, row {label!r}: expected numbers right of the row label, found text"
            f" {content.text!r}"
        )
    return values


def _refuse_spanning_columns(cell: Cell, header: _Header, texts: dict[Cell, CellText], label: str | None, *,
                             where: str) -> None:
    for band in header.column_bands:
        under = [c for c in band if min(c.x1, cell.x1) - max(c.x0, cell.x0) > TOUCH_TOLERANCE]
        if len(under) > 1:
            raise ExtractionError(
                f"{where}, row {label!r}: expected each number under one column, found"
                f" {texts[cell].text!r} in a cell spanning the columns"
                f" {', '.join(repr(texts[c].text) for c in under)}"
            )


def _is_number_like(token: str) -> bool:
    """A word that reads as a number and is not a year: "0.3", "51", "4.1%" (not "2022", "MD5")."""
    bare = token.strip("()[]:;,.")
    return bool(NUMBER_LIKE.fullmatch(bare)) and not BARE_YEAR.fullmatch(bare)


# A count inside a row label ("Local Law Enforcement 91": a column border too heavy or not drawn
# merged the label with the first number), or a digit run into a label's word ("Sextortion4", a
# footnote marker printed at the text size). Neither edition prints either; "MD5" and Appendix
# A's "CY1998 (1/1/98-12/31/98)" are neither.
COUNT_IN_LABEL = re.compile(r"\d{1,3}(?:,\d{3})+|\d{2,}")
DIGIT_RUN_INTO_WORD = re.compile(r"[A-Za-z]{3,}\d+")


def _refuse_number_in_label(label: CellText, where: str) -> None:
    for token in label.tokens:
        bare = token.strip(".,;:")
        if (COUNT_IN_LABEL.fullmatch(bare) and not BARE_YEAR.fullmatch(bare)) or DIGIT_RUN_INTO_WORD.fullmatch(bare):
            raise ExtractionError(
                f"{where}: expected a row label of words, found {token!r} in {label.text!r} (a number merged"
                " into the label by a border not read, or a footnote marker printed at the text size?)"
            )


def _unique(cells) -> list[Cell]:
    """Cells in first-seen order, each once (a cell spanning two bands appears in both)."""
    return list(dict.fromkeys(cells))

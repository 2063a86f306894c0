"""Grids derived from the text, for OJJDP tables printed without drawn cell borders.

`pipeline.extract.ojjdp` reads a table from its drawn border grid. A later edition may set a
table with horizontal borders only (a border under the header and between rows, or a top and bottom
border), or with no borders at all (columns aligned by whitespace, under a header naming years);
header cells may be shaded bands (thick filled rectangles, never borders). This module derives
the same `Grid` from where the words are, so the ordinary cell reading (`read_table`,
`tables_to_cells`) reads such a table exactly like its bordered twin:

* columns: the runs of words holding a number (a run is words closer than the text size on one
  line) are projected on the x axis; runs that overlap are one column of numbers, and the runs of
  words left of the first such column are the row-label column. A header label belongs to the
  column it overlaps; a label over several columns, or centred in the gap between two columns
  that are labelled separately below it, is a spanning header over them (its own header level,
  as a merged cell is in a drawn grid); a title is a first header line holding one label that
  starts over the row-label column and reaches over another;
* rows: between horizontal borders, a band of lines is one row (like a grid row); without borders
  between them, lines are split into rows at the larger line gaps (a wrapped row label or a
  stacked cell is printed at the tighter within-row gap);
* where: a table with borders only lies between stacked horizontal borders of one width that no
  drawn grid uses; a table with no borders is the block of lines around a line printing two or more
  year labels ("CY 2022", "Calendar Year 2023", "2024") in separate columns.

Nothing is guessed. Refused with an `ExtractionError` naming file and page ("<file>, page N"),
what was expected and what was found: a header label over no column (printed in a gutter), two
labels over one column on one line, a spanning header printed below column headers, a spanning
header whose reach is unclear (a column beside it left without a label at its level); text
between columns of numbers or two cells under one column on one line (a gutter on some rows
only, a number straddling it); a wrapped row label that could belong to the row above or below
(all lines evenly spaced), line gaps that are neither the within-row nor the between-row gap;
text right under a table without borders that could be a wrapped row label or a caption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp_cell_text import BARE_YEAR, RAISED_FOOTNOTE_SIZE_RATIO
from pipeline.grid import Border, Cell, Grid, SizedWord
from pipeline.layout import NO_NUMBER, group_lines

# Words on one line closer than this share of the text size are one run (a label, a cell's
# text); a column gutter is wider. A space is 0.25-0.28 em.
RUN_GAP_RATIO = 1.0
# Two line gaps differing by less than this are the same gap (points).
LINE_GAP_TOLERANCE = 1.5
# Borders of one table are drawn with the same left and right ends (points).
BORDER_END_TOLERANCE = 3.0
# Lines of one table without borders follow each other at under this share of the text size;
# a header line above it at under `HEADER_GAP_RATIO` of it.
TABLE_GAP_RATIO = 1.5
HEADER_GAP_RATIO = 1.0
# Borders farther apart than this (points: about fourteen lines of 11 pt text) bound no band of one
# table: a page's top and bottom borders hold prose. A body of more rows between two borders is not seen.
MAX_BAND_HEIGHT = 200.0
# A header label over no column's ink belongs to the nearer column when it is within this many
# text sizes of it and this many times farther from the other.
NEAR_COLUMN_RATIO = 3.0
NUMBER_WORD = re.compile(r"[\d,.%]*\d[\d,.%]*")
YEAR_LABEL = re.compile(r"(?:CY ?|Calendar Year )?(?:19|20)\d\d[*\u2020\u2021]?", re.IGNORECASE)


class _Span:
    """The horizontal extent and text of some words (`words`) on one line. Lines and runs are
    frozen: what follows from their words is computed once (the grid code asks it thousands of
    times a page)."""

    words: tuple[SizedWord, ...]

    @cached_property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @cached_property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Line(_Span):
    """One printed line: its body words, with the small raised footnote markers beside them."""

    words: tuple[SizedWord, ...]

    @cached_property
    def top(self) -> float:
        return min(w.top for w in self.body)

    @cached_property
    def bottom(self) -> float:
        return max(w.bottom for w in self.body)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @cached_property
    def size(self) -> float:
        return max(w.size for w in self.words)

    @cached_property
    def body(self) -> tuple[SizedWord, ...]:
        big = [w for w in self.words if w.size >= RAISED_FOOTNOTE_SIZE_RATIO * self.size]
        return tuple(big or self.words)

    def runs(self) -> list[Run]:
        runs: list[list[SizedWord]] = []
        for word in sorted(self.words, key=lambda w: w.x0):
            if runs and word.x0 - max(w.x1 for w in runs[-1]) < RUN_GAP_RATIO * self.size:
                runs[-1].append(word)
            else:
                runs.append([word])
        return [Run(tuple(r), self.size) for r in runs]


@dataclass(frozen=True)
class Run(_Span):
    """Words of one line closer together than a column gutter: one label or one cell's line."""

    words: tuple[SizedWord, ...]
    size: float

    @property
    def middle(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def has_number(self) -> bool:
        """The run reads as a cell of numbers: counts, percents or "-", each optionally after an
        in-cell label ending in ':' ("Actionable: 1,462"); "Table 7 continues" and "Top 5 ESPs"
        are labels."""
        open_label, numbers = False, False
        for word in self.words:
            if word.size < RAISED_FOOTNOTE_SIZE_RATIO * self.size:
                continue
            if _is_number(word.text):
                if open_label:
                    return False
                numbers = True
            else:
                open_label = not word.text.endswith(":")
        return numbers and not open_label

    @property
    def is_year_label(self) -> bool:
        body = " ".join(w.text for w in self.words if w.size >= RAISED_FOOTNOTE_SIZE_RATIO * self.size)
        return bool(YEAR_LABEL.fullmatch(body))


def _is_number(text: str) -> bool:
    bare = text.strip("()")
    return text in NO_NUMBER or (bool(NUMBER_WORD.fullmatch(bare)) and not BARE_YEAR.fullmatch(bare))


def text_lines(words: list[SizedWord]) -> list[Line]:
    """Lines of words; a small word (a raised footnote marker, which `group_lines` would put on
    a line of its own) joins the line it overlaps most."""
    if not words:
        return []
    body_size = max(w.size for w in words)
    small = [w for w in words if w.size < RAISED_FOOTNOTE_SIZE_RATIO * body_size]
    lines = [list(line.words) for line in group_lines([w for w in words
                                                       if w.size >= RAISED_FOOTNOTE_SIZE_RATIO * body_size])]
    spans = [[min(w.top for w in line), max(w.bottom for w in line)] for line in lines]  # kept up to date
    for word in small:
        def overlap(i: int) -> float:
            return min(word.bottom, spans[i][1]) - max(word.top, spans[i][0])
        best = max(range(len(lines)), key=overlap, default=None)
        if best is not None and overlap(best) > 0:
            lines[best].append(word)
            spans[best] = [min(spans[best][0], word.top), max(spans[best][1], word.bottom)]
        else:
            lines.append([word])
            spans.append([word.top, word.bottom])
    return sorted((Line(tuple(sorted(line, key=lambda w: w.x0))) for line in lines), key=lambda ln: ln.middle)


# --- where such tables are ------------------------------------------------------------------------

def derived_grids(words: list[SizedWord], borders: list[Border], drawn: list[Grid], *, page: int,
                  source: str) -> list[Grid]:
    """The grids of the tables on a page that no drawn grid holds: first those between stacked
    horizontal borders, then those aligned by whitespace under a line of year labels."""
    def outside(grids, word):
        x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        return not any(g.x0 <= x <= g.x1 and g.top <= y <= g.bottom for g in grids)

    free_words = [w for w in words if outside(drawn, w)]
    free_borders = [r for r in borders if r.horizontal and not any(
        g.x0 - BORDER_END_TOLERANCE <= r.start and r.end <= g.x1 + BORDER_END_TOLERANCE
        and g.top - BORDER_END_TOLERANCE <= r.at <= g.bottom + BORDER_END_TOLERANCE for g in drawn)]
    found: list[Grid] = []
    for stack in border_stacks(free_borders):
        x0, x1 = stack[0].start, stack[0].end
        inside = [w for w in free_words if x0 <= (w.x0 + w.x1) / 2 <= x1 and stack[0].at < (w.top + w.bottom) / 2
                  < stack[-1].at]
        lines = text_lines(inside)
        ys = [r.at for r in stack]
        for part in _split_at_headers(lines, ys):
            above = max(y for y in ys if y < part[0].middle)
            below = min(y for y in ys if y > part[-1].middle)
            grid = grid_from_lines(part, [y for y in ys if above <= y <= below], page=page, source=source)
            if grid is not None:
                found.append(grid)
    rest = [w for w in free_words if outside(found, w)]
    found.extend(_whitespace_tables(text_lines(rest), page=page, source=source))
    return sorted(found, key=lambda g: (g.top, g.x0))


def border_stacks(borders: list[Border]) -> list[list[Border]]:
    """Horizontal borders drawn with the same ends, top to bottom: the borders of one table (a
    lone border is an underline or a footnote separator)."""
    stacks: list[list[Border]] = []
    for border in sorted(borders, key=lambda r: r.at):
        for stack in stacks:
            if (abs(stack[0].start - border.start) <= BORDER_END_TOLERANCE
                    and abs(stack[0].end - border.end) <= BORDER_END_TOLERANCE):
                stack.append(border)
                break
        else:
            stacks.append([border])
    tables = []
    for stack in stacks:  # borders farther apart than a band of a table can be are not one table's
        part = [stack[0]]
        for border in stack[1:]:
            if border.at - part[-1].at > MAX_BAND_HEIGHT:
                tables.append(part)
                part = []
            part.append(border)
        tables.append(part)
    return [t for t in tables if len(t) >= 2]


def _split_at_headers(lines: list[Line], border_ys: list[float]) -> list[list[Line]]:
    """Lines between one stack of borders as tables: a band between two borders holding no number,
    after bands holding numbers, is the header of the next table of the same width."""
    bands: list[list[Line]] = [[] for _ in range(len(border_ys) - 1)]
    for line in lines:
        index = sum(1 for y in border_ys if y < line.middle) - 1
        if 0 <= index < len(bands):
            bands[index].append(line)
    tables: list[list[Line]] = [[]]
    seen_numbers = False
    for band in bands:
        numbers = any(run.has_number for line in band for run in line.runs())
        if band and not numbers and seen_numbers:
            tables.append([])
            seen_numbers = False
        tables[-1].extend(band)
        seen_numbers = seen_numbers or numbers
    return [t for t in tables if t]


def _whitespace_tables(lines: list[Line], *, page: int, source: str) -> list[Grid]:
    """Tables with no borders: a line printing two or more year labels in separate runs, the
    lines below it while they follow at a table's line gap, and header lines just above it
    within the width of the block."""
    grids, used = [], set()
    for index, line in enumerate(lines):
        if index in used or sum(1 for run in line.runs() if run.is_year_label) < 2:
            continue
        end = index + 1
        while (end < len(lines) and lines[end].top - lines[end - 1].bottom <= TABLE_GAP_RATIO * line.size
               and sum(1 for run in lines[end].runs() if run.is_year_label) < 2):  # the next table's header
            end += 1
        x0 = min(ln.x0 for ln in lines[index:end])
        x1 = max(ln.x1 for ln in lines[index:end])
        start = index
        while start > 0 and start - 1 not in used:
            above = lines[start - 1]
            if (lines[start].top - above.bottom > HEADER_GAP_RATIO * line.size
                    or above.x0 < x0 - line.size or above.x1 > x1 + line.size):
                break
            start -= 1
        block = lines[start:end]
        grid = grid_from_lines(block, [], page=page, source=source, whitespace=True)
        if grid is not None:
            grids.append(grid)
            used.update(range(start, end))
    return grids


# --- lines -> grid --------------------------------------------------------------------------------

def grid_from_lines(lines: list[Line], border_ys: list[float], *, page: int, source: str,
                    whitespace: bool = False) -> Grid | None:
    """The grid of one table from its lines (top to bottom) and the borders drawn across it; None
    when no line holds a number or the numbers form no column beside another."""
    where = f"{source}, page {page}"
    data_start = next((i for i, line in enumerate(lines) if any(r.has_number for r in line.runs())), None)
    if data_start is None:
        return None
    header, data = lines[:data_start], lines[data_start:]
    if whitespace:
        data = _table_lines(data, where)
    columns, placed = _columns(data, where)
    if len(columns) < 2:
        return None
    levels, extents = _header_levels(header, columns, where)
    bounds = [extents[0][0] - 1] + [(a[1] + b[0]) / 2 for a, b in zip(extents, extents[1:])] + [extents[-1][1] + 1]
    x0 = min([bounds[0]] + [ln.x0 - 1 for ln in lines])
    x1 = max([bounds[-1]] + [ln.x1 + 1 for ln in lines])
    bounds[0], bounds[-1] = x0, x1

    bands: list[tuple[Cell, ...]] = []
    for level in levels:
        top, bottom = min(ln.top for ln, _ in level) - 1, max(ln.bottom for ln, _ in level) + 1
        row = len(bands)
        spans = sorted({span for _, runs in level for span, _ in runs})
        cells = []
        covered = {c for a, b in spans for c in range(a, b + 1)}
        for a, b in spans:
            words = tuple(w for _, runs in level for span, run in runs if span == (a, b) for w in run.words)
            cells.append(Cell(bounds[a], top, bounds[b + 1], bottom, row, row, words))
        cells.extend(Cell(bounds[c], top, bounds[c + 1], bottom, row, row, ()) for c in range(len(columns))
                     if c not in covered)
        bands.append(tuple(sorted(cells, key=lambda c: c.x0)))
    for rows in _rows(data, border_ys, placed, where):
        top, bottom = min(ln.top for ln in rows) - 1, max(ln.bottom for ln in rows) + 1
        row = len(bands)
        bands.append(tuple(
            Cell(bounds[c], top, bounds[c + 1], bottom, row, row,
                 tuple(w for ln in rows for run, col in placed[ln] if col == c for w in run.words))
            for c in range(len(columns))))
    top = min(border_ys[0] if border_ys else lines[0].top, lines[0].top) - 1
    bottom = max(border_ys[-1] if border_ys else data[-1].bottom, data[-1].bottom) + 1
    return Grid(page, x0, top, x1, bottom, tuple(bands))


def _table_lines(data: list[Line], where: str) -> list[Line]:
    """The lines of a table without borders, from its first line of numbers: every line to the
    last one holding a number, then lines printed at the within-row gap (a wrapped label of the
    last row). A line in the row-label column at the between-row gap could be a row label or a
    caption: refused. A line reaching over the columns (prose) ends the table."""
    last = max(i for i, line in enumerate(data) if any(r.has_number for r in line.runs()))
    body, tail = data[:last + 1], data[last + 1:]
    if not tail:
        return body
    gaps = [b.top - a.bottom for a, b in zip(body, body[1:])]
    if gaps and max(gaps) - min(gaps) > LINE_GAP_TOLERANCE:
        within = min(gaps) + LINE_GAP_TOLERANCE  # the within-row gap the body shows
    else:
        within = min(gaps) - LINE_GAP_TOLERANCE if gaps else None  # tighter than its rows
    number_x0 = min(r.x0 for line in body for r in line.runs() if r.has_number)
    for line in tail:
        gap = line.top - body[-1].bottom
        if line.x1 > number_x0:
            break  # prose or a caption over the columns, not a row label
        if within is not None and gap <= within:
            body.append(line)
            continue
        raise ExtractionError(
            f"{where}: expected the table without borders ending at its last row ({body[-1].text!r}), found"
            f" {line.text!r} right under it at the table's row spacing: a wrapped row label or a caption?"
        )
    return body


def _columns(data: list[Line], where: str) -> tuple[list[tuple[float, float]], dict[Line, list]]:
    """Column extents (the row-label column first, if any) and each data line's runs with their
    column."""
    number_runs = sorted((r for line in data for r in line.runs() if r.has_number), key=lambda r: r.x0)
    number_columns: list[list[float]] = []
    for run in number_runs:
        if number_columns and run.x0 <= number_columns[-1][1]:
            number_columns[-1][1] = max(number_columns[-1][1], run.x1)
        else:
            number_columns.append([run.x0, run.x1])
    for a, b in number_columns:
        runs = [r for r in number_runs if a <= r.x0 and r.x1 <= b]
        if not any(max(edges) - min(edges) <= LINE_GAP_TOLERANCE
                   for edges in ([r.x0 for r in runs], [r.x1 for r in runs], [r.middle for r in runs])):
            odd = max(runs, key=lambda r: min(abs(r.x0 - a), abs(r.x1 - b)))
            raise ExtractionError(
                f"{where}: expected the numbers of a column of a table without column borders aligned left, right"
                f" or centred, found {odd.text!r} (x {odd.x0:.0f}-{odd.x1:.0f}) out of line with the column's"
                f" other numbers (x {a:.0f}-{b:.0f}): a number straddling a gutter?"
            )
    first_x0 = number_columns[0][0]
    label_runs = [r for line in data for r in line.runs() if not r.has_number and r.x1 < first_x0]
    columns = ([(min(r.x0 for r in label_runs), max(r.x1 for r in label_runs))] if label_runs else []) \
        + [(a, b) for a, b in number_columns]
    placed: dict[Line, list] = {}
    for line in data:
        runs = []
        for run in line.runs():
            inside = [c for c, (a, b) in enumerate(columns) if a - 0.5 <= run.x0 and run.x1 <= b + 0.5]
            if len(inside) != 1:
                raise ExtractionError(
                    f"{where}: expected each piece of text of a table without column borders in one column,"
                    f" found {run.text!r} (x {run.x0:.0f}-{run.x1:.0f}) on the line {line.text!r} across a"
                    f" gutter between columns of numbers: a gutter on some rows only, or text straddling it"
                )
            runs.append((run, inside[0]))
        for c in {c for _, c in runs}:
            if sum(1 for _, col in runs if col == c) > 1:
                pieces = [run.text for run, col in runs if col == c]
                raise ExtractionError(
                    f"{where}: expected one cell per column on each line, found {' and '.join(map(repr, pieces))}"
                    f" under one column on the line {line.text!r}: a column gutter on some rows only, or a"
                    f" number straddling it"
                )
        placed[line] = runs
    return columns, placed


def _header_levels(header: list[Line], columns: list[tuple[float, float]], where: str):
    """Header lines as levels, top down, each a list of (line, [((first, last column), run)]);
    and the column extents widened by the column labels."""
    assigned, extents = _place_header_runs(header, columns, where)
    middle = (columns[0][0] + columns[-1][1]) / 2
    for index, (line, runs) in enumerate(assigned):  # title lines: alone, over the row labels or centred
        if len(runs) != 1 or not (runs[0][0][0] == 0 or abs(runs[0][1].middle - middle) <= line.size):
            break
        assigned[index] = (line, [((0, len(columns) - 1), runs[0][1])])
    return _group_levels(assigned, len(columns), where), [tuple(e) for e in extents]


def _place_header_runs(header: list[Line], columns: list[tuple[float, float]], where: str):
    """Each header line's runs with the columns they are over (first, last), placed bottom up:
    a column label widens its column's extent for the lines above it. Returns the lines top
    down as (line, [(span, run)]) and the widened extents."""
    extents = [list(c) for c in columns]
    labelled = [False] * len(columns)
    assigned: list[list] = []
    for line in reversed(header):
        runs = [(_header_span(run, extents, labelled, where), run) for run in line.runs()]
        for (a, b), run in runs:
            clash = [r.text for (c, d), r in runs if r is not run and c <= b and a <= d]
            if clash:
                raise ExtractionError(
                    f"{where}: expected one header label over a column on each header line, found {run.text!r}"
                    f" and {clash[0]!r} on the line {line.text!r}"
                )
        assigned.append((line, runs))
        for (a, b), run in runs:
            for c in range(a, b + 1):
                labelled[c] = True
            if a == b:
                extents[a] = [min(extents[a][0], run.x0), max(extents[a][1], run.x1)]
    assigned.reverse()
    return assigned, extents


def _header_span(run: Run, extents: list[list[float]], labelled: list[bool], where: str) -> tuple[int, int]:
    """The columns (first, last) a header label is over: those it overlaps; the two beside the
    gap it is centred in when both are labelled below it; the one it is clearly nearer to."""
    over = [c for c, (a, b) in enumerate(extents) if min(b, run.x1) - max(a, run.x0) > 0]
    gap = next((c for c in range(len(extents) - 1) if extents[c][1] < run.middle < extents[c + 1][0]), None)
    if len(over) >= 2:
        return (over[0], over[-1])
    if gap is not None and labelled[gap] and labelled[gap + 1] and (not over or over[0] in (gap, gap + 1)):
        return (gap, gap + 1)
    if len(over) == 1:
        return (over[0], over[0])
    if gap is not None and _clearly_nearer(run, extents[gap], extents[gap + 1]) is not None:
        return (_clearly_nearer(run, extents[gap], extents[gap + 1]) + gap,) * 2
    raise ExtractionError(
        f"{where}: expected each header label of a table without column borders over a column,"
        f" found {run.text!r} (x {run.x0:.0f}-{run.x1:.0f}) over none: which column it names is ambiguous"
    )


def _group_levels(assigned: list, n_columns: int, where: str) -> list[list]:
    """Header lines grouped into levels: consecutive lines of column labels are one level, as
    are consecutive spanning lines with the same spans; spanning lines come above column labels."""
    levels: list[list] = []
    seen_column_line = False
    for line, runs in assigned:
        spans = tuple(sorted(span for span, _ in runs))
        spanning = any(a < b for a, b in spans)
        if spanning and seen_column_line:
            raise ExtractionError(
                f"{where}: expected spanning header labels of a table without column borders above its column"
                f" labels, found {line.text!r} spanning columns below a line of column labels"
            )
        if spanning:
            covered = {c for a, b in spans for c in range(a, b + 1)}
            if any(c not in covered for c in range(1, n_columns)):
                raise ExtractionError(
                    f"{where}: expected a spanning header of a table without column borders to reach over whole"
                    f" columns, found {line.text!r} leaving a column of numbers without a label at its level:"
                    f" how far it reaches is ambiguous"
                )
        same_level = levels and (
            (spanning and levels[-1][0][0] == spans) or (not spanning and levels[-1][0][0] is None))
        if same_level:
            levels[-1][1].append((line, runs))
        else:
            levels.append(((spans if spanning else None,), [(line, runs)]))
        seen_column_line = seen_column_line or not spanning
    return [lines for _, lines in levels]


def _clearly_nearer(run: Run, left: list[float], right: list[float]) -> int | None:
    """0 or 1 when a label in the gap between two columns lies within three text sizes of the
    ink of one of them (a centred label over narrow right-aligned numbers) and at least three
    times as far from the other; None otherwise."""
    to_left, to_right = run.x0 - left[1], right[0] - run.x1
    if to_right <= NEAR_COLUMN_RATIO * run.size and to_left >= NEAR_COLUMN_RATIO * to_right:
        return 1
    if to_left <= NEAR_COLUMN_RATIO * run.size and to_right >= NEAR_COLUMN_RATIO * to_left:
        return 0
    return None


def _rows(data: list[Line], border_ys: list[float], placed: dict, where: str) -> list[list[Line]]:
    """Data lines as rows: one row per band between borders, unless a band holds several labelled
    lines of numbers (borders around the body only); otherwise split at the larger line gaps."""
    inner = [y for y in border_ys if data[0].middle < y < data[-1].middle]
    if not inner and not border_ys:
        return _rows_by_gaps(data, placed, where)
    bands: dict[int, list[Line]] = {}
    for line in data:
        bands.setdefault(sum(1 for y in inner if y < line.middle), []).append(line)
    rows = []
    for band in bands.values():
        labelled_numbers = [ln for ln in band if _has_label(ln, placed) and any(r.has_number for r, _ in placed[ln])]
        rows.extend(_rows_by_gaps(band, placed, where) if len(labelled_numbers) > 1 else [band])
    return rows


def _has_label(line: Line, placed: dict) -> bool:
    return any(col == 0 and not run.has_number for run, col in placed[line])


def _rows_by_gaps(lines: list[Line], placed: dict, where: str) -> list[list[Line]]:
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:])]
    if not gaps:
        return [lines]
    low, high = min(gaps), max(gaps)
    if high - low <= LINE_GAP_TOLERANCE:
        for line in lines:
            if _has_label(line, placed) and not any(r.has_number for r, _ in placed[line]):
                raise ExtractionError(
                    f"{where}: expected each row label of a table without row borders beside its numbers, found"
                    f" {line.text!r} on a line of its own, as far from the row above as from the row below:"
                    f" a wrapped row label that could belong to either"
                )
        return [[line] for line in lines]
    rows = [[lines[0]]]
    for gap, line in zip(gaps, lines[1:]):
        if gap <= low + LINE_GAP_TOLERANCE:
            rows[-1].append(line)
        elif gap >= high - LINE_GAP_TOLERANCE:
            rows.append([line])
        else:
            raise ExtractionError(
                f"{where}: expected the lines of a table without row borders at a within-row gap ({low:.1f} pt)"
                f" or a between-row gap ({high:.1f} pt), found {gap:.1f} pt above {line.text!r}: where its"
                f" row starts is ambiguous"
            )
    return rows

"""Extractor for the OJJDP-NCMEC Transparency reports: every table, read cell by cell.

Each edition prints about twenty small tables (three calendar years side by side) wherever the
prose leaves room, so nothing here depends on page numbers or coordinates. A table is found from
what Word draws: every cell border is a thin filled rectangle, so the borders that touch each
other form one table's grid (a border drawn as one stroked path, which pdfplumber reports as a
curve, counts by its straight pieces). The grid gives the cells, including merged ones (a
missing border between two grid cells merges them); pdfplumber words are placed into the cell
holding their letters (`_ink_middle`).
`extract_tables()` defaults are not used: they split multi-line headers, wrapped labels and
numbers broken across lines in narrow cells. A table set without cell borders (horizontal rules
only, or no rules, its columns aligned under year labels; shaded header bands are no borders)
gets the same grid derived from where its words are (`pipeline.extract.ojjdp_text_grid`), or is
refused where that is ambiguous. A table neither way finds is not seen:
`pipeline.validate.ojjdp.check_tables_expected` fails the edition when a table the rules file
expects is missing.

How a table is read:
1. bands (grid rows) before the first band holding a number are the header; a first band that
   is one cell across the whole table is the title. A grid with no header is the rest of the
   table on the previous page when it is the first on its page, has no text printed above it
   (a caption paragraph there starts a new table; text repeated at the same height on other
   pages is page furniture and does not count) and is drawn with the same columns; so is one
   that repeats that table's whole header, title included (Word repeats header rows only from
   a table's first row). Otherwise a grid without header is refused, since nothing names its
   columns; so is such a continuation starting with a band holding text only in the row-label
   column (a row broken across the page break: which half the numbers belong to is a guess);
2. in the data bands the first cell is the row label when it holds text (tables such as the
   hash-sharing counts have no row labels); a number must lie under one column and on one row
   (a merged cell across two years or two rows is refused); a row label with no number beside
   it is refused (the other half of a row broken across pages, or numbers the reader cannot
   see);
3. a data cell holds one count, optionally a percent under it ("887,252" / "4.1%"), or several
   labelled counts ("Actionable: 491,655 Informational: 400,715 Total: 892,370", the labels are
   the rule's `cell_labels`); pieces of one
   number broken across lines ("24,768,90" / "3") are joined only when the pieces alone are not
   well-formed counts and the joined text is one (`pipeline.layout.join_count_pieces`);
4. footnote markers are split off into `footnote`: digits, commas and the symbols * † ‡ §
   printed smaller than the text they follow ("Unknown Location" + superscript "3", "27" +
   superscript "3,4"; not "1,234", a count), at under 0.8 of the cell's text size or, at 0.8-0.9
   of it, raised above the baseline of the word beside them; and * † ‡ printed at the text size
   at the end of a word ("CY 2024*", "51*"). A digit marker printed at the text size runs into
   the year ("CY 20229") and is refused;
5. the table id comes from the one rule in `pipeline/data/ojjdp_tables.csv` whose pattern
   matches the table's header text (title, row-label header, column headers); a table no rule
   matches is kept as `unknown_p{page}_{n}` (n counts tables down the page); two rules matching
   one table, or one rule matching two tables, is an error. Every column label of a recognised
   table must fully match the rule's `columns` pattern (a sub-column a new edition adds may
   count something else than the rule's measure).

Anything the reader cannot place (text among the numbers, two counts in one cell, an unknown
in-cell label, a rule matching two tables, a number with no year or two, a recognised table with
no number the reader accepts, a number-like word in a header) raises `ExtractionError`: never a
guessed number. Quirks it does correct (a misprinted in-cell label, only where the cell then adds
up) are listed in `OjjdpExtraction.notes`.

All wording that may change between editions (table titles, column headers naming a measure,
in-cell labels and their misprints, the column labels each table may print, the editions each
table is printed in) lives in the rules file, not here; years come from the printed labels,
never from the edition's own year.

Cell vocabulary, one dict per printed number (keys exactly as in `CELL_KEYS`):
  row_label, column_label  as printed, lines joined, whitespace normalised; a column under a
           spanning header is labelled top-down, levels joined by " | " ("CY 2021 | Total
           Images/Videos"); None where the table has no row labels.
  footnote the footnote markers split off the row and column labels and the number ("3", "9"),
           comma-joined.
  year     the calendar year the number describes: from the column header, else the row label
           (Appendix A), else the table title (identified victims, one table per year; there a
           column naming another year is refused). A label names a year as "CY yyyy",
           "Calendar Year yyyy" or as a bare year (a label, or a level of a spanning header,
           that is just "2022"); a label holding a year-like number any other way ("Jan-Jun
           2023") is refused, as is one naming two years ("CY 2023-2024") or column and row
           naming different ones; so is a number of a recognised table with no year at all.
  measure  what the number counts. Units (the table's `default_measure` in the rules file):
           reports, files, esps (newly registered ESPs), instances (feedback instances), hashes,
           signatures (PhotoDNA signatures), victims, series, reviews, count (tables no rule
           recognises). Kinds, from a column header (the rule's `column_measures`) or an in-cell
           label: total, unique (MD5-unique files), similar (visually similar files),
           actionable, informational. And `percent` for a printed percentage (value is None,
           percent holds the number).
  value    the count, exact; None for "-" and for percents.  percent: Decimal as printed.
  value_text  the number exactly as printed ("24,768,903" for the broken one, "-" for none).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path

from pipeline.extract import ExtractionError
from pipeline.layout import (
    NO_NUMBER,
    SUPERSCRIPT_RISE,
    TextLine,
    Word,
    group_lines,
    join_count_pieces,
    parse_count,
    path_pieces,
)

CELL_KEYS = ("edition", "table_id", "row_label", "footnote", "column_label", "year", "measure",
             "value", "percent", "value_text", "page")

# Word (2022 and 2023 editions) draws borders as filled rectangles 0.48 pt thick; shaded cell
# backgrounds are rectangles too, but many points thick, so thickness tells them apart.
MAX_RULE_THICKNESS = 2.0
# Word's heaviest border is 6 pt; a rectangle up to this thick and long enough is a border too.
MAX_HEAVY_RULE_THICKNESS = 6.5
# Borders of one cell are drawn as separate pieces with small gaps at the corners.
TOUCH_TOLERANCE = 2.0
# Superscript footnote markers are printed at 6.48 pt beside 11.04 pt text (both editions).
FOOTNOTE_SIZE_RATIO = 0.8
# A marker only a little smaller than the text (9 pt beside 11 pt) is one only when it is also
# raised (by `SUPERSCRIPT_RISE` of the text size) above the baseline of the word beside it.
RAISED_FOOTNOTE_SIZE_RATIO = 0.9
# A page whose content stream draws fewer rectangles and line segments than this cannot hold a
# ruled table (two rows by two columns already need 3 + 3 borders). Such a page is not parsed:
# nearly all of the extraction time is pdfminer interpreting pages.
MIN_SHAPES_FOR_A_TABLE = 6
# A table set with horizontal rules only needs two of them (`pipeline.extract.ojjdp_text_grid`);
# a table with no rules at all is looked for on every page.
MIN_SHAPES_FOR_A_RULED_TABLE = 2

COUNT = re.compile(r"^\d{1,3}(,\d{3})*$")
PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
NUMBERISH = re.compile(r"^[\d,.%]+$")
# A calendar year as the editions print it: "CY 2022" (headers, titles), "CY2022" (Appendix A);
# a later edition may spell it out ("Calendar Year 2022").
CY_YEAR = re.compile(r"\b(?:CY ?|Calendar Year )((?:19|20)\d\d)\b", re.IGNORECASE)
# A label (or one level of a spanning header) that is just a year: "2022".
BARE_YEAR = re.compile(r"(?:19|20)\d\d")
# Any year-like number: "CY 2023-2024" names 2024 too, though only 2023 follows "CY".
YEAR_LIKE = re.compile(r"(?<![\d,.])((?:19|20)\d\d)(?![\d,.%])")
# "CY 20229": a footnote digit printed at the text size runs into the year (2023 ed. p.15 prints
# it superscript, which is split off; a later edition may not).
GLUED_YEAR = re.compile(r"\b(?:CY ?|Calendar Year )\d{4}(?=[^\W_])", re.IGNORECASE)
# Footnote markers printed small: digits, commas ("3,4" cites two notes) and the symbols Word
# offers. After a comma a note number has one or two digits: a small "1,234" is a count (left
# to the number rules), never silently taken for notes 1 and 234.
FOOTNOTE_SYMBOLS = "*\u2020\u2021\u00a7"  # * † ‡ §
MARKER_TEXT = re.compile(rf"(?:\d+|[{FOOTNOTE_SYMBOLS}]+)(?:,\d{{1,2}}|,?[{FOOTNOTE_SYMBOLS}]+)*")
# At the text size only * † ‡ ending a word ("CY 2024*", "51*") or standing alone are markers;
# a digit there cannot be told from the number ("CY 20229"), a "§" may be a citation.
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
TRAILING_SUPERSCRIPT = re.compile(r"(.*?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
TRAILING_SYMBOLS = re.compile(r"(.*?)([*\u2020\u2021]+)")
# A word in a header that looks like a number ("0.3", "51", "4.1%"): header cells hold labels.
NUMBER_LIKE = re.compile(r"[\d,.%]*\d[\d,.%]*")


# --- plain data ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizedWord(Word):
    """A pdfplumber word with its font size, which is what tells a footnote marker apart."""

    size: float = 0.0


@dataclass(frozen=True)
class Rule:
    """One drawn border segment: horizontal at y=`at` from `start` to `end` in x, or vertical."""

    horizontal: bool
    at: float
    start: float
    end: float
    thickness: float = 0.0  # a heavy border meets the rules beside it at its edge, not its middle


@dataclass(frozen=True)
class Cell:
    """One cell of a table grid (merged cells already merged) and the words inside it."""

    x0: float
    top: float
    x1: float
    bottom: float
    row0: int  # first and last grid row the cell spans
    row1: int
    words: tuple[SizedWord, ...]

    @property
    def x_middle(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Grid:
    """A table as drawn on one page: its bands (grid rows) of cells, left to right."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    bands: tuple[tuple[Cell, ...], ...]
    # Text printed above the grid on its page (page furniture left out), set for the first grid
    # on a page only: a caption there means the grid is a table of its own, not a continuation.
    text_above: str = ""


@dataclass(frozen=True)
class CellText:
    """A cell's words read as text: lines joined as printed, footnote markers split off."""

    text: str
    footnotes: tuple[str, ...]
    tokens: tuple[str, ...]  # the words in reading order, markers left out
    # words printed smaller and raised that are no footnote marker the reader knows ("a")
    unknown_marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrintedValue:
    """One number as printed in a cell, with the in-cell label it follows, if any."""

    label: str | None  # lower-cased, without the colon
    text: str
    value: int | None
    percent: Decimal | None


@dataclass(frozen=True)
class TableRule:
    """One row of pipeline/data/ojjdp_tables.csv."""

    table_id: str
    pattern: re.Pattern
    default_measure: str
    column_measures: tuple[tuple[re.Pattern, str], ...]
    one_per_year: bool
    description: str
    # In-cell labels ("Actionable: 491,655"): printed label (lower case) -> measure. A table with
    # cell labels must label every number; a table without may not label any.
    cell_labels: tuple[tuple[str, str], ...] = ()
    # Misprinted labels read as the measure they stand for, only where the cell's labelled parts
    # then add up to its printed total; each is reported in `OjjdpExtraction.notes`.
    misprinted_cell_labels: tuple[tuple[str, str], ...] = ()
    # The editions printing the table: from `first_edition` to `last_edition` (None: still
    # printed). A table expected in an edition and not read from it fails the edition.
    first_edition: int = 0
    last_edition: int | None = None
    # Every column label of the table fully matches this (None: any label).
    columns: re.Pattern | None = None

    def expected_in(self, edition: int) -> bool:
        return self.first_edition <= edition and (self.last_edition is None or edition <= self.last_edition)

    @property
    def editions_text(self) -> str:
        return f"{self.first_edition}-{self.last_edition or ''}"


@dataclass(frozen=True)
class OjjdpExtraction:
    """Every printed number of one edition (`cells`), one entry per table found (`tables`),
    `notes` on source quirks the reader corrected (each names table, page, printed and read text)
    and the document's page count."""

    cells: list[dict]
    tables: list[dict]
    notes: list[dict] = field(default_factory=list)
    pages: int = 0
    page_texts: list[str] = field(default_factory=list)


# --- the rules file -----------------------------------------------------------------------------

def _label_map(text: str | None, where: str, column: str) -> tuple[tuple[str, str], ...]:
    """"Actionable=>actionable;Total=>total" as ((printed label lower case, measure), ...)."""
    pairs = []
    for item in (text or "").split(";"):
        if not item.strip():
            continue
        label, arrow, measure = item.partition("=>")
        label, measure = " ".join(label.split()).lower(), measure.strip()
        if not arrow or not re.fullmatch(r"[a-z][a-z ]*", label) or not re.fullmatch(r"[a-z_]+", measure):
            raise ValueError(f"{where}: expected {column} as Label=>measure;..., found {item.strip()!r}")
        pairs.append((label, measure))
    return tuple(pairs)


def parse_table_rules(text: str, source: str = "ojjdp_tables.csv") -> list[TableRule]:
    """Rules from the CSV text; malformed rows are a ValueError naming the line."""
    rules = []
    seen = set()
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        where = f"{source} line {line_no}"
        table_id = (row.get("table_id") or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", table_id) or table_id.startswith("unknown"):
            raise ValueError(f"{where}: expected a snake_case table_id, found {table_id!r}")
        if table_id in seen:
            raise ValueError(f"{where}: table_id {table_id!r} appears twice")
        seen.add(table_id)
        try:
            pattern = re.compile(row["pattern"], re.IGNORECASE)
            column_measures = tuple(
                (re.compile(item.split("=>")[0].strip(), re.IGNORECASE), item.split("=>")[1].strip())
                for item in (row.get("column_measures") or "").split(";") if item.strip()
            )
        except (re.error, IndexError) as err:
            raise ValueError(f"{where}: bad pattern or column_measures: {err}") from None
        one_per_year = (row.get("one_per_year") or "").strip().lower()
        if one_per_year not in ("true", "false"):
            raise ValueError(f"{where}: expected one_per_year true or false, found {one_per_year!r}")
        measure = (row.get("default_measure") or "").strip()
        if not measure:
            raise ValueError(f"{where}: default_measure is empty")
        cell_labels = _label_map(row.get("cell_labels"), where, "cell_labels")
        misprinted = _label_map(row.get("misprinted_cell_labels"), where, "misprinted_cell_labels")
        stray = [m for _, m in misprinted if m not in {m for _, m in cell_labels}]
        if stray:
            raise ValueError(f"{where}: misprinted_cell_labels must stand for a measure of cell_labels,"
                             f" found {', '.join(stray)}")
        first, last = _editions(row.get("editions"), where)
        columns_text = (row.get("columns") or "").strip()
        try:
            columns = re.compile(columns_text, re.IGNORECASE) if columns_text else None
        except re.error as err:
            raise ValueError(f"{where}: expected columns as a regular expression, found {columns_text!r}: {err}") \
                from None
        rules.append(TableRule(table_id, pattern, measure, column_measures, one_per_year == "true",
                               (row.get("description") or "").strip(), cell_labels, misprinted,
                               first, last, columns))
    return rules


def _editions(text: str | None, where: str) -> tuple[int, int | None]:
    """"2022-" (from the CY 2022 edition on) or "2022-2023" (those editions only)."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{4})?", text)
    if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
        raise ValueError(f"{where}: expected editions as yyyy- (from that edition on) or yyyy-yyyy"
                         f" (first to last edition printing the table), found {text!r}")
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def load_table_rules() -> list[TableRule]:
    text = resources.files("pipeline.data").joinpath("ojjdp_tables.csv").read_text(encoding="utf-8")
    return parse_table_rules(text)


# --- page -> rules -> grids ---------------------------------------------------------------------

def _is_border(thickness: float, length: float) -> bool:
    """A rectangle this thick and this long is a border piece (or a corner square): thin (Word's
    0.48 and 1.5 pt), or heavy (Word's 2 1/4 to 6 pt) and long or square; not a cell's shading,
    which is a cell's height thick. A heavy border read as shading loses the row or column it
    closes (a table's last row, its newest year)."""
    if thickness <= MAX_RULE_THICKNESS:
        return length >= thickness
    return thickness <= MAX_HEAVY_RULE_THICKNESS and (length >= 8 * thickness or abs(length - thickness) <= 0.5)


def rules_from_shapes(shapes: list[dict]) -> list[Rule]:
    """Thin rectangles and lines as border segments, collinear touching pieces joined.

    Word draws a border as one thin rectangle per cell side plus a small square at each corner
    (0.48 pt, or 1.5 pt for heavy borders: 2022 ed. p.18); a square is a piece of both the
    horizontal and the vertical border through it.
    """
    pieces = []
    for s in shapes:
        width, height = s["x1"] - s["x0"], s["bottom"] - s["top"]
        if _is_border(height, width):
            pieces.append(Rule(True, (s["top"] + s["bottom"]) / 2, s["x0"], s["x1"], height))
        if _is_border(width, height):
            pieces.append(Rule(False, (s["x0"] + s["x1"]) / 2, s["top"], s["bottom"], width))
    joined: list[Rule] = []
    for horizontal in (True, False):
        same_way = sorted((p for p in pieces if p.horizontal == horizontal), key=lambda p: p.at)
        lines: list[list[Rule]] = []
        for piece in same_way:  # pieces less than a border's thickness apart are one line
            if lines and piece.at - lines[-1][-1].at <= MAX_RULE_THICKNESS / 2:
                lines[-1].append(piece)
            else:
                lines.append([piece])
        for line in lines:
            at = sum(p.at for p in line) / len(line)
            spans: list[list[float]] = []
            for piece in sorted(line, key=lambda p: p.start):
                if spans and piece.start <= spans[-1][1] + TOUCH_TOLERANCE:
                    spans[-1][1] = max(spans[-1][1], piece.end)
                else:
                    spans.append([piece.start, piece.end])
            thickness = max(p.thickness for p in line)
            joined.extend(Rule(horizontal, at, a, b, thickness) for a, b in spans)
    return joined


def shapes_from_curves(curves: list[dict]) -> list[dict]:
    """Border pieces of pdfplumber curves, as zero-thickness shapes for `rules_from_shapes`.

    A table whose borders are drawn as one stroked path (not as rectangles or separate lines)
    comes out of pdfplumber as a curve; its straight horizontal and vertical pieces are its
    borders. A filled path without stroke counts by its box, like a filled rectangle: a thin one
    is a border, a thick one a shaded background. Neither edition draws any curve.
    """
    shapes = []
    for curve in curves:
        if curve.get("stroke"):
            for horizontal, at, start, end in path_pieces(curve.get("path") or []):
                shapes.append({"x0": start, "x1": end, "top": at, "bottom": at} if horizontal
                              else {"x0": at, "x1": at, "top": start, "bottom": end})
        elif curve.get("fill"):
            shapes.append({k: float(curve[k]) for k in ("x0", "x1", "top", "bottom")})
    return shapes


def _touch(h: Rule, v: Rule) -> bool:
    th, tv = TOUCH_TOLERANCE + v.thickness / 2, TOUCH_TOLERANCE + h.thickness / 2
    return h.start - th <= v.at <= h.end + th and v.start - tv <= h.at <= v.end + tv


def group_rules(rules: list[Rule]) -> list[list[Rule]]:
    """Rules that touch, directly or through others, as one group: one group per drawn table.

    Underlines and footnote separators touch nothing and are dropped (a table needs at least two
    horizontal and two vertical borders).
    """
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    horizontal = [i for i, r in enumerate(rules) if r.horizontal]
    vertical = [i for i, r in enumerate(rules) if not r.horizontal]
    for i in horizontal:
        for j in vertical:
            if _touch(rules[i], rules[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[Rule]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    tables = []
    for group in groups.values():
        if len(_positions([r.at for r in group if r.horizontal])) >= 2 and \
                len(_positions([r.at for r in group if not r.horizontal])) >= 2:
            tables.append(sorted(group, key=lambda r: (r.horizontal, r.at, r.start)))
    return sorted(tables, key=lambda g: (min(r.at for r in g if r.horizontal),
                                         min(r.at for r in g if not r.horizontal)))


def _positions(values: list[float]) -> list[float]:
    """Distinct border positions: values closer than the tolerance are one border."""
    clusters: list[list[float]] = []
    for v in sorted(values):
        if clusters and v - clusters[-1][-1] <= TOUCH_TOLERANCE:
            clusters[-1].append(v)
        else:
            clusters.append([v])
    return [sum(c) / len(c) for c in clusters]


def _has_border(rules: list[Rule], horizontal: bool, at: float, across: float) -> bool:
    t = TOUCH_TOLERANCE
    return any(r.horizontal == horizontal and abs(r.at - at) <= t and r.start - t <= across <= r.end + t
               for r in rules)


def build_grid(rules: list[Rule], words: list[SizedWord], *, page: int, source: str) -> Grid:
    """The cells of one table: grid cells with no border between them are one merged cell."""
    ys = _positions([r.at for r in rules if r.horizontal])
    xs = _positions([r.at for r in rules if not r.horizontal])
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = {(i, j): (i, j) for i in range(n_rows) for j in range(n_cols)}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for i in range(n_rows):
        y_mid = (ys[i] + ys[i + 1]) / 2
        for j in range(n_cols):
            x_mid = (xs[j] + xs[j + 1]) / 2
            if j + 1 < n_cols and not _has_border(rules, False, xs[j + 1], y_mid):
                parent[find((i, j + 1))] = find((i, j))
            if i + 1 < n_rows and not _has_border(rules, True, ys[i + 1], x_mid):
                parent[find((i + 1, j))] = find((i, j))
    members: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)

    cells = []
    for group in members.values():
        rows = [i for i, _ in group]
        cols = [j for _, j in group]
        if len(group) != (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1):
            raise ExtractionError(
                f"{source}, page {page}: expected rectangular table cells, found a merged cell shaped"
                f" like an L at x={xs[min(cols)]:.0f}, y={ys[min(rows)]:.0f}; cannot tell which cell is which"
            )
        x0, x1, top, bottom = xs[min(cols)], xs[max(cols) + 1], ys[min(rows)], ys[max(rows) + 1]
        inside = tuple(w for w in words if x0 < (w.x0 + w.x1) / 2 < x1 and top < _ink_middle(w) < bottom)
        cells.append(Cell(x0, top, x1, bottom, min(rows), max(rows), inside))
    bands = tuple(
        tuple(sorted((c for c in cells if c.row0 <= i <= c.row1), key=lambda c: c.x0)) for i in range(n_rows)
    )
    _refuse_text_outside_the_cells(rules, words, (xs[0], ys[0], xs[-1], ys[-1]), page=page, source=source)
    return Grid(page, xs[0], ys[0], xs[-1], ys[-1], bands)


def _refuse_text_outside_the_cells(rules: list[Rule], words: list[SizedWord], cells: tuple[float, ...], *,
                                   page: int, source: str) -> None:
    """Text within a table's drawn lines but outside its cells: the vertical borders run on below
    the last row rule (a bottom border not drawn, or too heavy to read), or the row rules past
    the last column border. That row or column would be dropped without a word."""
    x0, top, x1, bottom = cells
    reach_x0 = min(r.start for r in rules if r.horizontal)
    reach_x1 = max(r.end for r in rules if r.horizontal)
    reach_top = min(r.start for r in rules if not r.horizontal)
    reach_bottom = max(r.end for r in rules if not r.horizontal)
    for word in words:
        x, y = (word.x0 + word.x1) / 2, _ink_middle(word)
        within_lines = reach_x0 < x < reach_x1 and reach_top < y < reach_bottom
        in_cells = x0 < x < x1 and top < y < bottom
        if within_lines and not in_cells:
            raise ExtractionError(
                f"{source}, page {page}: expected every word within a table's lines inside one of its cells,"
                f" found {word.text!r} at x={word.x0:.0f}, y={word.top:.0f} outside the cells (x {x0:.0f}-{x1:.0f},"
                f" y {top:.0f}-{bottom:.0f}): a border not drawn, or drawn in a way the reader does not know"
            )


def _ink_middle(word: Word) -> float:
    """Where a word's letters are, vertically: pdfplumber's box runs from the font's ascent to
    its descent, and digits and capitals sit in the upper part. Header text can overflow its
    cell: 2022 ed. p.7, the last header line "Technology" of the CY 2020 visually-similar column
    straddles the border above the first data row, with its box's middle just below the border."""
    return word.top + 0.4 * (word.bottom - word.top)


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


# --- cell -> text / values ----------------------------------------------------------------------

def _join_lines(lines: list[str]) -> str:
    """Lines of one cell as one string: a line ending in '/' or '-' runs on without a space
    ("Images/" + "Videos", "Total Local/State/" + "ICAC Agencies", "Hash-" + "Sharing")."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif text.endswith(("/", "-")):
            text += line
        else:
            text += " " + line
    return " ".join(text.split())


def read_text(cell: Cell) -> CellText:
    """The words of a cell as text, with footnote markers split off (in reading order).

    A marker is a word of digits, commas and * † ‡ § printed small (`is_footnote_marker`), or
    * † ‡ at the text size ending a word ("CY 2024*", "51*") or on their own."""
    if not cell.words:
        return CellText("", (), ())
    body_size = max(w.size for w in cell.words)
    body: list[SizedWord] = []
    footnotes: list[str] = []
    unknown: list[str] = []
    for word in cell.words:
        if is_footnote_marker(word, cell.words, body_size):
            footnotes.append(word.text)
            continue
        if _raised_small(word, cell.words, body_size):
            unknown.append(word.text)
            continue
        superscript = TRAILING_SUPERSCRIPT.fullmatch(word.text)
        if superscript:  # "Generative AI¹": superscript digits as characters of the font
            footnotes.append(superscript.group(2).translate(SUPERSCRIPT_DIGITS))
            if not superscript.group(1):
                continue
            word = replace(word, text=superscript.group(1))
        symbols = TRAILING_SYMBOLS.fullmatch(word.text)
        if symbols:
            footnotes.append(symbols.group(2))
            if not symbols.group(1):
                continue
            word = replace(word, text=symbols.group(1))
        body.append(word)
    lines: list[TextLine] = group_lines(body)
    tokens = tuple(w.text for line in lines for w in line.words)
    return CellText(_join_lines([line.text for line in lines]), tuple(footnotes), tokens, tuple(unknown))


def _raised_small(word: SizedWord, words: tuple[SizedWord, ...], body_size: float) -> bool:
    """A word printed smaller than the cell's text and raised above the baseline of the word
    beside it: a superscript, whatever it says."""
    if not word.size or word.size >= RAISED_FOOTNOTE_SIZE_RATIO * body_size:
        return False
    beside = [w for w in words if w.size >= RAISED_FOOTNOTE_SIZE_RATIO * body_size
              and w.top < word.bottom and word.top < w.bottom
              and min(abs(word.x0 - w.x1), abs(w.x0 - word.x1)) <= body_size]
    if not beside:
        return False
    nearest = min(beside, key=lambda w: min(abs(word.x0 - w.x1), abs(w.x0 - word.x1)))
    return word.bottom < nearest.bottom - SUPERSCRIPT_RISE * nearest.size


def is_footnote_marker(word: SizedWord, words: tuple[SizedWord, ...], body_size: float) -> bool:
    """Digits, commas and * † ‡ § printed smaller than the cell's text: under 0.8 of its size
    ("3" and "3,4" at 6.48 pt beside 11.04 pt, both editions), or at 0.8-0.9 of it and raised
    above the baseline of the word beside it (9 pt beside 11 pt; printed on the baseline it may
    be a number in a smaller font, and is left to the number rules)."""
    if not word.size or not MARKER_TEXT.fullmatch(word.text):
        return False
    return word.size < FOOTNOTE_SIZE_RATIO * body_size or _raised_small(word, words, body_size)


def read_values(cell: CellText) -> list[PrintedValue] | None:
    """The numbers a cell prints, or None when the cell is text (a label or header).

    A cell that is just a year ("2022") is a label: NCMEC prints counts of four digits or more
    with thousands commas, so a bare year is a column or row header naming its year.
    Raises ValueError when the cell is numbers but not readable as one value per label.
    """
    if not cell.tokens or (len(cell.tokens) == 1 and BARE_YEAR.fullmatch(cell.tokens[0])):
        return None
    groups: list[tuple[str | None, list[str]]] = []
    pending_label: list[str] = []
    for token in cell.tokens:
        if NUMBERISH.match(token) or token in NO_NUMBER:
            if pending_label:
                return None  # words not ending in ':' before a number: this is text
            if not groups:
                groups.append((None, []))
            groups[-1][1].append(token)
        elif re.fullmatch(r"[A-Za-z][A-Za-z ]*:?", token):
            pending_label.append(token)
            if token.endswith(":"):
                groups.append((" ".join(pending_label)[:-1].lower(), []))
                pending_label = []
        else:
            return None
    if pending_label or not any(pieces for _, pieces in groups):
        return None
    values = []
    for label, pieces in groups:
        if not pieces:
            raise ValueError(f"label {label!r}: found no number after it")
        values.extend(_group_values(label, pieces))
    return values


def _group_values(label: str | None, pieces: list[str]) -> list[PrintedValue]:
    if any(p in NO_NUMBER for p in pieces):
        if len(pieces) != 1:
            raise ValueError(f"a dash among numbers: {' | '.join(pieces)}")
        return [PrintedValue(label, pieces[0], None, None)]
    percent_pieces = [p for p in pieces if "%" in p or "." in p]
    count_pieces = [p for p in pieces if p not in percent_pieces]
    values = []
    if count_pieces:
        text = join_count_pieces(count_pieces)
        if not COUNT.match(text):
            raise ValueError(f"not a count as printed: {text!r}")
        values.append(PrintedValue(label, text, parse_count(text), None))
    if percent_pieces:
        text = "".join(percent_pieces)
        match = PERCENT.match(text)
        if not match or label is not None:
            raise ValueError(f"not a percent as printed: {text!r}")
        values.append(PrintedValue(label, text, None, Decimal(match.group(1))))
    return values


# --- grid -> cells ------------------------------------------------------------------------------

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


def read_table(grids: list[Grid], *, source: str) -> ReadTable:
    """Header, row labels and numbers of one table (one grid, or several across pages)."""
    first = grids[0]
    texts = {c: read_text(c) for g in grids for band in g.bands for c in band}
    for grid in grids:
        for cell in _unique(c for band in grid.bands for c in band):
            if texts[cell].unknown_marks:
                raise ExtractionError(
                    f"{_where(source, grid.page)}: expected footnote markers of digits or * \u2020 \u2021 \u00a7,"
                    f" found {texts[cell].unknown_marks[0]!r} printed small and raised in {texts[cell].text!r}"
                )
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

    # (grid, band index) of every data band; a continuation's repeated header is skipped
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
    caption = title or stub_header or header_text
    column_bands = [[c for c in band if c not in stub_cells] for band in header_bands]
    # A number in a title is words ("Top 5 ESPs"); one in a column header is a band of numbers
    # the reader could not read, taken for header (see `_check_table_is_read`).
    header_numbers = tuple((texts[c].text, token) for c in header_cells
                           for token in texts[c].tokens if _is_number_like(token))

    entries = []
    emitted: set[Cell] = set()
    previous_label: tuple[str | None, tuple[str, ...]] = (None, ())
    for grid, band_index in data_bands:
        page = grid.page
        where = f"{_where(source, page)}: in the table {caption[:60]!r}"
        cells = list(grid.bands[band_index])
        label, label_notes = None, ()
        if has_stub:
            stub_text = texts[cells[0]]
            if stub_text.text and _safe_values(stub_text) is not None:
                # A table with row labels whose label column holds a number here (a table
                # without row labels that gained a labelled row): the number is no label.
                raise ExtractionError(
                    f"{where}: expected a row label in the first column of every row, found the number"
                    f" {stub_text.text!r} there"
                )
            label, label_notes = stub_text.text or None, stub_text.footnotes
            _refuse_number_in_label(stub_text, where)
            cells = cells[1:]
            if label is not None and not any(_safe_values(texts[c]) is not None or texts[c].text for c in cells):
                # Word breaks a row across pages with "Allow row to break across pages" (its
                # default): one half of the label then stands alone, the numbers on the other.
                raise ExtractionError(
                    f"{where}: expected numbers in the row {label!r}, found none beside its label (a row"
                    f" broken across a page break, or numbers the reader cannot see)"
                )
        for cell in cells:
            if cell in emitted:
                continue
            content = texts[cell]
            try:
                values = read_values(content)
            except ValueError as err:
                raise ExtractionError(
                    f"{where}, row {label!r}: expected one number per label in a cell, found"
                    f" {content.text!r} ({err})"
                ) from None
            if values is None:
                if content.text:
                    raise ExtractionError(
                        f"{where}, row {label!r}: expected numbers right of the row label, found text"
                        f" {content.text!r}"
                    )
                continue
            if has_stub and label is None:
                # A percent row printed under its count row with an empty label cell belongs to
                # the row above; anything else without a label cannot be placed.
                if all(v.percent is not None for v in values) and previous_label[0] is not None:
                    label, label_notes = previous_label
                else:
                    raise ExtractionError(
                        f"{where}: expected a row label left of {content.text!r}, found an empty label cell"
                    )
            if has_stub and cell.row1 > cell.row0:
                labels = _unique(texts[grid.bands[i][0]].text for i in range(cell.row0, cell.row1 + 1))
                if len(labels) > 1:
                    raise ExtractionError(
                        f"{where}: expected each number on one row, found {content.text!r} in a cell spanning"
                        f" the rows {', '.join(map(repr, labels))}"
                    )
            for band in column_bands:
                under = [c for c in band if min(c.x1, cell.x1) - max(c.x0, cell.x0) > TOUCH_TOLERANCE]
                if len(under) > 1:
                    raise ExtractionError(
                        f"{where}, row {label!r}: expected each number under one column, found"
                        f" {content.text!r} in a cell spanning the columns"
                        f" {', '.join(repr(texts[c].text) for c in under)}"
                    )
            emitted.add(cell)
            column_cells = [c for c in header_cells if c.x0 <= cell.x_middle <= c.x1 and c not in stub_cells]
            column_texts = [texts[c] for c in column_cells if texts[c].text]
            column_label = " | ".join(t.text for t in column_texts) or None
            # markers printed small after the number itself are kept too (none in 2022 or 2023)
            footnotes = tuple(label_notes) + tuple(m for t in column_texts for m in t.footnotes) + content.footnotes
            for value in values:
                entries.append({
                    "row_label": label, "footnote": ",".join(footnotes) or None,
                    "column_label": column_label, "printed": value, "page": page, "cell": len(emitted),
                })
        if label is not None:
            previous_label = (label, label_notes)
    return ReadTable(first.page, header_text, caption, title, tuple(entries), header_numbers)


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


def _safe_values(text: CellText) -> list[PrintedValue] | None:
    try:
        return read_values(text)
    except ValueError:
        return [PrintedValue(None, text.text, None, None)]  # numbers, if unreadable ones


def _unique(cells) -> list[Cell]:
    """Cells in first-seen order, each once (a cell spanning two bands appears in both)."""
    return list(dict.fromkeys(cells))


def years_in(text: str | None) -> set[int]:
    """The calendar years a label names: every year-like number in it ("CY 2023-2024" names 2023
    and 2024) when it names a year the way a calendar year is printed: "CY yyyy", "Calendar Year
    yyyy", or a label (one level of a spanning header: "2022 | Instances") that is just a year.

    A year-like number printed any other way ("Jan-Jun 2023", "FY 2023") is a ValueError: it may
    be a half-year, a fiscal year or no year at all, and must never give way to the title's year.
    So is a year with a character glued to it ("CY 20229", a footnote marker printed at the text
    size): the year cannot be told apart from the marker."""
    text = text or ""
    glued = GLUED_YEAR.search(text)
    if glued:
        raise ValueError(f"a year run together with what follows it in {text!r} (a footnote marker"
                         " printed at the text size?)")
    years = {int(y) for y in YEAR_LIKE.findall(text)}
    if not years or CY_YEAR.search(text) or any(BARE_YEAR.fullmatch(level.strip()) for level in text.split(" | ")):
        return years
    raise ValueError(f"a year-like number not printed as \"CY yyyy\", \"Calendar Year yyyy\" or a bare year in"
                     f" {text!r} (a part of a year, or another kind of year?)")


def year_of(entry: dict, title: str, rule: TableRule | None, *, where: str) -> int | None:
    """The calendar year of one number: from its column header, else its row label, else the
    table's title; never from the edition's own year. A label naming two years, a column and row
    naming different years, or (one table per year) a column naming another year than the title
    cannot be resolved: ExtractionError. A recognised table's number without a year too. The
    title is read only where its year is used."""
    what = f"{entry['printed'].text} (row {entry['row_label']!r}, column {entry['column_label']!r})"

    def years(name: str, text: str | None) -> set[int]:
        try:
            return years_in(text)
        except ValueError as err:
            raise ExtractionError(f"{where}: expected the calendar year of {what} in its {name}, found {err}") \
                from None

    column, row = years("column header", entry["column_label"]), years("row label", entry["row_label"])
    for name, found in (("column header", column), ("row label", row)):
        if len(found) > 1:
            raise ExtractionError(
                f"{where}: expected one calendar year in the {name} of {what}, found {sorted(found)}")
    if column and row and column != row:
        raise ExtractionError(
            f"{where}: expected the column header and row label of {what} to name the same year,"
            f" found {column.pop()} and {row.pop()}")
    year = next(iter(column or row), None)
    per_year_table = rule is not None and rule.one_per_year
    if per_year_table or year is None:
        titled = years("table's title", title)
        title_year = titled.pop() if len(titled) == 1 else None
        if per_year_table and year is not None and year != title_year:
            raise ExtractionError(
                f"{where}: expected {what} in the table titled {title!r} to be for CY {title_year},"
                f" found CY {year}")
        year = title_year
    if year is None and rule is not None:
        raise ExtractionError(
            f"{where}: expected the calendar year of {what} in {rule.table_id} in its column header"
            f" (\"CY yyyy\"), row label or the table's title, found none")
    return year


def match_rule(header_text: str, rules: list[TableRule], *, where: str) -> TableRule | None:
    """The one rule whose pattern matches the header text, None if none does.

    Two matching rules mean the rules file is ambiguous: an error, never a coin toss.
    """
    matching = [r for r in rules if r.pattern.search(header_text)]
    if len(matching) > 1:
        raise ExtractionError(
            f"{where}: expected one rule in ojjdp_tables.csv to match the table {header_text[:80]!r},"
            f" found {len(matching)}: {', '.join(r.table_id for r in matching)}"
        )
    return matching[0] if matching else None


def measure_of(value: PrintedValue, column_label: str | None, rule: TableRule | None, *,
               where: str) -> tuple[str, str | None]:
    """The measure a number gives, and a note when a misprinted label had to be read.

    In-cell labels are the rule's (`cell_labels` in the rules file): a table whose rule lists
    them must label every count, a table whose rule lists none (or no rule) may label none."""
    if value.percent is not None:
        return "percent", None
    labels, misprints = (dict(rule.cell_labels), dict(rule.misprinted_cell_labels)) if rule else ({}, {})
    if value.label is not None:
        if value.label in labels:
            return labels[value.label], None
        if value.label in misprints:
            meant = misprints[value.label]
            return meant, f"printed label {value.label.title()!r}: read as {meant!r} (misprint)"
        known = ", ".join(repr(k.title() + ":") for k in labels) or "none"
        raise ExtractionError(
            f"{where}: expected an in-cell label of {rule.table_id if rule else 'a table no rule recognises'}"
            f" ({known}), found {value.label!r} before {value.text}"
        )
    if labels:
        raise ExtractionError(
            f"{where}: expected an in-cell label of {rule.table_id} ({', '.join(k.title() + ':' for k in labels)})"
            f" before {value.text}, found none"
        )
    if rule is None:
        return "count", None
    if rule.column_measures:
        measures = sorted({m for pattern, m in rule.column_measures if pattern.search(column_label or "")})
        if len(measures) != 1:
            raise ExtractionError(
                f"{where}: expected the column header of {value.text} in {rule.table_id} to name one measure"
                f" ({'; '.join(f'{p.pattern} => {m}' for p, m in rule.column_measures)}),"
                f" found {column_label!r} naming {', '.join(measures) or 'none'}"
            )
        return measures[0], None
    return rule.default_measure, None


def _check_misprint_adds_up(cell_values: list[dict], note_cell: dict, *, where: str) -> None:
    """A misprinted label is read as the label it stands for only where the cell then holds each
    measure once and its parts add up to its printed total (2022 ed. p.8 and 2023 ed. p.9:
    916,064 + 590,383 = 1,506,447); otherwise it may be a label with a meaning of its own."""
    measures = [c["measure"] for c in cell_values]
    totals = [c for c in cell_values if c["measure"] == "total"]
    parts = [c for c in cell_values if c["measure"] != "total"]
    adds_up = (len(set(measures)) == len(measures) and len(totals) == 1 and parts
               and all(c["value"] is not None for c in cell_values)
               and sum(c["value"] for c in parts) == totals[0]["value"])
    if not adds_up:
        printed = "; ".join(f"{c['measure']} {c['value_text']}" for c in cell_values)
        raise ExtractionError(
            f"{where}: row {note_cell['row_label']!r}, column {note_cell['column_label']!r}: expected the"
            f" cell's parts to add up to its total where a misprint is read ({note_cell['note']}), found {printed}"
        )


def _reads_like_counts(text: str) -> bool:
    """Header text holding what can only be counts: a number with a thousands comma or a decimal
    point ("36,948", "0.3 million"), or two numbers in a row ("51 27 30"). A new table's header
    may hold small numbers as words ("Top 5 ESPs", "Ages 12 to 17"): in a table no rule knows,
    those are published, not refused (a rule's table is held to years only)."""
    tokens = [t.strip("()[]:;") for t in text.split()]
    numbers = [_is_number_like(t) for t in tokens]
    return (any(n and ("," in t.strip(",.") or "." in t.strip(",.")) for n, t in zip(numbers, tokens))
            or any(a and b for a, b in zip(numbers, numbers[1:])))


def _check_table_is_read(table: ReadTable, rule: TableRule | None, table_id: str, *, where: str) -> None:
    """A number-like word in a header means a band of numbers the reader could not read was
    taken for header (its "0.3 million" became a column label); a recognised table with no
    number is one whose every band was. An unrecognised table with no number band is left
    alone: a bordered text box whose prose holds numbers is no table of counts."""
    suspicious = table.header_numbers if rule is not None else [
        (text, token) for text, token in table.header_numbers if _reads_like_counts(text)]
    if suspicious and (rule is not None or table.entries):
        text, token = suspicious[0]
        raise ExtractionError(
            f"{where}: expected the header of {table_id} ({table.caption[:60]!r}) to hold labels and years,"
            f" found the number {token!r} in the header cell {text!r} (a band of numbers the reader cannot"
            f" read, such as \"0.3 million\" or \"51 27 30\" in one cell, taken for header?)"
        )
    if rule is not None and not table.entries:
        raise ExtractionError(
            f"{where}: expected numbers in {table_id} ({table.caption[:60]!r}), found no band the reader"
            f" reads as numbers: every band was taken for header ({table.header_text[:120]!r})"
        )


def tables_to_cells(read_tables: list[ReadTable], rules: list[TableRule], *, edition: int,
                    source: str) -> OjjdpExtraction:
    """Table ids, years and measures for every number read; the table list and notes."""
    cells, tables, notes = [], [], []
    per_page: Counter = Counter()
    ids_seen: dict[str, list[int | None]] = {}
    for table in read_tables:
        per_page[table.page] += 1
        where = _where(source, table.page)
        rule = match_rule(table.header_text, rules, where=where)
        table_id = rule.table_id if rule else f"unknown_p{table.page}_{per_page[table.page]}"
        if rule is not None:
            years_before = ids_seen.setdefault(table_id, [])
            if years_before and not rule.one_per_year:
                raise ExtractionError(
                    f"{where}: expected one table matching {table_id}, found another one"
                    f" ({table.caption[:60]!r}); the rule's pattern is too loose"
                )
            title_year = None
            if rule.one_per_year:
                try:
                    title_years = years_in(table.title)
                except ValueError as err:
                    raise ExtractionError(f"{where}: expected the title of {table_id} to name its year, found {err}") \
                        from None
                title_year = title_years.pop() if len(title_years) == 1 else None
                if title_year is None or title_year in years_before:
                    raise ExtractionError(
                        f"{where}: expected {table_id} tables each titled with a distinct year,"
                        f" found {table.title!r}"
                    )
            years_before.append(title_year)
        _check_table_is_read(table, rule, table_id, where=where)
        table_cells: list[dict] = []
        by_cell: dict[int, list[dict]] = {}
        for entry in table.entries:
            value: PrintedValue = entry["printed"]
            cell_where = f"{_where(source, entry['page'])}: {table_id}"
            if rule is not None and rule.columns is not None and \
                    not rule.columns.fullmatch(entry["column_label"] or ""):
                raise ExtractionError(
                    f"{cell_where}, row {entry['row_label']!r}: expected every column label of {table_id} to"
                    f" match the pattern {rule.columns.pattern} (the rule's columns in ojjdp_tables.csv), found"
                    f" {entry['column_label']!r} over {value.text}: a column the rule does not know may"
                    f" count something else than {rule.default_measure}"
                )
            year = year_of(entry, table.title, rule, where=cell_where)
            measure, note = measure_of(value, entry["column_label"], rule,
                                       where=f"{cell_where}, row {entry['row_label']!r},"
                                             f" column {entry['column_label']!r}")
            cell = {
                "edition": edition, "table_id": table_id, "row_label": entry["row_label"],
                "footnote": entry["footnote"], "column_label": entry["column_label"], "year": year,
                "measure": measure, "value": value.value, "percent": value.percent,
                "value_text": value.text, "page": entry["page"],
            }
            table_cells.append(cell)
            by_cell.setdefault(entry.get("cell", id(entry)), []).append(cell)
            if note:
                notes.append({"table_id": table_id, "page": entry["page"], "row_label": entry["row_label"],
                              "column_label": entry["column_label"], "year": year, "measure": measure,
                              "value_text": value.text, "note": note, "_cell": entry.get("cell", id(entry))})
        for note in [n for n in notes if "_cell" in n]:
            _check_misprint_adds_up(by_cell[note["_cell"]], note, where=f"{_where(source, note['page'])}: {table_id}")
            del note["_cell"]
        cells.extend(table_cells)
        tables.append({"table_id": table_id, "page": table.page, "caption": table.caption,
                       "n_cells": len(table_cells), "recognised": rule is not None})

    keys = Counter((c["table_id"], c["row_label"], c["column_label"], c["year"], c["measure"]) for c in cells)
    repeated = [c for c in cells if keys[(c["table_id"], c["row_label"], c["column_label"], c["year"],
                                          c["measure"])] > 1]
    if repeated:
        first = repeated[0]
        raise ExtractionError(
            f"{_where(source, first['page'])}: expected each (table, row, column, year, measure) once, found"
            f" {len(repeated)} numbers sharing one, e.g. {first['table_id']}, row {first['row_label']!r},"
            f" column {first['column_label']!r}, CY {first['year']}, {first['measure']}: "
            + ", ".join(c["value_text"] for c in repeated[:4])
        )
    return OjjdpExtraction(cells, tables, notes)


# --- the PDF edge ---------------------------------------------------------------------------------

def _sized_words(page) -> list[SizedWord]:
    return rejoin_split_words([
        SizedWord(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]),
                  float(w["size"]))
        for w in page.words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    ])


def rejoin_split_words(words: list[SizedWord]) -> list[SizedWord]:
    """Words that touch (no gap at all) on the same line in the same size are one word.

    Word sometimes prints stray space characters on top of letters: 2022 ed. p.8, CY 2022 ICAC
    cell, where "Informational:" comes out of pdfplumber as "I", "n", "formational:". A real
    space leaves a gap of a few points; these pieces touch. A smaller footnote digit right after
    a word is not joined (its size differs).
    """
    out: list[SizedWord] = []
    for word in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        last = out[-1] if out else None
        if (last is not None and abs(last.top - word.top) < 0.5 and abs(last.size - word.size) < 0.01
                and -1.0 < word.x0 - last.x1 < 0.1):
            out[-1] = SizedWord(last.text + word.text, last.x0, word.x1, last.top, max(last.bottom, word.bottom),
                                last.size)
        else:
            out.append(word)
    return out


def page_grids(page, number: int, source: str) -> tuple[list[Grid], list[SizedWord]]:
    """The table grids of one page, top to bottom (drawn border grids, and grids derived from the
    text where no border is drawn), and the page's words. Shared with `explain`, which draws them."""
    from pipeline.extract.ojjdp_text_grid import derived_grids

    shapes = page.drawn_operator_count()  # 're' and 'l' operators, counted without parsing
    rules = rules_from_shapes(page.rects + page.lines + shapes_from_curves(page.curves)) \
        if shapes >= MIN_SHAPES_FOR_A_RULED_TABLE else []
    groups = group_rules(rules) if shapes >= MIN_SHAPES_FOR_A_TABLE else []
    words = _sized_words(page)
    drawn = [build_grid(group, words, page=number, source=source) for group in groups]
    derived = derived_grids(words, rules, drawn, page=number, source=source)
    return (sorted(drawn + derived, key=lambda g: (g.top, g.x0)) if derived else drawn), words


def extract_ojjdp(pdf_path, *, edition: int, with_page_texts: bool = False) -> OjjdpExtraction:
    """Every number in every table of one OJJDP-NCMEC Transparency edition.

    `with_page_texts` also returns each page's plain text (for the field catalog's mention
    search): reading it from pages already parsed here costs far less than a second pass.
    """
    from pipeline.pages import open_pages

    source = Path(pdf_path).name
    grids: list[Grid] = []
    page_texts: list[str] = []
    lines_by_page: dict[int, list[TextLine]] = {}
    page_count = 0
    for page in open_pages(pdf_path):
        number = page_count = page.number
        found, words = page_grids(page, number, source)
        if found:
            lines_by_page[number] = group_lines(words)
            grids.extend(found)
        if with_page_texts:
            page_texts.append(page.text)
    grids = text_above_first_grids(grids, lines_by_page)
    read = [read_table(grids_of_table, source=source)
            for grids_of_table in continue_across_pages(grids, source=source)]
    if not read:
        raise ExtractionError(f"{source}: expected tables (ruled, or aligned under year labels), found none"
                              f" on any of its {page_count} pages")
    result = tables_to_cells(read, load_table_rules(), edition=edition, source=source)
    return replace(result, pages=page_count, page_texts=page_texts)

"""The border-grid toolkit: a table as drawn, from its border segments to its cells.

Word (and most PDF producers) draw each cell border as a thin filled rectangle or a line; the
borders that touch each other form one table's grid, and a border missing between two grid
cells merges them. Pure functions over shapes and words (pdfplumber's dicts, `SizedWord`s), so
they are tested on synthetic inputs; the OJJDP reader (`pipeline.extract.ojjdp`) and the grids
derived from the text (`pipeline.extract.ojjdp_text_grid`) build on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract import ExtractionError
from pipeline.layout import Word, path_pieces


# Word (2022 and 2023 editions) draws borders as filled rectangles 0.48 pt thick; shaded cell
# backgrounds are rectangles too, but many points thick, so thickness tells them apart.
MAX_BORDER_THICKNESS = 2.0
# Word's heaviest border is 6 pt; a rectangle up to this thick and long enough is a border too.
MAX_HEAVY_BORDER_THICKNESS = 6.5
# Borders of one cell are drawn as separate pieces with small gaps at the corners.
TOUCH_TOLERANCE = 2.0


@dataclass(frozen=True)
class SizedWord(Word):
    """A pdfplumber word with its font size, which is what tells a footnote marker apart."""

    size: float = 0.0


@dataclass(frozen=True)
class Border:
    """One drawn border segment: horizontal at y=`at` from `start` to `end` in x, or vertical."""

    horizontal: bool
    at: float
    start: float
    end: float
    thickness: float = 0.0  # a heavy border meets the borders beside it at its edge, not its middle


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


def _is_border(thickness: float, length: float) -> bool:
    """A rectangle this thick and this long is a border piece (or a corner square): thin (Word's
    0.48 and 1.5 pt), or heavy (Word's 2 1/4 to 6 pt) and long or square; not a cell's shading,
    which is a cell's height thick. A heavy border read as shading loses the row or column it
    closes (a table's last row, its newest year)."""
    if thickness <= MAX_BORDER_THICKNESS:
        return length >= thickness
    return thickness <= MAX_HEAVY_BORDER_THICKNESS and (length >= 8 * thickness or abs(length - thickness) <= 0.5)


def borders_from_shapes(shapes: list[dict]) -> list[Border]:
    """Thin rectangles and lines as border segments, collinear touching pieces joined.

    Word draws a border as one thin rectangle per cell side plus a small square at each corner
    (0.48 pt, or 1.5 pt for heavy borders: 2022 ed. p.18); a square is a piece of both the
    horizontal and the vertical border through it.
    """
    pieces = []
    for s in shapes:
        width, height = s["x1"] - s["x0"], s["bottom"] - s["top"]
        if _is_border(height, width):
            pieces.append(Border(True, (s["top"] + s["bottom"]) / 2, s["x0"], s["x1"], height))
        if _is_border(width, height):
            pieces.append(Border(False, (s["x0"] + s["x1"]) / 2, s["top"], s["bottom"], width))
    joined: list[Border] = []
    for horizontal in (True, False):
        same_way = sorted((p for p in pieces if p.horizontal == horizontal), key=lambda p: p.at)
        lines: list[list[Border]] = []
        for piece in same_way:  # pieces less than a border's thickness apart are one line
            if lines and piece.at - lines[-1][-1].at <= MAX_BORDER_THICKNESS / 2:
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
            joined.extend(Border(horizontal, at, a, b, thickness) for a, b in spans)
    return joined


def shapes_from_curves(curves: list[dict]) -> list[dict]:
    """Border pieces of pdfplumber curves, as zero-thickness shapes for `borders_from_shapes`.

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


def _touch(h: Border, v: Border) -> bool:
    th, tv = TOUCH_TOLERANCE + v.thickness / 2, TOUCH_TOLERANCE + h.thickness / 2
    return h.start - th <= v.at <= h.end + th and v.start - tv <= h.at <= v.end + tv


def group_borders(borders: list[Border]) -> list[list[Border]]:
    """Borders that touch, directly or through others, as one group: one group per drawn table.

    Underlines and footnote separators touch nothing and are dropped (a table needs at least two
    horizontal and two vertical borders).
    """
    parent = list(range(len(borders)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    horizontal = [i for i, r in enumerate(borders) if r.horizontal]
    vertical = [i for i, r in enumerate(borders) if not r.horizontal]
    for i in horizontal:
        for j in vertical:
            if _touch(borders[i], borders[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[Border]] = {}
    for i, border in enumerate(borders):
        groups.setdefault(find(i), []).append(border)
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


def _has_border(borders: list[Border], horizontal: bool, at: float, across: float) -> bool:
    t = TOUCH_TOLERANCE
    return any(r.horizontal == horizontal and abs(r.at - at) <= t and r.start - t <= across <= r.end + t
               for r in borders)


def build_grid(borders: list[Border], words: list[SizedWord], *, page: int, source: str) -> Grid:
    """The cells of one table: grid cells with no border between them are one merged cell."""
    ys = _positions([r.at for r in borders if r.horizontal])
    xs = _positions([r.at for r in borders if not r.horizontal])
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
            if j + 1 < n_cols and not _has_border(borders, False, xs[j + 1], y_mid):
                parent[find((i, j + 1))] = find((i, j))
            if i + 1 < n_rows and not _has_border(borders, True, ys[i + 1], x_mid):
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
    _refuse_text_outside_the_cells(borders, words, (xs[0], ys[0], xs[-1], ys[-1]), page=page, source=source)
    return Grid(page, xs[0], ys[0], xs[-1], ys[-1], bands)


def _refuse_text_outside_the_cells(borders: list[Border], words: list[SizedWord], cells: tuple[float, ...], *,
                                   page: int, source: str) -> None:
    """Text within a table's drawn lines but outside its cells: the vertical borders run on below
    the last row border (a bottom border not drawn, or too heavy to read), or the row borders past
    the last column border. That row or column would be dropped without a word."""
    x0, top, x1, bottom = cells
    reach_x0 = min(r.start for r in borders if r.horizontal)
    reach_x1 = max(r.end for r in borders if r.horizontal)
    reach_top = min(r.start for r in borders if not r.horizontal)
    reach_bottom = max(r.end for r in borders if not r.horizontal)
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

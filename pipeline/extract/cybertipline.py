"""Extractor for the CyberTipline "Reports by ESP" and "Reports by Country" PDFs.

Both families print the same shape: a two-column Name | Count list over several pages, each
page repeating the column header, ended by a printed total. What varies between editions
(header wording, `Total` vs `Total:`, page headers, one or two lists side by side) is read from
`pipeline/data/list_layouts.csv`, not from `if year == ...` branches.

How a page is read:
1. find header lines: a text line made only of (name header, count header) pairs, one pair
   per list printed on the page (older editions print two lists side by side);
2. below each header, cut the list into row bands at the drawn horizontal rules that span it;
   a band holds one row however its name wraps, with the count on any of its lines;
3. where a page has no rules, rebuild rows from text lines and refuse any wrapped line that
   could belong to two rows.
Anything that looks like a count but lies outside the rows is an error, not a silent drop.
"""

from __future__ import annotations

import csv
import re
import statistics
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipeline.extract import ExtractionError
from pipeline.layout import (
    TextLine,
    Word,
    group_lines,
    horizontal_segments,
    is_count_text,
    join_count_pieces,
    rules_across,
    vertical_edges,
    words_between,
    words_from_page,
)


@dataclass(frozen=True)
class ListLayout:
    """The printed vocabulary of one family's list: header phrases and the total label."""

    family: str
    name_header: re.Pattern
    count_header: re.Pattern
    total_label: re.Pattern


@dataclass(frozen=True)
class RawRow:
    """One printed row: the name's lines as printed and the count text as printed."""

    name_lines: tuple[str, ...]
    count_text: str
    page: int

    @property
    def name(self) -> str:
        return " ".join(" ".join(self.name_lines).split())


@dataclass(frozen=True)
class ListExtraction:
    rows: tuple[RawRow, ...]
    total: RawRow
    pages: int


@dataclass(frozen=True)
class ListHeader:
    """Where one list sits on a page, from its header line."""

    name_x0: float
    name_x1: float
    count_x0: float
    count_x1: float
    top: float
    bottom: float


def load_layouts() -> dict[str, ListLayout]:
    text = resources.files("pipeline.data").joinpath("list_layouts.csv").read_text(encoding="utf-8")
    layouts = {}
    for row in csv.DictReader(text.splitlines()):
        layouts[row["family"]] = ListLayout(
            family=row["family"],
            name_header=re.compile(row["name_header"]),
            count_header=re.compile(row["count_header"]),
            total_label=re.compile(row["total_label"], re.IGNORECASE),
        )
    return layouts


def _phrase_ends(words: tuple[Word, ...], start: int, pattern: re.Pattern) -> list[int]:
    """Indexes just past each run of words from `start` whose text fully matches, longest first."""
    ends = [end for end in range(start + 1, min(len(words), start + 6) + 1)
            if pattern.fullmatch(" ".join(w.text for w in words[start:end]))]
    return sorted(ends, reverse=True)


def header_lists(line: TextLine, layout: ListLayout) -> list[ListHeader]:
    """The lists a header line announces, or [] when the line is not wholly a header.

    Requiring the whole line to be (name header, count header) pairs keeps page headers such
    as "2023 Reports by Country 2" and prose such as "reports by country" from matching.
    """
    words = line.words

    def parse_from(i: int) -> list[ListHeader] | None:
        if i == len(words):
            return []
        for name_end in _phrase_ends(words, i, layout.name_header):
            for count_end in _phrase_ends(words, name_end, layout.count_header):
                rest = parse_from(count_end)
                if rest is not None:
                    header = ListHeader(
                        name_x0=words[i].x0,
                        name_x1=words[name_end - 1].x1,
                        count_x0=words[name_end].x0,
                        count_x1=words[count_end - 1].x1,
                        top=line.top,
                        bottom=line.bottom,
                    )
                    return [header] + rest
        return None

    return parse_from(0) or []


def count_divider(header: ListHeader, edges: list[float]) -> float:
    """x where the count column starts: the drawn border between the columns when there is one,
    else halfway between the two header phrases."""
    between = [x for x in edges if header.name_x1 < x < header.count_x0]
    if between:
        return max(between)
    return (header.name_x1 + header.count_x0) / 2


def _where(source: str, page: int) -> str:
    return f"{source}, page {page}"


def rows_from_lines(lines: list[TextLine], divider: float, *, page: int, source: str,
                    ruled: bool) -> list[RawRow]:
    """Rows from the text lines of one region: a ruled band (one row) or an unruled list.

    Each line's words left of `divider` are name text, right of it count text. A line without
    a count joins the count line it belongs to. In a ruled band that is the band's only count
    line. Without rules it is the nearer count line, and a line about as near to two count
    lines is refused: guessing would silently give a row the wrong name.
    """
    split: list[tuple[TextLine, str, list[str]]] = []
    for line in lines:
        name_text = " ".join(w.text for w in line.words if w.x0 < divider)
        counts = [w for w in line.words if w.x0 >= divider]
        for word in counts:
            if not is_count_text(word.text) and not re.fullmatch(r"[\d,]+", word.text):
                raise ExtractionError(
                    f"{_where(source, page)}: expected a count in the count column at y={word.top:.0f},"
                    f" found {word.text!r}"
                )
        split.append((line, name_text, [w.text for w in counts]))

    count_indexes = [i for i, (_, _, counts) in enumerate(split) if counts]
    if not count_indexes:
        text = " / ".join(name for _, name, _ in split)
        raise ExtractionError(f"{_where(source, page)}: expected a count for row {text!r}, found none")

    if ruled and len(count_indexes) > 1:
        # One band, several count pieces: a number broken across lines, or a missing rule.
        pieces = [c for i in count_indexes for c in split[i][2]]
        try:
            count = join_count_pieces(pieces)
        except ValueError:
            return rows_from_lines(lines, divider, page=page, source=source, ruled=False)
        names = tuple(name for _, name, _ in split if name)
        return [RawRow(names, count, page)]

    owner: dict[int, int] = {}
    for i, (line, _, counts) in enumerate(split):
        if counts:
            owner[i] = i
            continue
        if ruled:
            owner[i] = count_indexes[0]
            continue
        above = [j for j in count_indexes if j < i]
        below = [j for j in count_indexes if j > i]
        gaps = []
        if above:
            gaps.append((line.middle - split[above[-1]][0].middle, above[-1]))
        if below:
            gaps.append((split[below[0]][0].middle - line.middle, below[0]))
        gaps.sort()
        if len(gaps) == 2 and gaps[0][0] > 0.75 * gaps[1][0]:
            raise ExtractionError(
                f"{_where(source, page)}: the line {line.text!r} at y={line.top:.0f} could belong to the row"
                " above or below it (no row rules drawn); refusing to guess"
            )
        owner[i] = gaps[0][1]

    rows = []
    for anchor in count_indexes:
        members = [i for i in range(len(split)) if owner[i] == anchor]
        names = tuple(split[i][1] for i in members if split[i][1])
        counts = split[anchor][2]
        try:
            count = join_count_pieces(counts)
        except ValueError as err:
            raise ExtractionError(f"{_where(source, page)}: {err} in the row {' '.join(names)!r}") from None
        rows.append(RawRow(names, count, page))
    return rows


def _unruled_region(lines: list[TextLine], layout: ListLayout, divider: float) -> list[TextLine]:
    """The lines of an unruled list: up to its total row, or up to the first wide vertical gap."""
    region: list[TextLine] = []
    for line in lines:
        if region:
            pitches = [b.top - a.top for a, b in zip(region, region[1:])] or [line.top - region[-1].top]
            if line.top - region[-1].top > 3 * statistics.median(pitches):
                break
        region.append(line)
        name_text = " ".join(w.text for w in line.words if w.x0 < divider)
        if layout.total_label.fullmatch(name_text.strip()):
            break
    return region


def extract_page_lists(words: list[Word], segments, edges, *, layout: ListLayout, page: int,
                       source: str) -> list[RawRow]:
    """All rows printed on one page, list by list, left list first."""
    lines = group_lines(words)
    headers = [(line, h) for line in lines for h in header_lists(line, layout)]
    rows: list[RawRow] = []
    headers_sorted = sorted(headers, key=lambda lh: (lh[1].top, lh[1].name_x0))
    for index, (_, header) in enumerate(headers_sorted):
        same_line = [h for _, h in headers_sorted if abs(h.top - header.top) < 2]
        left_limit = max([h.count_x1 for h in same_line if h.count_x1 < header.name_x0], default=0.0) + 1
        right_limit = min([h.name_x0 for h in same_line if h.name_x0 > header.count_x1], default=1e9) - 1
        later = [h.top for _, h in headers_sorted if h.top > header.bottom + 2]
        region_bottom = min(later, default=1e9)
        in_list = [w for w in words if left_limit <= w.x0 and w.x1 <= right_limit
                   and header.bottom < w.middle < region_bottom]
        divider = count_divider(header, edges)
        rules = [y for y in rules_across(segments, header.name_x0, header.count_x1)
                 if header.bottom - 1 <= y < region_bottom]
        if len(rules) >= 2:
            rows.extend(_rows_between_rules(in_list, rules, divider, layout, page=page, source=source))
            stray = stray_counts(in_list, rules, divider)
            if stray:
                raise ExtractionError(
                    f"{_where(source, page)}: found {stray[0].text!r} in the count column at y={stray[0].top:.0f},"
                    " outside the ruled rows of the list; expected every count inside a row"
                )
        else:
            region = _unruled_region(group_lines(in_list), layout, divider)
            rows.extend(rows_from_lines(region, divider, page=page, source=source, ruled=False))
    return rows


def stray_counts(words: list[Word], rules: list[float], divider: float) -> list[Word]:
    """Count-like words outside the ruled rows but right-aligned with the counts inside them:
    a row printed without rules, which would otherwise vanish. Prose and footers that merely
    contain a number ('Copyright 2024 ...') do not line up with the count column's right edge."""
    inside = [w.x1 for w in words if rules[0] < w.middle < rules[-1] and w.x0 >= divider and is_count_text(w.text)]
    if not inside:
        return []
    right_edge = statistics.median(inside)
    return [w for w in words
            if not rules[0] < w.middle < rules[-1] and w.x0 >= divider and is_count_text(w.text)
            and abs(w.x1 - right_edge) < 2]


def _rows_between_rules(words: list[Word], rules: list[float], divider: float, layout: ListLayout,
                        *, page: int, source: str) -> list[RawRow]:
    rows = []
    for top, bottom in zip(rules, rules[1:]):
        band_lines = group_lines(words_between(words, top, bottom))
        if not band_lines:
            continue
        if any(header_lists(line, layout) for line in band_lines):
            continue  # a repeated column header inside the list
        rows.extend(rows_from_lines(band_lines, divider, page=page, source=source, ruled=True))
    return rows


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


def extract_list(pdf_path: Path, family: str, source: str | None = None) -> ListExtraction:
    """Every row of a by-ESP or by-country PDF, plus its printed total row."""
    import pdfplumber

    layout = load_layouts()[family]
    source = source or Path(pdf_path).name
    rows: list[RawRow] = []
    with pdfplumber.open(pdf_path) as pdf:
        page_count = len(pdf.pages)
        for number, page in enumerate(pdf.pages, start=1):
            rows.extend(
                extract_page_lists(
                    words_from_page(page), horizontal_segments(page), vertical_edges(page),
                    layout=layout, page=number, source=source,
                )
            )
            page.close()
    if not rows:
        raise ExtractionError(
            f"{source}: expected a list headed like {layout.name_header.pattern!r} |"
            f" {layout.count_header.pattern!r}, found no such header on any of {page_count} pages"
        )
    data_rows, total = split_total(rows, layout, source)
    return ListExtraction(tuple(data_rows), total, page_count)

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
3. below each header, cut the list into row bands at the drawn horizontal rules that span it;
   a band holds one row however its name wraps, with the count on any of its lines;
4. where a page has no rules, rebuild rows from text lines and refuse any line that could
   belong to two rows, or to a row or a note under the list.
Anything that looks like a row or a count outside the rows, text beside a row, a row without a
name, and a page inside the list without a header are errors, not silent drops: a wrong name on
a right count still sums to the printed total, so the reader must refuse what it cannot place.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.extract import ExtractionError
from pipeline.extract.list_headers import (
    LAYOUTS_FILE,
    ListHeader,
    ListLayout,
    find_headers,
    header_like,
    loose_labels,
    load_layouts,
    parse_band,
    unknown_labels,
)
from pipeline.layout import (
    TextLine,
    Word,
    group_lines,
    horizontal_segments,
    is_count_text,
    join_count_pieces,
    merged_spans,
    rules_across,
    vertical_edges,
    words_between,
    words_from_page,
)


@dataclass(frozen=True)
class RawRow:
    """One printed row: the name's lines as printed and, per count column role, the count text
    as printed (`reports` alone for a list with one count column)."""

    name_lines: tuple[str, ...]
    counts: tuple[tuple[str, str], ...]
    page: int
    # Where the row is printed (x0, top, x1, bottom): for `explain`, not part of the reading.
    box: tuple[float, float, float, float] | None = field(default=None, compare=False)
    count_boxes: tuple[tuple[float, float, float, float], ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return " ".join(" ".join(self.name_lines).split())

    @property
    def count_text(self) -> str | None:
        """The total count as printed; None when the list prints only its parts."""
        return dict(self.counts).get("reports")


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



# Points between a name and a count printed as a column beside it: far more than a word space.
COLUMN_GAP = 12.0
# Points a name may be indented from its column header (names set in from the header's edge).
NAME_INDENT = 20.0
# Points a list on a page with no recognised header may sit off the columns of the lists read.
NEAR_COLUMNS = 40.0

# Points a name may start left of its column header and still be read as part of the list;
# text further left on a row's line is refused as text beside the list.
EDGE = 3.0


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


@dataclass(frozen=True)
class ListRegion:
    """The part of a page that belongs to one list: no word is read into two lists."""

    header: ListHeader
    x0: float       # the list's left edge: its name header's, less EDGE
    x1: float       # the left edge of the next list to the right (inf: none)
    bottom: float   # the top of the next header below in the same column (inf: none)
    leftmost: bool  # no list to its left: text left of x0 is beside the list, not in another


@dataclass(frozen=True)
class CountColumns:
    """Where a list's count columns lie: `divider` parts names from counts, `splits` are the x
    between adjacent count columns (none for a list with one), `roles` name the columns."""

    divider: float
    splits: tuple[float, ...]
    roles: tuple[str, ...]
    labels: tuple[str, ...] = ()

    def role_of(self, word: Word) -> str:
        return self.roles[bisect.bisect(self.splits, (word.x0 + word.x1) / 2)]

    def label(self, role: str) -> str:
        return self.labels[self.roles.index(role)] if self.labels else role


def single_column(divider: float) -> CountColumns:
    return CountColumns(divider, (), ("reports",))


def count_columns(header: ListHeader, divider: float, words: list[Word], where: str) -> CountColumns:
    """The count columns under a header, from the header's labels and the counts printed below.

    One column: every count right of the divider is in it. Several: the x-ranges of the labels
    and of the counts on row lines (lines with two or more counts right of the divider) merge into
    one span per column, parted by gutters that no count crosses; the split between two columns
    is the middle of their gutter. Where the labels do not overlap their counts (labels set left
    or centred over counts set right, or labels carried from an earlier page), the counts' own
    spans are the columns when there are exactly as many as labels, in the labels' order: every
    row must then hold one count in each (`_row`). Refused otherwise: a count reaching across a
    gutter, or a column of numbers under no label, cannot be given a role for certain.
    """
    labels = tuple(c.label for c in header.columns)
    if len(header.columns) == 1:
        return CountColumns(divider, (), header.roles, labels)
    counts = [w for line in group_lines([w for w in words if w.top >= header.bottom])
              for w in line.words if w.x0 >= divider and _is_count_piece(w.text)
              and sum(v.x0 >= divider and _is_count_piece(v.text) for v in line.words) >= 2]
    spans = merged_spans([(c.x0, c.x1) for c in header.columns] + [(w.x0, w.x1) for w in counts], 1.0)
    holds = [[c for c in header.columns if a - 1 <= c.x0 and c.x1 <= b + 1] for a, b in spans]
    own = merged_spans([(w.x0, w.x1) for w in counts], 1.0)
    if header.carried or len(spans) != len(header.columns) or any(len(h) != 1 for h in holds):
        # Labels not over their counts, or not printed on this page: the counts' own spans.
        if len(own) == len(header.columns):
            return CountColumns(divider, tuple((a[1] + b[0]) / 2 for a, b in zip(own, own[1:])),
                                header.roles, labels)
        shown = ", ".join(f"{a:.0f}-{b:.0f}" + (f" ({'/'.join(c.label for c in h)})" if h else " (no label)")
                          for (a, b), h in zip(spans, holds))
        raise ExtractionError(
            f"{where}: expected one column of counts under each of the labels"
            f" {' | '.join(labels)}, found counts in {len(spans)} column span(s) x={shown}:"
            " a count reaching across two columns, or numbers under no label"
        )
    splits = tuple((left[1] + right[0]) / 2 for left, right in zip(spans, spans[1:]))
    return CountColumns(divider, splits, header.roles, labels)


def count_divider(header: ListHeader, edges: list[float], words: list[Word] = ()) -> float:
    """x where the count column starts.

    The drawn border between the columns when there is one (2020-2023 draw the header on a
    filled band whose edges give it). Without one, where the counts themselves start: the left
    edge of the leftmost count set apart from its name, never right of the count header.
    Halfway between the header phrases is the last resort: a long name runs past it
    ('EasyOnlineSolutions/MojoHost/ North Tone/Hosthead'), and a hyphen ending a wrapped name
    line past it would be read as a '-' count.
    """
    between = [x for x in edges if header.name_x1 < x < header.count_x0]
    if between:
        return max(between)
    start = _count_column_start(header, words)
    if start is not None:
        return min(start, header.count_x0) - 1
    return (header.name_x1 + header.count_x0) / 2


def _ends_in_a_column(line: TextLine, columns: int = 1) -> bool:
    """Text, then `columns` counts, the first set apart from the text like a column (more than
    `COLUMN_GAP`): how a row of a list is printed. A number ending a wrapped name ('Channel 4')
    or a hyphen ending one sits a word space from the text before it."""
    words = line.words
    return (len(words) > columns and all(is_count_text(w.text) for w in words[-columns:])
            and words[-columns].x0 - words[-columns - 1].x1 > COLUMN_GAP)


def _count_column_start(header: ListHeader, words: list[Word]) -> float | None:
    """The left edge of the count column: the leftmost count that ends its line set apart from
    the name like a column, or stands on a line of its own right of the name header; None when
    no line ends so. A number ending a wrapped name ('Channel 4') or a hyphen ending one is
    neither, so it cannot pull the column left."""
    lines = group_lines([w for w in words if w.top > header.bottom])
    n = len(header.columns)
    counts = [line.words[-n].x0 for line in lines
              if len(line.words) >= n and line.words[-n].x0 > header.name_x1
              and (_ends_in_a_column(line, n)
                   or (len(line.words) == n and all(is_count_text(w.text) for w in line.words)
                       and _beside_a_name(line, lines, header)))]
    return min(counts, default=None)


def _beside_a_name(line: TextLine, lines: list[TextLine], header: ListHeader) -> bool:
    """Whether a line holding only a count has a name line next to it (within a line and a half):
    the count of a row whose name wraps around it, not a page number under the list."""
    reach = 1.5 * (line.bottom - line.top)
    return any(other is not line and abs(other.middle - line.middle) <= reach
               and abs(other.words[0].x0 - header.name_x0) <= NAME_INDENT and other.words[0].x0 < header.name_x1
               for other in lines)


def _where(source: str, page: int) -> str:
    return f"{source}, page {page}"


# Dot leaders between a name and its count ('Facebook ........ 1,234', or '. . . .'): typography,
# not part of the name.
LEADER = re.compile(r"^[.\u00b7\u2024\u2026]+$")
LEADER_END = re.compile(r"(?<=[^.])[.\u2026]{3,}$")


def _name_text(line: TextLine, divider: float) -> str:
    """The name part of a line, less dot leaders running to the count column."""
    words = [w.text for w in line.words if w.x0 < divider]
    dots = 0
    while words and LEADER.match(words[-1]):
        dots += len(words.pop())
    if dots and dots < 3:
        words.append("." * dots)  # one or two dots are the name's own ('Co. .')
    if words:
        words[-1] = LEADER_END.sub("", words[-1])
    return " ".join(w for w in words if w)


def _is_count_piece(text: str) -> bool:
    """A count, or a piece of one broken across lines ('24,768,90')."""
    return is_count_text(text) or bool(re.fullmatch(r"[\d,]+", text))


def _is_row_line(line: TextLine, divider: float) -> bool:
    """A line with something in the count column, and only counts there."""
    counts = [w for w in line.words if w.x0 >= divider]
    return bool(counts) and all(_is_count_piece(w.text) for w in counts)


# Words of one row line are printed in one type size; a word this many times larger or smaller
# than another on the line is something printed over the row (a stamp, a watermark, a note).
MIXED_SIZES = 1.5


def _size(word: Word) -> float:
    return float(word.font.rsplit(" ", 1)[-1]) if word.font else 0.0


def _refuse_mixed_sizes(line: TextLine, where: str) -> None:
    sizes = [(_size(w), w) for w in line.words if _size(w)]
    if sizes and max(s for s, _ in sizes) > MIXED_SIZES * min(s for s, _ in sizes):
        big = max(sizes, key=lambda s: s[0])[1]
        raise ExtractionError(
            f"{where}: {big.text!r} at y={big.top:.0f} is printed at {_size(big):.0f} pt on a row line set at"
            f" {min(s for s, _ in sizes):.0f} pt ({line.text!r}): a stamp, a watermark or a note over the row,"
            " not part of it; expected a row in one type size"
        )


def _fonts(line: TextLine) -> set[str]:
    return {w.font for w in line.words}


class NamelessCount(ExtractionError):
    """A count with no name beside it in the list's part of the page (`_read_list` says why)."""


def _box(lines: list[TextLine]) -> tuple[float, float, float, float]:
    words = [w for line in lines for w in line.words]
    return (min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words), max(w.bottom for w in words))


def _row(names: tuple[str, ...], counts: dict[str, str], line: TextLine, where: str, page: int,
         columns: CountColumns, members: list[TextLine] = ()) -> RawRow:
    """One row, refused when it has no name, no count in one of its count columns, or a count not
    printed as NCMEC prints one."""
    shown = " | ".join(counts.values())
    if not names:
        raise NamelessCount(f"{where}: expected a name for the count {shown!r} at y={line.top:.0f}, found none")
    for role in columns.roles:
        if role not in counts:
            raise ExtractionError(
                f"{where}: expected a count under {columns.label(role)!r} for the row {' '.join(names)!r}"
                f" at y={line.top:.0f}, found none (counts found: {shown!r})"
            )
        if not is_count_text(counts[role]):
            raise ExtractionError(
                f"{where}: expected a count as NCMEC prints one (1,234 or -) for the row {' '.join(names)!r},"
                f" found {counts[role]!r}"
            )
    lines = list(members) or [line]
    cells = [[w for member in lines for w in member.words if w.x0 >= columns.divider and columns.role_of(w) == role]
             for role in columns.roles]
    return RawRow(names, tuple((role, counts[role]) for role in columns.roles), page, _box(lines),
                  tuple(_box([TextLine(tuple(cell))]) for cell in cells if cell))


def _join_by_column(words: list[Word], columns: CountColumns) -> dict[str, str]:
    """Each count column's pieces in one row joined into its count (`join_count_pieces`); a
    ValueError when a column holds several counts."""
    pieces: dict[str, list[str]] = {}
    for word in words:
        pieces.setdefault(columns.role_of(word), []).append(word.text)
    return {role: join_count_pieces(texts) for role, texts in pieces.items()}


# Marks that change no name: footnote symbols (split off by `normalize`) and trademark signs.
NAME_SYMBOLS = set("*†‡§®™©")


def _refuse_marks(line: TextLine, divider: float, where: str) -> None:
    """A superscript footnote mark is read into the word it follows ('234' + '1' -> '2341',
    'Chad' + '1' -> 'Chad1', 'Chad' + 'a' -> 'Chada'): refuse a count with any mark, and a name
    with a mark other than a footnote symbol (a smaller '*' or '®' changes no number and no
    name)."""
    for word in line.words:
        if word.x0 >= divider and word.marks:
            raise ExtractionError(
                f"{where}: the count {word.text!r} at y={word.top:.0f} has {word.marks!r} printed smaller or"
                " raised (a footnote mark?); expected a count in one type size on one baseline"
            )
        if word.x0 < divider and set(word.marks) - NAME_SYMBOLS:
            raise ExtractionError(
                f"{where}: the name {word.text!r} at y={word.top:.0f} has {word.marks!r} printed smaller or"
                " raised (a footnote mark?); expected a name without footnote digits or letters"
            )


# A row boundary between two count lines must be clearly the widest gap between the lines in
# between: the next widest at most this share of it. Otherwise which row a name line belongs
# to is a guess (no rules, even spacing).
CLEAR_GAP_SHARE = 0.75


def _unruled_owners(split: list[tuple[TextLine, str, list[Word]]], count_indexes: list[int],
                    where: str) -> dict[int, int]:
    """Which count line each line of an unruled list belongs to.

    Lines above the first count line belong to it, lines below the last to the last. The name
    lines between two count lines are the end of the upper row's name and the start of the lower
    one's: the boundary is the widest gap between consecutive lines there, and it must be clearly
    the widest (`CLEAR_GAP_SHARE`). A three-line name set at the same pitch as the rows around it
    ('Saint Helena,' / 'Ascension and' / 'Tristan da Cunha 4') cannot be told from the end of the
    row above, and is refused rather than split wrongly.
    """
    owner = {i: count_indexes[0] for i in range(count_indexes[0])}
    for upper, lower in zip(count_indexes, count_indexes[1:]):
        owner[upper] = upper
        if lower == upper + 1:
            continue
        pitches = [split[k + 1][0].middle - split[k][0].middle for k in range(upper, lower)]
        widest = max(range(len(pitches)), key=lambda k: pitches[k])
        others = [p for k, p in enumerate(pitches) if k != widest]
        if max(others) > CLEAR_GAP_SHARE * pitches[widest]:
            line = split[upper + 1][0] if pitches[0] >= pitches[-1] else split[lower - 1][0]
            raise ExtractionError(
                f"{where}: the line {line.text!r} at y={line.top:.0f} could belong to the row above or below"
                " it (no row rules drawn, no clearly wider gap between the rows); refusing to guess"
            )
        for k in range(upper + 1, lower):
            owner[k] = upper if k <= upper + widest else lower
    last = count_indexes[-1]
    owner.update({i: last for i in range(last, len(split))})
    return owner


# A row set further below the row above than this share of the list's usual row-to-row pitch is
# set apart like a heading over the rows that follow.
SET_APART = 1.3


def _refuse_headings_set_apart(split: list[tuple[TextLine, str, list[Word]]], owner: dict[int, int],
                               count_indexes: list[int], wrap_gaps: list[float], where: str) -> None:
    """In an unruled list, a row whose name starts on a line above its count, set apart from the
    row above by more than the list's rows are (`SET_APART`), is a group heading over a row as
    much as a wrapped name ('ASIA' over 'India 5'): refused unless another row wraps that way."""
    starts = [min(i for i in range(len(split)) if owner[i] == anchor) for anchor in count_indexes]
    pitches = [split[s][0].middle - split[s - 1][0].middle for s in starts if s > 0]
    if len(pitches) < 2:
        return
    usual = statistics.median(pitches)
    for start, anchor in zip(starts, count_indexes):
        if start == anchor or start == 0:
            continue
        line, anchor_line = split[start][0], split[anchor][0]
        gap = anchor_line.middle - line.middle
        seen = [g for g in wrap_gaps if abs(g - gap) <= 1]
        if line.middle - split[start - 1][0].middle > SET_APART * usual and len(seen) < 2:
            raise ExtractionError(
                f"{where}: the line {line.text!r} at y={line.top:.0f} is set further below the row above than"
                f" the rows are, above the row {split[anchor][1]!r}: a heading over the rows or the start of a"
                " wrapped name (no row rules drawn, and no other row wraps that way); refusing to guess"
            )


def rows_from_lines(lines: list[TextLine], divider: float, *, page: int, source: str,
                    ruled: bool, ruled_above: bool = False, columns: CountColumns | None = None) -> list[RawRow]:
    """Rows from the text lines of one region: a ruled band (one row) or an unruled list.

    Each line's words left of `divider` are name text, right of it count text. A line without
    a count joins the count line it belongs to. In a ruled band that is the band's only count
    line. Without rules it is the nearer count line, and a line about as near to two count
    lines, or printed in another font than the row it is nearest to (a heading, a caption), is
    refused: guessing would silently give a row the wrong name. So is a line above the first
    count line, unless a rule is drawn above it (`ruled_above`) or another row wraps the same way.
    """
    where = _where(source, page)
    columns = columns or single_column(divider)
    split: list[tuple[TextLine, str, list[Word]]] = []
    for line in lines:
        counts = [w for w in line.words if w.x0 >= divider]
        for word in counts:
            if not _is_count_piece(word.text):
                raise ExtractionError(
                    f"{where}: expected a count in the count column at y={word.top:.0f}, found {word.text!r}"
                )
        _refuse_marks(line, divider, where)
        _refuse_mixed_sizes(line, where)
        split.append((line, _name_text(line, divider), counts))

    count_indexes = [i for i, (_, _, counts) in enumerate(split) if counts]
    if not count_indexes:
        text = " / ".join(name for _, name, _ in split)
        raise ExtractionError(f"{where}: expected a count for row {text!r}, found none")

    if ruled and len(count_indexes) > 1:
        # One band, several count pieces: a number broken across lines ('24,768,90' / '3'). A band
        # holding several rows is read as unruled lines by the caller.
        pieces = [c for i in count_indexes for c in split[i][2]]
        try:
            counts = _join_by_column(pieces, columns)
        except ValueError as err:
            raise ExtractionError(f"{where}: {err} in one ruled row") from None
        names = tuple(name for _, name, _ in split if name)
        return [_row(names, counts, lines[count_indexes[0]], where, page, columns, lines)]

    owner = _unruled_owners(split, count_indexes, where) if not ruled else \
        {i: count_indexes[0] for i in range(len(split))}
    leading: list[int] = []        # name-only lines above the first count line: nothing above to weigh
    wrap_gaps: list[float] = []    # how far above its count line a name line was placed
    for i, (line, _, counts) in enumerate(split):
        if counts:
            continue
        anchor_line, anchor_name, _ = split[owner[i]]
        if _fonts(line) - _fonts(anchor_line):
            raise ExtractionError(
                f"{where}: the line {line.text!r} at y={line.top:.0f} is printed in another font than the"
                f" row {anchor_name or anchor_line.text!r} it would join: a heading, a caption or a note,"
                " not a wrapped name; refusing to guess"
            )
        if ruled:
            continue
        if i < count_indexes[0] and not ruled_above:
            leading.append(i)
        elif owner[i] > i:
            wrap_gaps.append(anchor_line.middle - line.middle)
    for i in leading:
        # A caption under the header looks just like the first row's wrapped name; it is taken
        # for one only where some row on the page wraps the same way (same distance to its count).
        line = split[i][0]
        anchor_line, anchor_name, _ = split[owner[i]]
        gap = anchor_line.middle - line.middle
        if not any(abs(gap - seen) <= 1 for seen in wrap_gaps):
            raise ExtractionError(
                f"{where}: the line {line.text!r} at y={line.top:.0f} could start the row"
                f" {anchor_name or anchor_line.text!r} or be a caption under the header (no row rules drawn,"
                " and no other row wraps that way); refusing to guess"
            )
    if not ruled:
        _refuse_headings_set_apart(split, owner, count_indexes, wrap_gaps, where)

    rows = []
    for anchor in count_indexes:
        members = [i for i in range(len(split)) if owner[i] == anchor]
        names = tuple(split[i][1] for i in members if split[i][1])
        try:
            counts = _join_by_column(split[anchor][2], columns)
        except ValueError as err:
            raise ExtractionError(f"{where}: {err} in the row {' '.join(names)!r}") from None
        rows.append(_row(names, counts, split[anchor][0], where, page, columns, [split[i][0] for i in members]))
    return rows


def _unruled_region(lines: list[TextLine], layout: ListLayout, divider: float, *, page: int,
                    source: str) -> list[TextLine]:
    """The lines of an unruled list: up to its total row or the first wide vertical gap, less a
    note or footer right under its last row.

    A name-only line under the last row is either that row's wrapped name or a note under the
    list. It is a note when it is set apart (see `_set_apart`); otherwise nothing tells the two
    apart, and it is refused. That holds in a ruled band holding several rows too: a table's
    bottom border may enclose a note printed under the last row.
    """
    region: list[TextLine] = []
    for line in lines:
        if region:
            pitches = [b.top - a.top for a, b in zip(region, region[1:])] or [line.top - region[-1].top]
            if line.top - region[-1].top > 3 * statistics.median(pitches):
                break
        region.append(line)
        if layout.total_label.fullmatch(_name_text(line, divider).strip()):
            break
    row_lines = [i for i, line in enumerate(region) if _is_row_line(line, divider)]
    if not row_lines or row_lines[-1] == len(region) - 1:
        return region
    last = row_lines[-1]
    after = region[last + 1]
    if not _set_apart(after, region[: last + 1], divider):
        name = next((text for text in (_name_text(line, divider) for line in reversed(region[: last + 1])) if text), "")
        raise ExtractionError(
            f"{_where(source, page)}: the line {after.text!r} at y={after.top:.0f} could continue the row"
            f" {name!r} or be a note under the list (no row rules drawn, same font, as close as the rows);"
            " refusing to guess"
        )
    return region[: last + 1]


def _set_apart(line: TextLine, above: list[TextLine], divider: float) -> bool:
    """Whether a line under an unruled list's last row is not part of it: it runs into the count
    column (prose), is printed in another font, or lies further below the last row than any line
    of the list lies below the line before it. (Text starting left of the names is not in the
    list's words at all.)"""
    last = above[-1]
    if any(w.x0 >= divider for w in line.words) or _fonts(line) - _fonts(last):
        return True
    pitches = [b.top - a.top for a, b in zip(above, above[1:])]
    limit = max(pitches) if pitches else 1.8 * (last.bottom - last.top)
    return line.top - last.top > limit + 1


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

    The carried header ends at the last rule drawn across the list above that first row, or just
    above the row when none is drawn. Refused rather than guessed: a count printed above that line
    in the list's columns (a row whose count sits on a line of its own would be lost), and, with no
    rule, text right above the first row (its wrapped name, or page furniture: which, nothing
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
        rules = [y for y in rules_across(segments, header.name_x0, header.count_x1) if y <= first.top + 0.5]
        bottom = max(rules) if rules else first.top - 0.5
        counts = [w for w in counts if w.middle < bottom] if rules else counts
        if counts:
            raise ExtractionError(
                f"{where}: the page prints no list header; its rows sit in the columns of the list before,"
                f" but {counts[0].text!r} at y={counts[0].top:.0f} is printed above its first row"
                f" ({first.text!r}) in the count column: expected nothing above the first row of a page"
                " without a header"
            )
        close = [w for w in above if first.top - w.bottom < 1.5 * height and w.middle < first.top]
        if not rules and close:
            raise ExtractionError(
                f"{where}: the page prints no list header, and {close[0].text!r} at y={close[0].top:.0f} sits right"
                f" above its first row {first.text!r} with no rule between: the row's wrapped name or a"
                " heading; refusing to guess"
            )
        if rules:
            # A name line right above the first rule is the end of a row broken across the page
            # break (its count on the page before) as much as a heading: not dropped unseen.
            broken = [w for w in above if bottom - w.bottom < 1.5 * height and w.middle < bottom
                      and abs(w.x0 - header.name_x0) <= NAME_INDENT]
            if broken:
                raise ExtractionError(
                    f"{where}: the page prints no list header, and {broken[0].text!r} at y={broken[0].top:.0f}"
                    f" sits in the name column right above the rule over its first row {first.text!r}: the end"
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
    rules = [y for y in rules_across(segments, header.name_x0, header.count_x1)
             if header.bottom - 1 <= y < region.bottom]
    open_top = bool(rules) and len(_count_lines(words_between(in_list, header.bottom, rules[0]), divider)) == 1
    if open_top:
        # Rules under every row but none under the header: the header closes the first band. Only
        # for one row there: a second header line or a caption holds no count, and a sum rule
        # above the total of an unruled list has every row above it.
        rules = [header.bottom, *rules]
    closing = _row_under_the_last_rule(in_list, rules, columns, layout)
    if closing is not None:
        rules = [*rules, closing]
    if trace is not None:
        trace.lists.append((region, columns, rules))
    rows: list[RawRow] = []
    if len(rules) >= 2:
        rows, end = _rows_between_rules(in_list, rules, columns, layout, page=page, source=source,
                                        open_top=open_top)
    ruled_rows = bool(rows)
    if rows:
        top, bottom = rules[0], end
        outside = [w for w in in_list if not top < w.middle < bottom]
    else:
        # No rules, or none closing a row (the edges of a filled header and of a page background,
        # a rule above the page footer): an unruled list, with the checks of one.
        lines = _unruled_region(group_lines(in_list), layout, divider, page=page, source=source)
        if not lines:
            return []
        rows = rows_from_lines(lines, divider, page=page, source=source, ruled=False, columns=columns)
        top, bottom = header.bottom, lines[-1].bottom
        outside = [w for w in in_list if w.middle > bottom]
    inside = [w for w in in_list if top < w.middle < bottom]
    _refuse_strays(outside, inside, columns, header, where)
    _refuse_count_under_the_rows([w for w in outside if w.middle > bottom], bottom, header, where)
    if ruled_rows:
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


def _row_under_the_last_rule(words: list[Word], rules: list[float], columns: CountColumns,
                             layout: ListLayout) -> float | None:
    """A y closing the band of a row printed under the list's last rule with no rule under it,
    or None: zebra stripes ending on an unstriped row, lists ruled above their total only.

    Read so only when nothing else can be meant: one line right under the rule, set apart from
    whatever follows by more than any band above; either the total row (its label says it is the
    list's last row) or a row with a count in every column, each count flush with that column's
    counts above (right or left edge within 1 pt). A note or a stray number is not set so; it
    stays outside the rows, where the refusals of rows left without a rule see it."""
    if len(rules) < 2:
        return None  # a lone sum rule above the total of an unruled list: read as unruled
    divider = columns.divider
    lines = group_lines([w for w in words if w.middle > rules[-1]])
    if not lines or lines[0].top - rules[-1] > 2 * (lines[0].bottom - lines[0].top):
        return None
    first = lines[0]
    if not _is_row_line(first, divider) or not _name_text(first, divider).strip():
        return None
    if any(layout.total_label.fullmatch(_name_text(line, divider).strip())
           for line in group_lines([w for w in words if rules[0] < w.middle < rules[-1]])):
        return None  # nothing of the list follows its total
    band = max(b - a for a, b in zip(rules, rules[1:]))
    if len(lines) > 1 and lines[1].top - first.bottom < max(band, 2 * (first.bottom - first.top)):
        return None  # the next line as close as a wrapped name's or a row's: not certainly the end
    if not layout.total_label.fullmatch(_name_text(first, divider).strip()):
        above = [w for w in words if rules[0] < w.middle < rules[-1] and w.x0 >= divider and is_count_text(w.text)]
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
    """A row or a count printed outside the rows read (under the last rule, after the gap that
    ends an unruled list) would vanish without a word, and a row printed '-' leaves the total
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
    closely as a wrapped name's) is a row left without a rule under it, whatever its alignment
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
                f" ({line.text!r}); expected every count inside a row (a row without a rule under it?)"
            )
        previous = line.bottom


def _refuse_name_under_the_rows(rows: list[RawRow], under: list[Word], bottom: float, header: ListHeader,
                                layout: ListLayout, where: str) -> None:
    """Text in the name column right under the last row read, before the list's total: the start
    of a row broken across the page break (its count on the next page), which would otherwise be
    dropped and the row named by its last line only. After the total, such text is a note. (An
    unruled list's own checks see the same case.)"""
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
    column (or with the count header when no row was read): a row printed without rules, which
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


def _rows_between_rules(words: list[Word], rules: list[float], columns: CountColumns, layout: ListLayout,
                        *, page: int, source: str, open_top: bool = False) -> tuple[list[RawRow], float]:
    """Rows of a ruled list, band by band, and the y where they end.

    A band holds one row. A band holding several (rules under some rows only) is read like an
    unruled list, and the rows end where that reading ends (a wide gap, the total). A band whose
    closing rule lies far below its text (a page background's edge, a rule above the footer)
    closes no row: the rows end at its top, and what it holds is text under the list.
    """
    divider = columns.divider
    rows: list[RawRow] = []
    for top, bottom in zip(rules, rules[1:]):
        # A column header repeated inside the list is no row; nothing else in its band is dropped.
        lines = _without_headers(group_lines(words_between(words, top, bottom)), layout)
        if not lines:
            continue
        if bottom - lines[-1].bottom > 4 * statistics.median(line.bottom - line.top for line in lines):
            return rows, top
        pieces = [w for line in lines for w in line.words if w.x0 >= divider]
        count_lines = [line for line in lines if any(w.x0 >= divider for w in line.words)]
        if len(count_lines) > 1 and not _joins(pieces, columns):
            region = _unruled_region(lines, layout, divider, page=page, source=source)
            # The rule above a band below other rows closes the row before: a name line at the
            # band's top starts its first row. The first band's rule is the header's ("booktabs"
            # rules under the header and at the bottom only): a line there may be a caption.
            rows.extend(rows_from_lines(region, divider, page=page, source=source, ruled=False,
                                        ruled_above=bool(rows), columns=columns))
            if len(region) < len(lines):
                return rows, region[-1].bottom
            continue
        # The first band of a list with no rule under its header is bounded above by the header
        # only: a line above its count may be a caption, so it is read with an unruled list's checks.
        ruled = not (open_top and top == rules[0])
        rows.extend(rows_from_lines(lines, divider, page=page, source=source, ruled=ruled, columns=columns))
    return rows, rules[-1]


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


def _in_list_columns(line: TextLine, headers: list[ListHeader]) -> bool:
    """Whether a row-like line (`row_like_lines`) sits in the columns of the lists read elsewhere
    in the document: its text starts where a list's names start and its count ends within a
    list's count column (the same list, or the right one of two printed side by side). Such a
    line on a page with no recognised header is a row this reader would skip (a reworded
    header, a header printed on the first page only), '-' rows and all; a small table of other
    figures on an intro page is set differently. The count ends within the last count label, or
    overlaps it (a count wider than its label, set left, centred or letter-spaced)."""
    first, last = line.words[0], line.words[-1]
    return (any(abs(first.x0 - h.name_x0) <= EDGE for h in headers)
            and any(h.name_x1 < last.x0 and (last.x1 <= h.count_x1 + 2 or last.x0 <= h.count_x1 + 2
                                             and last.x1 >= h.columns[-1].x0 - 2) for h in headers))


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

"""Where a list's columns are: the divider between names and counts, the count columns under a
header and their roles, and whether a line sits in the columns of a list read elsewhere."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.extract import ExtractionError
from pipeline.extract.list_headers import ListHeader
from pipeline.layout import TextLine, Word, group_lines, is_count_text, merged_spans


# Points between a name and a count printed as a column beside it: far more than a word space.
COLUMN_GAP = 12.0
# Points a name may be indented from its column header (names set in from the header's edge).
NAME_INDENT = 20.0
# Points a list on a page with no recognised header may sit off the columns of the lists read.
NEAR_COLUMNS = 40.0
# Points a name may start left of its column header and still be read as part of the list;
# text further left on a row's line is refused as text beside the list.
EDGE = 3.0


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


def _is_count_piece(text: str) -> bool:
    """A count, or a piece of one broken across lines ('24,768,90')."""
    return is_count_text(text) or bool(re.fullmatch(r"[\d,]+", text))


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

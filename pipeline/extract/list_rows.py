"""Rows of a list from its text lines: a name (however it wraps) and a count per count column,
with the refusals of a line that could belong to two rows, or to a row or a note under the list."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from pipeline.extract import ExtractionError
from pipeline.extract.list_columns import CountColumns, _is_count_piece, single_column
from pipeline.extract.list_headers import ListLayout
from pipeline.layout import TextLine, Word, is_count_text, join_count_pieces


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
# to is a guess (no borders, even spacing).
CLEAR_GAP_SHARE = 0.75


def _borderless_owners(split: list[tuple[TextLine, str, list[Word]]], count_indexes: list[int],
                       where: str) -> dict[int, int]:
    """Which count line each line of a borderless list belongs to.

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
                " it (no row borders drawn, no clearly wider gap between the rows); refusing to guess"
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
    """In a borderless list, a row whose name starts on a line above its count, set apart from the
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
                " wrapped name (no row borders drawn, and no other row wraps that way); refusing to guess"
            )


def rows_from_lines(lines: list[TextLine], divider: float, *, page: int, source: str, bordered: bool,
                    bordered_above: bool = False, columns: CountColumns | None = None) -> list[RawRow]:
    """Rows from the text lines of one region: a bordered band (one row) or a borderless list.

    Each line's words left of `divider` are name text, right of it count text. A line without
    a count joins the count line it belongs to. In a bordered band that is the band's only count
    line. Without borders it is the nearer count line, and a line about as near to two count
    lines, or printed in another font than the row it is nearest to (a heading, a caption), is
    refused: guessing would silently give a row the wrong name. So is a line above the first
    count line, unless a border is drawn above it (`bordered_above`) or another row wraps the same way.
    """
    where = _where(source, page)
    columns = columns or single_column(divider)
    split = _split_lines(lines, divider, where)
    count_indexes = [i for i, (_, _, counts) in enumerate(split) if counts]
    if not count_indexes:
        text = " / ".join(name for _, name, _ in split)
        raise ExtractionError(f"{where}: expected a count for row {text!r}, found none")

    if bordered and len(count_indexes) > 1:
        # One band, several count pieces: a number broken across lines ('24,768,90' / '3'). A band
        # holding several rows is read as borderless lines by the caller.
        pieces = [c for i in count_indexes for c in split[i][2]]
        try:
            counts = _join_by_column(pieces, columns)
        except ValueError as err:
            raise ExtractionError(f"{where}: {err} in one bordered row") from None
        names = tuple(name for _, name, _ in split if name)
        return [_row(names, counts, lines[count_indexes[0]], where, page, columns, lines)]

    owner = _borderless_owners(split, count_indexes, where) if not bordered else \
        {i: count_indexes[0] for i in range(len(split))}
    wrap_gaps = _refuse_name_lines_astray(split, owner, count_indexes, bordered=bordered,
                                          bordered_above=bordered_above, where=where)
    if not bordered:
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


def _split_lines(lines: list[TextLine], divider: float, where: str) -> list[tuple[TextLine, str, list[Word]]]:
    """Each line with its name text and its words in the count column, every one a count (or a
    piece of one); a line with footnote marks or mixed type sizes is refused."""
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
    return split


def _refuse_name_lines_astray(split: list[tuple[TextLine, str, list[Word]]], owner: dict[int, int],
                              count_indexes: list[int], *, bordered: bool, bordered_above: bool,
                              where: str) -> list[float]:
    """Refuse a name-only line that may not belong to the row it joins: printed in another font
    (a heading, a caption, a note), or, in a borderless list with no border above, above the
    first count line where no other row wraps the same way. Returns how far above its count
    line each wrapped name line of a borderless list sits."""
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
        if bordered:
            continue
        if i < count_indexes[0] and not bordered_above:
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
                f" {anchor_name or anchor_line.text!r} or be a caption under the header (no row borders drawn,"
                " and no other row wraps that way); refusing to guess"
            )
    return wrap_gaps


def _borderless_region(lines: list[TextLine], layout: ListLayout, divider: float, *, page: int,
                       source: str) -> list[TextLine]:
    """The lines of a borderless list: up to its total row or the first wide vertical gap, less a
    note or footer right under its last row.

    A name-only line under the last row is either that row's wrapped name or a note under the
    list. It is a note when it is set apart (see `_set_apart`); otherwise nothing tells the two
    apart, and it is refused. That holds in a bordered band holding several rows too: a table's
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
            f" {name!r} or be a note under the list (no row borders drawn, same font, as close as the rows);"
            " refusing to guess"
        )
    return region[: last + 1]


def _set_apart(line: TextLine, above: list[TextLine], divider: float) -> bool:
    """Whether a line under a borderless list's last row is not part of it: it runs into the count
    column (prose), is printed in another font, or lies further below the last row than any line
    of the list lies below the line before it. (Text starting left of the names is not in the
    list's words at all.)"""
    last = above[-1]
    if any(w.x0 >= divider for w in line.words) or _fonts(line) - _fonts(last):
        return True
    pitches = [b.top - a.top for a, b in zip(above, above[1:])]
    limit = max(pitches) if pitches else 1.8 * (last.bottom - last.top)
    return line.top - last.top > limit + 1

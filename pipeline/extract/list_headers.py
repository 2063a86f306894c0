"""List headers as printed: a band of one to three lines whose column labels may be stacked.

A list's header names its columns: one name column, then one or more count columns, each with a
role (`reports`, the total; `referrals`; `informational`). The printed wording of every role is
read from `pipeline/data/list_layouts.csv`, one reviewed row per (family, role, pattern), so a
reworded header or a new count column is a data diff, not code.

A header is found by its columns, not as one text line: the words of a few tightly spaced lines
are gathered into stacks (words whose x-ranges overlap belong to one stacked label: 'Total' over
'Reports'), and the stacks, left to right, must split into cells that each match a role's
wording: a name cell, its count cells, and again for a second list printed beside the first.
Every word of the band must belong to a cell, so a page header ('2023 Reports by Country 2') or a
sentence never passes for a header. A label that is no known role ('% change') makes the band a
near miss, which refusals quote with the label that stopped it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pipeline.layout import TextLine, Word, is_count_text

LAYOUTS_FILE = "pipeline/data/list_layouts.csv"

# Count column roles, in the order their columns are stored (`reports` is the total).
COUNT_ROLES = ("referrals", "informational", "reports")
# Which roles make a list whose total is known: printed, or the sum of its printed parts.
COMPLETE_ROLE_SETS = ({"reports"}, {"referrals", "informational"}, {"referrals", "informational", "reports"},
                      {"referrals", "reports"}, {"informational", "reports"})

# At most this many lines make one header band (a label stacked over three lines at most).
MAX_BAND_LINES = 3
# Lines of one band lie closer than this share of their height apart (a stacked label's leading);
# the first row under a header is set further off.
BAND_LEADING = 0.6
# Words in one cell at most (a stack counts once).
MAX_CELL_STACKS = 8
# Words of one label lie at most this share of their type size apart on a line: a word space
# (0.25-0.3 em; 0.6 em in a monospaced font) with letter-spacing; two labels lie a column gutter
# apart.
WORD_SPACE = 0.8


@dataclass(frozen=True)
class ListLayout:
    """The printed vocabulary of one family's lists: the name column's, each count role's, and
    the total row's label."""

    family: str
    name_header: re.Pattern
    count_headers: dict[str, re.Pattern]
    total_label: re.Pattern

    def describe(self) -> str:
        """The header a refusal says it expected: its columns' roles and the file of their wording
        (the patterns themselves are in the file, not in the message)."""
        return f"name | {' / '.join(self.count_headers)}, worded as in {LAYOUTS_FILE} ({self.family})"


@dataclass(frozen=True)
class CountColumn:
    """One count column of a list header: its role, its label as printed, its label's x-range."""

    role: str
    label: str
    x0: float
    x1: float


@dataclass(frozen=True)
class ListHeader:
    """Where one list sits on a page, from its header band."""

    name_x0: float
    name_x1: float
    columns: tuple[CountColumn, ...]
    top: float
    bottom: float
    name_label: str = ""
    # True for a header carried over from an earlier page to a page that prints none.
    carried: bool = False

    @property
    def count_x0(self) -> float:
        return self.columns[0].x0

    @property
    def count_x1(self) -> float:
        return self.columns[-1].x1

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(c.role for c in self.columns)


@lru_cache(maxsize=1)
def load_layouts() -> dict[str, ListLayout]:
    """Each list family's vocabulary from `list_layouts.csv`; family `*` rows apply to every family."""
    text = resources.files("pipeline.data").joinpath("list_layouts.csv").read_text(encoding="utf-8")
    patterns: dict[str, dict[str, list[str]]] = {}
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        patterns.setdefault(row["family"], {}).setdefault(row["role"], []).append(row["pattern"])
    shared = patterns.pop("*", {})
    layouts = {}
    for family, own in patterns.items():
        merged = {role: shared.get(role, []) + own.get(role, []) for role in {*shared, *own}}

        def compiled(role: str) -> re.Pattern:
            # Case-insensitive: a later edition may print "COUNTRY | REPORTS". A header must fill
            # its whole band (`parse_band`), so prose and page headers still do not match.
            return re.compile("|".join(f"(?:{p})" for p in merged[role]), re.IGNORECASE)

        layouts[family] = ListLayout(
            family=family,
            name_header=compiled("name"),
            count_headers={role: compiled(role) for role in COUNT_ROLES if merged.get(role)},
            total_label=compiled("total_row"),
        )
    return layouts


# --- stacks and cells ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Stack:
    """Words of a header band whose x-ranges overlap: one stacked label or one word."""

    words: tuple[Word, ...]

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)


def stacks_of(lines: list[TextLine]) -> list[_Stack]:
    """The band's words gathered left to right into stacks of x-overlapping words."""
    words = sorted((w for line in lines for w in line.words), key=lambda w: w.x0)
    stacks: list[list[Word]] = []
    right = None
    for word in words:
        if stacks and word.x0 < right - 0.5:
            stacks[-1].append(word)
            right = max(right, word.x1)
        else:
            stacks.append([word])
            right = word.x1
    return [_Stack(tuple(s)) for s in stacks]


# A footnote symbol ending a label ('Reports*') refers to a note; it does not change the label.
LABEL_MARKS = "*\u2020\u2021\u00a7"


def label_word(word: Word) -> str:
    """A label word less a footnote mark printed raised or smaller after it ('Reports' + '1')."""
    text = word.text
    if word.marks and text.endswith(word.marks) and len(word.marks) < len(text):
        text = text[: -len(word.marks)]
    return text.rstrip(LABEL_MARKS) or text


def cell_text(stacks: list[_Stack]) -> str:
    """A cell's label as read: its words line by line, top to bottom, each line left to right,
    footnote marks left out (`label_word`)."""
    words = [w for s in stacks for w in s.words]
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        if rows and abs(rows[-1][-1].middle - word.middle) <= 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    return " ".join(label_word(w) for row in rows for w in sorted(row, key=lambda w: w.x0))


def _cell_ends(stacks: list[_Stack], start: int, pattern: re.Pattern) -> list[int]:
    """Indexes just past each run of stacks from `start` whose label fully matches, longest first.

    A run stops at a gap wider than a word space (`WORD_SPACE` of the type size): 'Informational'
    and 'Reports' a column gutter apart are two labels, not the one label 'Informational Reports'."""
    ends = []
    for end in range(start + 1, min(len(stacks), start + MAX_CELL_STACKS) + 1):
        if end > start + 1:
            left, right = stacks[end - 2], stacks[end - 1]
            size = max(w.bottom - w.top for w in (*left.words, *right.words))
            if right.x0 - left.x1 > WORD_SPACE * size:
                break
        if pattern.fullmatch(cell_text(stacks[start:end])):
            ends.append(end)
    return sorted(ends, reverse=True)


def parse_band(lines: list[TextLine], layout: ListLayout) -> list[ListHeader]:
    """The lists a band of lines announces, or [] when the band is not wholly list headers.

    Each list is a name cell, then count cells of distinct roles making a complete set
    (`COMPLETE_ROLE_SETS`); several lists may follow one another across the band.
    """
    stacks = stacks_of(lines)
    top, bottom = min(line.top for line in lines), max(line.bottom for line in lines)

    def lists_from(i: int) -> list[ListHeader] | None:
        if i == len(stacks):
            return []
        for name_end in _cell_ends(stacks, i, layout.name_header):
            found = _with_list(i, name_end)
            if found is not None:
                return found
        return None

    def _with_list(i: int, name_end: int) -> list[ListHeader] | None:
        # The count cells are found first, then split off this list's: the recursion returns the
        # lists after it, and this list's columns are the ones parsed before them.
        result = _columns_then_rest(name_end, ())
        if result is None:
            return None
        columns, rest = result
        header = ListHeader(name_x0=stacks[i].x0, name_x1=stacks[name_end - 1].x1, columns=columns,
                            top=top, bottom=bottom, name_label=cell_text(stacks[i:name_end]))
        return [header] + rest

    def _columns_then_rest(i: int, used: tuple[CountColumn, ...]):
        if used and {c.role for c in used} in COMPLETE_ROLE_SETS:
            rest = lists_from(i)
            if rest is not None:
                return used, rest
        if i == len(stacks):
            return None
        for role, pattern in layout.count_headers.items():
            if any(c.role == role for c in used):
                continue
            for end in _cell_ends(stacks, i, pattern):
                column = CountColumn(role, cell_text(stacks[i:end]), stacks[i].x0, stacks[end - 1].x1)
                found = _columns_then_rest(end, used + (column,))
                if found is not None:
                    return found
        return None

    return lists_from(0) or []


def _tight(lines: list[TextLine]) -> bool:
    """Whether consecutive lines sit as close as a stacked label's lines."""
    return all(b.top - a.bottom <= BAND_LEADING * max(a.bottom - a.top, b.bottom - b.top)
               for a, b in zip(lines, lines[1:]))


def find_headers(lines: list[TextLine], layout: ListLayout) -> list[tuple[list[ListHeader], list[TextLine]]]:
    """Every header band on a page, top to bottom: the lists it announces and its lines.

    From each line, the widest band (three lines, then two, then one) that parses wins; a band's
    lines are not read again.
    """
    found = []
    i = 0
    while i < len(lines):
        for size in range(MAX_BAND_LINES, 0, -1):
            window = lines[i:i + size]
            if len(window) == size and _tight(window):
                headers = parse_band(window, layout)
                if headers:
                    found.append((headers, window))
                    i += size
                    break
        else:
            i += 1
    return found


# A line this close to a header band (a share of the band's line height), every word of it over a
# label cell and one over a count label, holding no number, is another line of a stacked label.
LABEL_NEIGHBOUR = 1.2


@dataclass(frozen=True)
class LooseLabel:
    """A word printed over a count column's label, right above or under its header band, that
    the band does not take in: the label may be stacked over lines the band leaves out ('Total'
    over 'Referrals' read as 'Total'), so the column's role is not certain."""

    word: Word
    column: CountColumn
    line: TextLine


def loose_labels(lines: list[TextLine], found: list[tuple[list[ListHeader], list[TextLine]]]) -> list[LooseLabel]:
    """Words stacked with a header's labels that its band left out (`LooseLabel`)."""
    banded = {id(line) for _, band in found for line in band}
    loose = []
    for headers, band in found:
        at = [k for k, line in enumerate(lines) if id(line) in {id(b) for b in band}]
        height = max(line.bottom - line.top for line in band)
        top, bottom = min(line.top for line in band), max(line.bottom for line in band)
        cells = [(h.name_x0, h.name_x1, None) for h in headers] + [(c.x0, c.x1, c) for h in headers for c in h.columns]
        for k in (min(at) - 1, max(at) + 1):
            if not 0 <= k < len(lines) or id(lines[k]) in banded:
                continue
            line = lines[k]
            gap = top - line.bottom if k < min(at) else line.top - bottom
            # A row ('Egypt -', counts printed '-') holds a count; a label line holds no number. A
            # footnote mark on a label (raised, or a small word of its own) is no number.
            largest = max(w.bottom - w.top for w in line.words)
            body = [w for w in line.words if w.bottom - w.top >= 0.8 * largest]
            if gap > LABEL_NEIGHBOUR * height or any(ch.isdigit() for w in body for ch in label_word(w)) \
                    or any(is_count_text(w.text) for w in body):
                continue
            over = [next((c for x0, x1, c in cells if w.x0 < x1 + 2 and w.x1 > x0 - 2), False) for w in line.words]
            if all(c is not False for c in over) and any(c is not None for c in over):
                loose.extend(LooseLabel(w, c, line) for w, c in zip(line.words, over) if c is not None)
    return loose


def header_like(line: TextLine, layout: ListLayout) -> bool:
    """A short line that starts like a list header but is not one ("Country Reports % change"):
    named in a refusal, so the reader of the message sees the wording NCMEC printed instead of
    only the wording we expected."""
    stacks = stacks_of([line])
    return (0 < len(line.words) <= 8 and not parse_band([line], layout)
            and bool(_cell_ends(stacks, 0, layout.name_header)))


def unknown_labels(line: TextLine, layout: ListLayout) -> str:
    """What stops a near-miss header line from parsing: the text after its name cell and after
    the longest run of known count labels ('% change'), for the refusal to name."""
    stacks = stacks_of([line])
    ends = _cell_ends(stacks, 0, layout.name_header)
    if not ends:
        return line.text
    i = ends[0]
    while i < len(stacks):
        nxt = [end for pattern in layout.count_headers.values() for end in _cell_ends(stacks, i, pattern)]
        if not nxt:
            break
        i = max(nxt)
    return cell_text(stacks[i:]) if i < len(stacks) else ""

"""Layout toolkit shared by the extractors: words -> text lines -> row bands -> cells.

`pipeline.pages` gives words with coordinates (pdfplumber's) and the drawn lines/rects. NCMEC draws a horizontal
border between table rows, so a row is everything between two borders; wrapped names (with the
count on the first, middle or last line) fall out of that for free. Where a region has no borders, rows
are rebuilt from text lines and refused when a wrapped line could belong to two rows.
All functions here are pure: plain dicts in, plain data out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

# A count as NCMEC prints it: 1,234,567 or 1234; "-" (or an en/em dash) means "no number".
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+$")
NO_NUMBER = {"-", "\u2013", "\u2014"}


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    # "<fontname> <size>" of the word's largest characters: tells a caption, heading or note
    # apart from the wrapped name it sits next to. Keyword-only so subclasses can add fields.
    font: str = field(default="", compare=False, kw_only=True)
    # Characters raised above the word's baseline, or digits and symbols printed smaller: a
    # footnote mark pdfplumber glued on ('234' + '1' comes out as one word '2341').
    marks: str = field(default="", compare=False, kw_only=True)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class TextLine:
    """Words on one line. Its top, bottom and text are computed once (readers ask for them
    hundreds of times per page)."""

    words: tuple[Word, ...]

    @cached_property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @cached_property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


# A gap between two characters wider than this share of their type size splits a word, space
# character or not: a producer that positions glyphs one by one prints no spaces (Chromium, an
# InDesign export), and pdfplumber's fixed 3 pt tolerance would glue 'United States' into one word
# at 10 pt (a space is 0.25-0.28 em). Letter-spacing up to 0.15 em stays inside a word.
WORD_GAP = 0.2


def words_from_page(page) -> list[Word]:
    """A page's words (a `pipeline.pages.PageContent`) as plain `Word`s: the only place that
    turns a page's characters into the list reader's words.

    Words are split exactly as without fonts (a font change inside a word does not split it);
    `font_and_marks` gives each its font and marks."""
    # A glyph drawn twice at (almost) the same place, the way some producers fake bold, is one
    # glyph: 'Google' overprinted 0.5 pt to the side would read 'GGooooggllee' and '56' '5566'.
    return [
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]),
             **font_and_marks(w["chars"]))
        for w in page.words(page.deduped_chars(tolerance=1), keep_blank_chars=False, use_text_flow=False,
                            return_chars=True, x_tolerance_ratio=WORD_GAP)
    ]


# A superscript's baseline sits higher than the text's by more than this share of the text size
# (shared with the OJJDP reader, which sees marks as words of their own).
SUPERSCRIPT_RISE = 0.15


# A font embedded as a subset is named 'ABCDEF+Arial'; producers may give the same font a new
# prefix in each content stream or page, which is no change of font.
SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


def font_and_marks(chars: list[dict]) -> dict[str, str]:
    """A word's font ("<fontname> <size>" of its largest characters) and its marks: characters
    raised above the rest's baseline (a superscript, at any size), or digits and symbols printed
    smaller than the rest. Smaller letters on the baseline are small capitals ('TOTAL' drawn
    as T + small OTAL), not marks."""
    if not chars:
        return {}
    # The text is the largest type in the word (a mark may have more characters than the word it
    # follows: '5' + superscript '12'), on the lowest baseline (a raised mark's box ends higher).
    size = max(round(float(c["size"]), 1) for c in chars)
    body = [c for c in chars if round(float(c["size"]), 1) == size]
    font = SUBSET_PREFIX.sub("", Counter(c["fontname"] for c in body).most_common(1)[0][0])
    baseline = max(float(c["bottom"]) for c in body)
    marks = "".join(c["text"] for c in chars
                    if float(c["bottom"]) < baseline - SUPERSCRIPT_RISE * size
                    or (float(c["size"]) < size - 0.5 and not c["text"].isalpha()))
    return {"font": f"{font} {size:.1f}", "marks": marks}


def horizontal_segments(page) -> list[tuple[float, float, float]]:
    """Every drawn horizontal edge on the page as (y, x0, x1): lines, the top/bottom of rects, and
    the straight horizontal pieces of paths (a rule drawn as one path of cell segments comes out
    of pdfplumber as a curve, not a line)."""
    segments = []
    for line in page.lines:
        if abs(line["top"] - line["bottom"]) < 1:
            segments.append((float(line["top"]), float(line["x0"]), float(line["x1"])))
    for rect in page.rects:
        if rect["x1"] - rect["x0"] > 2:
            segments.append((float(rect["top"]), float(rect["x0"]), float(rect["x1"])))
            segments.append((float(rect["bottom"]), float(rect["x0"]), float(rect["x1"])))
    for curve in page.curves:
        segments.extend(path_segments(curve.get("path") or []))
    return segments


def path_segments(path: list[tuple]) -> list[tuple[float, float, float]]:
    """The straight horizontal pieces of a pdfplumber path, as (y, x0, x1)."""
    return [(at, start, end) for horizontal, at, start, end in path_pieces(path) if horizontal]


def path_pieces(path: list[tuple]) -> list[tuple[bool, float, float, float]]:
    """The straight horizontal and vertical pieces ('l' from the current point) of a pdfplumber
    path, as (horizontal, at, start, end): y, x0, x1 for a horizontal piece, x, top, bottom for
    a vertical one. The points of a path are (x, top); 'h' closes it without moving."""
    pieces = []
    here = None
    for step in path:
        point = step[-1]
        if step[0] == "l" and here is not None:
            dx, dy = abs(point[0] - here[0]), abs(point[1] - here[1])
            if dy < 1 and dx > 2:
                pieces.append((True, float(here[1]), float(min(here[0], point[0])), float(max(here[0], point[0]))))
            elif dx < 1 and dy > 2:
                pieces.append((False, float(here[0]), float(min(here[1], point[1])), float(max(here[1], point[1]))))
        here = point if step[0] != "h" else here
    return pieces


def vertical_edges(page) -> list[float]:
    """x positions of drawn vertical edges: vertical lines and the sides of rects."""
    edges = []
    for line in page.lines:
        if abs(line["x0"] - line["x1"]) < 1:
            edges.append(float(line["x0"]))
    for rect in page.rects:
        edges.extend((float(rect["x0"]), float(rect["x1"])))
    return edges


def borders_across(segments: list[tuple[float, float, float]], x0: float, x1: float,
                   tolerance: float = 1.0) -> list[float]:
    """y positions of horizontal borders that span [x0, x1], joining collinear segments that touch.

    NCMEC draws each row border as one segment per cell, so a border across the table is the
    union of the segments at the same y.
    """
    by_y: dict[float, list[tuple[float, float]]] = {}
    for y, sx0, sx1 in sorted(segments):
        key = next((k for k in by_y if abs(k - y) <= tolerance), y)
        by_y.setdefault(key, []).append((min(sx0, sx1), max(sx0, sx1)))
    borders = []
    for y, spans in by_y.items():
        if any(start <= x0 + tolerance and end >= x1 - tolerance for start, end in _union(spans, tolerance)):
            borders.append(round(y, 2))
    return sorted(borders)


def merged_spans(spans: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Intervals merged where they overlap or touch (within `tolerance`), left to right."""
    return _union(spans, tolerance)


def _union(spans: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Merge intervals that touch (within `tolerance`) into disjoint intervals."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + tolerance:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def group_lines(words: list[Word], tolerance: float = 2.0) -> list[TextLine]:
    """Words into text lines: same line when their vertical middles are within `tolerance`."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        if lines and abs(lines[-1][-1].middle - word.middle) <= tolerance:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [TextLine(tuple(sorted(line, key=lambda w: w.x0))) for line in lines]


def words_between(words: list[Word], top: float, bottom: float) -> list[Word]:
    """Words whose vertical middle lies in (top, bottom)."""
    return [w for w in words if top < w.middle < bottom]


def is_count_text(text: str) -> bool:
    return bool(THOUSANDS.match(text)) or text in NO_NUMBER


def parse_count(text: str) -> int | None:
    """'1,234' -> 1234; '-' -> None. Anything else is a ValueError: never guess a number."""
    if text in NO_NUMBER:
        return None
    if not THOUSANDS.match(text):
        raise ValueError(f"not a count as NCMEC prints one: {text!r}")
    return int(text.replace(",", ""))


def join_count_pieces(pieces: list[str]) -> str:
    """A count broken across lines in a narrow cell ('24,768,90' then '3') read back whole.

    Pieces are joined only when some piece is not a well-formed count on its own and the joined
    text is one. Several well-formed counts in one cell are ambiguous: a ValueError, so the
    caller refuses the cell instead of guessing.
    """
    if len(pieces) == 1:
        return pieces[0]
    joined = "".join(pieces)
    if all(is_count_text(p) for p in pieces):
        raise ValueError(f"several numbers in one cell: {' | '.join(pieces)}")
    if not THOUSANDS.match(joined):
        raise ValueError(f"pieces do not join into one count: {' | '.join(pieces)}")
    return joined

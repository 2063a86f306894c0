"""What one OJJDP table cell prints: its words as text, its footnote markers, its numbers.

Step 3 and 4 of the reading described in `pipeline.extract.ojjdp`: a cell's words are read in
lines, footnote markers (printed small, or * \u2020 \u2021 at the end of a word) split off, and
the text read as one count, a count with its percent, or several labelled counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from pipeline.grid import Cell, SizedWord
from pipeline.layout import NO_NUMBER, SUPERSCRIPT_RISE, TextLine, group_lines, join_count_pieces, parse_count


# Superscript footnote markers are printed at 6.48 pt beside 11.04 pt text (both editions).
FOOTNOTE_SIZE_RATIO = 0.8
# A marker only a little smaller than the text (9 pt beside 11 pt) is one only when it is also
# raised (by `SUPERSCRIPT_RISE` of the text size) above the baseline of the word beside it.
RAISED_FOOTNOTE_SIZE_RATIO = 0.9
COUNT = re.compile(r"^\d{1,3}(,\d{3})*$")
PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
NUMBERISH = re.compile(r"^[\d,.%]+$")
# A label (or one level of a spanning header) that is just a year: "2022".
BARE_YEAR = re.compile(r"(?:19|20)\d\d")
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


def _safe_values(text: CellText) -> list[PrintedValue] | None:
    try:
        return read_values(text)
    except ValueError:
        return [PrintedValue(None, text.text, None, None)]  # numbers, if unreadable ones

"""Statements: every number NCMEC states in running text, as data.

Half of what the OJJDP editions say is in sentences ("As of January 31, 2023, NCMEC has added
6,482,859 hashes to ..."), and auditors quote them. This module reads those sentences from the
page texts the run caches (`run.extract_all` keeps them for the OJJDP editions; the list PDFs'
are read on demand, page 1 above the list only) and turns each stated number into a record:
the sentence as printed (whitespace-normalised, line-break hyphens joined), the number as
printed and as a value with the precision it was printed at, its unit, the year it describes,
any "as of DATE", its qualifier ("over", "approximately") and, when a cell of the same document
prints the same figure for the same year, that cell.

What a number counts, what bounds it and which table figure a sentence restates live in
`pipeline/data/statements.toml`; this module only applies it. What is *not* a statement is
recognised here, because it is how text is printed rather than what NCMEC says:

- page furniture (the copyright line, page numbers: the field catalog's `[text] ignore_lines`);
- table text: a line holding two or more numbers that are mostly numbers or that a table of the
  page prints, and any sentence holding a number a table of the page prints that does not end
  like a sentence (a table's wrapped labels and lone cells);
- footnote markers: digits glued to a word or to punctuation ("providers1", "million.2"), a
  superscript printed on its own line (dropped with the page numbers), and the number opening a
  footnote at the foot of the page ("1 A provider is defined as"); the footnote's text is read,
  marked `footnote`;
- years ("CY 2022", "In 1981", a bare 19xx/20xx), dates ("January 31, 2023"), list markers
  ("1. File is ...", "(3)") and the citations and phone numbers `[not_statements]` lists.

Everything here is a pure function over plain text and records, except `document_statements`'
caller in `run.py`, which supplies the page texts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources

from pipeline.fields import SENTENCE_SPLIT, CatalogError
from pipeline.fields import _pattern as catalog_pattern

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
MONTH = "|".join(MONTHS)
# "As of January 31, 2023" / "As of December 31, 2023"
AS_OF = re.compile(rf"\bas of ({MONTH}) (\d{{1,2}}), (\d{{4}})", re.IGNORECASE)
# "CY 2020", "CY2022", "calendar year 2021", a glued footnote digit after it ("CY 20229").
YEAR_MENTION = re.compile(r"\b(?:CY ?|calendar year |in |In )((?:19|20)\d{2})(?!\d{2})(?:\d)?\b")
# A printed number: digits with thousands commas or plain, an optional decimal part, then a
# percent sign or a scale word. Not inside a word or a number ("MD5", "2258A", "117-103").
NUMBER = re.compile(r"(?<![\w.,/\-–$§])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:(\s?%)|\s(thousand|million|billion)\b)?")
# A line opening a footnote: "1 A provider is defined as", "10 In addition to the lack".
FOOTNOTE_OPENING = re.compile(r"^(\d{1,2})\s+(?=\S)")
# Section headings ("C. ESPs Registered to Report", "ii. CyberTipline Reports Submitted", "III.
# Background") and list items ("1. File is visually reviewed") each start a new sentence.
HEADING = re.compile(r"^(?:[A-H]|[ivx]{1,4}|[IVX]{1,4})\.\s+[A-Z]")
LIST_ITEM = re.compile(r"^(\d{1,2})\.\s+[A-Z]")
SENTENCE_END = re.compile(r"(?<!\d)[.!?][\"'”’)]?\d{0,2}$")
# A line that closes a sentence or a clause: punctuation, then perhaps a quote and a footnote
# marker ("million.2"), but not a decimal point ("it received 36.2" / "million.").
LINE_END = re.compile(r"(?<!\d)[.!?:;)]['’”\"]?\d{0,2}$|(?<=\d)[!?:;)]$")
# Sentences also end before a number opening the next one ("… 21.7 million reports. 21.4
# million of these reports …", 2020 reports by ESP p.1).
# And after a footnote marker glued to the full stop ("… CY 2023, it received 36.2 million.2
# Appendix A contains …", 2023 ed. p.3).
NEXT_SENTENCE = re.compile(SENTENCE_SPLIT.pattern.removesuffix(r"(?=[A-Z“\"(])") + r"(?=[A-Z“\"(\d])"
                           r"|(?<=[a-z)][.!?]\d)\s+(?=[A-Z])|(?<=[a-z)][.!?]\d\d)\s+(?=[A-Z])")
# A stated figure must not be a bare year: NCMEC prints every count of 1,000 or more with commas.
BARE_YEAR = re.compile(r"^(?:19|20)\d{2}$")


class StatementsVocabularyError(ValueError):
    """pipeline/data/statements.toml is malformed."""


@dataclass(frozen=True)
class Unit:
    unit: str
    words: re.Pattern
    measures: tuple[str, ...]


@dataclass(frozen=True)
class CellSelect:
    """Cells of one table (and rows / columns) a stated figure may restate."""

    table_id: str
    row: re.Pattern | None = None
    column: re.Pattern | None = None

    def matches(self, cell: Mapping) -> bool:
        return cell["table_id"] == self.table_id and \
            (self.row is None or bool(self.row.search(cell.get("row_label") or ""))) and \
            (self.column is None or bool(self.column.search(cell.get("column_label") or "")))


@dataclass(frozen=True)
class Figure:
    id: str
    sentence: re.Pattern
    unit: str
    cells: tuple[CellSelect, ...]


@dataclass(frozen=True)
class YearClaim:
    """A sentence naming the years of a table: `table_id` (the years its cells of `measures`
    have), or, with `table_id` "next", the table(s) printed after the sentence (`plural`: every
    table up to the next such sentence, together)."""

    id: str
    sentence: re.Pattern
    table_id: str
    measures: tuple[str, ...]
    plural: re.Pattern | None = None


@dataclass(frozen=True)
class Vocabulary:
    units: tuple[Unit, ...]
    qualifiers: tuple[tuple[str, str], ...]  # (phrase, bound), longest phrase first
    scales: Mapping[str, int]
    not_before: tuple[re.Pattern, ...]
    not_after: tuple[re.Pattern, ...]
    figures: tuple[Figure, ...]
    cumulative: tuple[Figure, ...]
    adjusted: tuple[re.Pattern, ...]
    adjusted_within: int
    year_claims: tuple[YearClaim, ...]
    label_words: Mapping[str, re.Pattern]

    def unit(self, name: str | None) -> Unit | None:
        return next((u for u in self.units if u.unit == name), None)


def _pattern(text, where: str) -> re.Pattern:
    """A case-insensitive pattern, compiled as the field catalog compiles its own."""
    try:
        return catalog_pattern(text, where)
    except CatalogError as err:
        raise StatementsVocabularyError(str(err)) from None


def _figure(raw: dict, where: str, units: set[str]) -> Figure:
    if raw.get("unit") not in units:
        raise StatementsVocabularyError(f"{where}: unit must be one of the [[units]] ({', '.join(sorted(units))}),"
                                        f" found {raw.get('unit')!r}")
    selects = raw.get("cells") or [{k: raw[k] for k in ("table_id", "row", "column") if k in raw}]
    cells = []
    for i, select in enumerate(selects, start=1):
        if not isinstance(select.get("table_id"), str):
            raise StatementsVocabularyError(f"{where}, cells {i}: expected a table_id, found {select.get('table_id')!r}")
        cells.append(CellSelect(select["table_id"],
                                *(_pattern(select[k], f"{where}, {k}") if k in select else None
                                  for k in ("row", "column"))))
    return Figure(str(raw.get("id")), _pattern(raw.get("sentence"), f"{where}, sentence"), raw["unit"], tuple(cells))


def parse_vocabulary(data: dict, where: str = "statements.toml") -> Vocabulary:
    """A Vocabulary from the parsed TOML, refusing what the reader would misread."""
    units = tuple(Unit(str(u.get("unit")), _pattern(u.get("words"), f"{where}, units {u.get('unit')}"),
                       tuple(u.get("measures") or ())) for u in data.get("units") or [])
    if not units:
        raise StatementsVocabularyError(f"{where}: expected [[units]] entries, found none")
    names = {u.unit for u in units}
    qualifiers = []
    for q in data.get("qualifiers") or []:
        if q.get("bound") not in ("lower", "upper", "approximate"):
            raise StatementsVocabularyError(f"{where}, qualifier {q.get('phrase')!r}: bound must be lower, upper or"
                                            f" approximate, found {q.get('bound')!r}")
        qualifiers.append((str(q["phrase"]).lower(), q["bound"]))
    qualifiers.sort(key=lambda q: -len(q[0]))
    skip = data.get("not_statements") or {}
    adjusted = data.get("adjusted") or {}
    year_claims = tuple(YearClaim(str(c.get("id")), _pattern(c.get("sentence"), f"{where}, year_claims {c.get('id')}"),
                                  str(c.get("table_id")), tuple(c.get("measures") or ()),
                                  _pattern(c["plural"], f"{where}, year_claims {c.get('id')} plural")
                                  if "plural" in c else None)
                        for c in data.get("year_claims") or [])
    for claim in year_claims:
        if "years" not in claim.sentence.groupindex:
            raise StatementsVocabularyError(f"{where}, year_claims {claim.id}: the sentence pattern needs a (?P<years>…)"
                                            " group naming the years")
    return Vocabulary(
        units=units,
        qualifiers=tuple(qualifiers),
        scales={k.lower(): int(v) for k, v in (data.get("scales") or {}).items()},
        not_before=tuple(_pattern(p, f"{where}, not_statements before") for p in skip.get("before", [])),
        not_after=tuple(_pattern(p, f"{where}, not_statements after") for p in skip.get("after", [])),
        figures=tuple(_figure(f, f"{where}, figures {f.get('id')}", names) for f in data.get("figures") or []),
        cumulative=tuple(_figure(f, f"{where}, cumulative {f.get('id')}", names) for f in data.get("cumulative") or []),
        adjusted=tuple(_pattern(p, f"{where}, adjusted") for p in adjusted.get("sentences", [])),
        adjusted_within=int(adjusted.get("within", 4)),
        year_claims=year_claims,
        label_words={str(w["measure"]): _pattern(w.get("contradicted_by"), f"{where}, label_words {w.get('measure')}")
                     for w in data.get("label_words") or []},
    )


@functools.lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    text = resources.files("pipeline.data").joinpath("statements.toml").read_text(encoding="utf-8")
    try:
        return parse_vocabulary(tomllib.loads(text), "pipeline/data/statements.toml")
    except tomllib.TOMLDecodeError as err:
        raise StatementsVocabularyError(f"pipeline/data/statements.toml: not valid TOML: {err}") from None


# --- running text: pages -> sentences ----------------------------------------------------------

@dataclass(frozen=True)
class Sentence:
    page: int
    index: int  # order on the page, from 0
    text: str
    location: str  # body | footnote


def _numbers(line: str) -> list[str]:
    return [m.group(0).strip() for m in NUMBER.finditer(line) if not BARE_YEAR.match(m.group(0))]


LOWERCASE_WORD = re.compile(r"^[a-z][a-z'’-]*[,.;:]?$")
# A line with this many lowercase words is prose, even when it restates a number a table of the
# page prints ("this number increased to 149 new ESPs; and in CY 2022 68 new ESPs were …").
PROSE_WORDS = 5


def is_table_line(line: str, table_numbers: set[str]) -> bool:
    """A table row or cell rather than prose: two or more numbers that make up much of the line
    ("2,394 5,139 6,692"), or a number a table of the page prints on a line that is not prose
    ("New ESPs Registered by NCMEC 42 149 68", "Informational: 11,900")."""
    numbers = _numbers(line)
    if not numbers:
        return False
    tokens = line.split()
    if len(numbers) >= 2 and len(numbers) >= 0.4 * len(tokens):
        return True
    in_tables = any(n in table_numbers or n.rstrip("%").strip() in table_numbers for n in numbers)
    return in_tables and sum(bool(LOWERCASE_WORD.match(t)) for t in tokens) < PROSE_WORDS


def footnote_start(lines: Sequence[str], vocabulary: Vocabulary) -> int:
    """Index of the first line of the page's footnotes ("1 A provider is defined as …"), or
    len(lines). A line opening with a small number followed by a unit ("41 ESPs and 8 …",
    "68 new ESPs were registered") is prose that wrapped, not a footnote."""
    for index, line in enumerate(lines):
        opening = FOOTNOTE_OPENING.match(line)
        if not opening or NUMBER.match(line).group(3) or NUMBER.match(line).group(4):
            continue
        rest = line[opening.end():]
        if not any(u.words.match(rest) for u in vocabulary.units) and rest[:1].isupper():
            return index
    return len(lines)


def _chunks(lines: Sequence[str], table_numbers: set[str]) -> list[str]:
    """Lines joined into runs of running text: a table row, a heading or a list item ends the run
    before it; a line ending like a sentence ends its own."""
    chunks, current = [], ""
    for line in lines:
        if is_table_line(line, table_numbers):
            chunks.extend([current, ""] if current else [""])
            current = ""
            continue
        if HEADING.match(line) or LIST_ITEM.match(line):
            if current:
                chunks.append(current)
            current = ""
        current = current + line if current.endswith("-") and not current.endswith(" -") else \
            (f"{current} {line}" if current else line)
        if LINE_END.search(line) or HEADING.match(line) and not current.endswith(","):
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return [c for c in chunks if c]


def _footnotes(lines: Sequence[str]) -> list[str]:
    """The footnotes' texts, each without its opening marker."""
    notes: list[str] = []
    for line in lines:
        opening = FOOTNOTE_OPENING.match(line)
        if opening and line[opening.end():][:1].isupper():
            notes.append(line[opening.end():])
        elif notes:
            notes[-1] = notes[-1] + line if notes[-1].endswith("-") else f"{notes[-1]} {line}"
    return notes


def page_running_sentences(text: str, *, page: int, vocabulary: Vocabulary,
                           ignore_lines: Sequence[re.Pattern] = (), table_numbers: set[str] = frozenset(),
                           stop_at: re.Pattern | None = None) -> list[Sentence]:
    """The sentences of one page's running text (body, then footnotes). `table_numbers` are the
    numbers the page's tables print, as printed; `stop_at` ends the running text at the first
    line it matches (a list PDF's column header)."""
    lines = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if stop_at is not None and stop_at.search(line):
            break
        if line and not any(p.search(line) for p in ignore_lines):
            lines.append(line)
    split = footnote_start(lines, vocabulary)
    sentences: list[Sentence] = []
    for location, chunks in (("body", _chunks(lines[:split], table_numbers)), ("footnote", _footnotes(lines[split:]))):
        for chunk in chunks:
            for text_ in NEXT_SENTENCE.split(chunk):
                text_ = " ".join(text_.split())
                if not text_ or _is_table_text(text_, table_numbers):
                    continue
                sentences.append(Sentence(page, len(sentences), text_, location))
    return sentences


def _is_table_text(sentence: str, table_numbers: set[str]) -> bool:
    """A table's wrapped label or lone cell that got joined into a run: it holds a number a
    table of the page prints and does not end like a sentence."""
    return not SENTENCE_END.search(sentence) and any(n in table_numbers for n in _numbers(sentence))


# --- numbers in a sentence ---------------------------------------------------------------------

@dataclass(frozen=True)
class StatedNumber:
    position: int
    number_text: str
    value: float
    precision: float
    unit: str | None
    qualifier: str | None
    bound: str | None  # lower | upper | approximate | None (exact)
    year: int | None
    period: str | None
    as_of: dt.date | None

    def interval(self) -> tuple[float, float]:
        return stated_interval(self.value, self.precision, self.bound)


def stated_interval(value: float, precision: float, bound: str | None) -> tuple[float, float]:
    """The values a printed number allows, given its qualifier and printing precision: an exact
    figure [v, v]; a rounded figure ("36.2 million") v ± precision/2; "over v" / "more than v"
    [v, v + precision] (a truncated figure: 21,751,085 is "over 21.7 million"; an exact one
    without a scale, "more than 400", only bounds from below); "up to v" / "nearly v"
    [v - precision, v]; "approximately v" v ± precision (one unit of the printing precision:
    "approximately 75,000" allows 74,000 to 76,000)."""
    v, p = value, precision
    if bound == "lower":
        return v, v + p if p > 1 else float("inf")
    if bound == "upper":
        return (v - p if p > 1 else float("-inf")), v
    if bound == "approximate":
        return v - p, v + p
    return (v - p / 2, v + p / 2) if p > 1 else (v, v)


def allows(value: float, precision: float, bound: str | None, printed: float | None) -> bool:
    """The printed figure `printed` is one the stated number allows."""
    if printed is None:
        return False
    low, high = stated_interval(value, precision, bound)
    return low <= printed <= high


def _precision(digits: str, decimals: str | None, scale: int, qualified: bool) -> float:
    """The unit of the last printed digit: 0.1 million for "21.7 million", 1,000 for an
    "approximately 75,000". An unqualified count without a scale word is exact (precision 1)."""
    if decimals:
        return 10 ** -len(decimals) * scale
    if scale > 1:
        return float(scale)
    if not qualified:
        return 1.0
    plain = digits.replace(",", "")
    zeros = len(plain) - len(plain.rstrip("0")) if plain.strip("0") else 0
    return float(10 ** zeros)


def _year_for(sentence: str, start: int) -> tuple[int | None, str | None]:
    """The year a number describes: the year its clause (clauses split at ';') names before it,
    else the one year the sentence names before it. A clause naming several years ("in CY 2020,
    CY 2021, and CY 2022 for each of these 4 series categories") gives a period, not a year."""
    clause_start = sentence.rfind(";", 0, start) + 1
    years = sorted({int(m.group(1)) for m in YEAR_MENTION.finditer(sentence, clause_start, start)})
    if not years:
        years = sorted({int(m.group(1)) for m in YEAR_MENTION.finditer(sentence, 0, start)})
    if not years:
        return None, None
    if len(years) == 1:
        return years[0], f"CY {years[0]}"
    return None, f"CY {years[0]}–CY {years[-1]}"


def _skipped(sentence: str, match: re.Match, vocabulary: Vocabulary) -> bool:
    digits = match.group(1) + (match.group(2) or "")
    before, after = sentence[:match.start()], sentence[match.end():]
    if BARE_YEAR.match(digits) and not match.group(4):
        return True  # a year
    if re.search(r"\bCY ?$", before) or re.search(rf"\b(?:{MONTH})\s*$", before, re.IGNORECASE):
        return True  # "CY 2022", the day in "January 31, 2023"
    if re.match(r"^\d", after) or re.match(r"^[A-Za-z]", after) and not re.match(r"^[a-z]{3,}", after):
        return True  # glued to a word ("2258A")
    if re.match(r"^(?:st|nd|rd|th)\b", after):
        return True  # ordinals
    if match.start() == 0 and re.match(r"^\.(?:\s|$)", after):
        return True  # a list marker ("1. File is …")
    return any(p.search(before) for p in vocabulary.not_before) or any(p.search(after) for p in vocabulary.not_after)


def _qualifier(before: str, vocabulary: Vocabulary) -> tuple[str | None, str | None]:
    tail = before.rstrip().lower()
    for phrase, bound in vocabulary.qualifiers:
        if tail.endswith(phrase) and (len(tail) == len(phrase) or not tail[-len(phrase) - 1].isalnum()):
            return phrase, bound
    return None, None


def _unit(after: str, vocabulary: Vocabulary) -> str | None:
    text = after.lstrip()
    for unit in vocabulary.units:
        if unit.words.match(text):
            return unit.unit
    return None


def sentence_numbers(sentence: str, vocabulary: Vocabulary) -> list[StatedNumber]:
    """Every stated number of one sentence, in order. A number printed without a unit takes the
    unit of the number before it in the sentence ("it received 29.3 million; and …")."""
    as_of = None
    found = []
    last_unit = None
    for match in NUMBER.finditer(sentence):
        if _skipped(sentence, match, vocabulary):
            continue
        digits, decimals, percent, scale_word = match.groups()
        scale = vocabulary.scales.get((scale_word or "").lower(), 1)
        qualifier, bound = _qualifier(sentence[:match.start()], vocabulary)
        value = float(digits.replace(",", "") + (decimals or "")) * scale
        unit = "percent" if percent else _unit(sentence[match.end():], vocabulary)
        unit = unit or last_unit
        last_unit = unit
        dates = list(AS_OF.finditer(sentence, 0, match.start()))
        as_of = None
        if dates:
            month, day, year = dates[-1].groups()
            as_of = dt.date(int(year), [m.lower() for m in MONTHS].index(month.lower()) + 1, int(day))
        year, period = (None, None) if as_of else _year_for(sentence, match.start())
        found.append(StatedNumber(
            position=match.start(), number_text=match.group(0).strip(), value=value,
            precision=_precision(digits, decimals and decimals[1:], scale, qualifier is not None),
            unit=unit, qualifier=qualifier, bound=bound, year=year, period=period, as_of=as_of))
    return found


# --- a document's statements --------------------------------------------------------------------

def agrees(number: StatedNumber, value: float | None) -> bool:
    return allows(number.value, number.precision, number.bound, value)


def figure_for(sentence: str, number: StatedNumber, figures: Sequence[Figure]) -> Figure | None:
    """The vocabulary's figure a stated number restates: its sentence and unit match."""
    return next((f for f in figures if f.unit == number.unit and f.sentence.search(sentence)), None)


def matching_cell(number: StatedNumber, sentence: str, cells: Sequence[Mapping], vocabulary: Vocabulary) \
        -> Mapping | None:
    """A cell of the document that prints the stated figure for the same year: one the
    sentence's figure selects when the vocabulary names one, else any cell of a measure the unit
    allows. The first by page, table, row and column when several do."""
    if number.year is None or number.unit is None:
        return None
    unit = vocabulary.unit(number.unit)
    figure = figure_for(sentence, number, vocabulary.figures)
    candidates = [c for c in cells if c.get("year") == number.year and (
        any(s.matches(c) for s in figure.cells) if figure else unit is not None and c["measure"] in unit.measures)]
    if number.unit == "percent":
        found = [c for c in candidates if c.get("percent") is not None and agrees(number, float(c["percent"]))]
    else:
        found = [c for c in candidates if c["measure"] != "percent" and agrees(number, c.get("value"))]
    found.sort(key=lambda c: (c.get("page") or 0, c["table_id"], c.get("row_label") or "", c.get("column_label") or ""))
    return found[0] if found else None


def cumulative_for(sentence: str, number: StatedNumber, vocabulary: Vocabulary) -> Figure | None:
    return figure_for(sentence, number, vocabulary.cumulative) if number.as_of else None


def adjusted_by(sentences: Sequence[Sentence], index: int, vocabulary: Vocabulary) -> str | None:
    """A sentence right after `sentences[index]` on its page saying the total was adjusted."""
    for later in sentences[index + 1:index + 1 + vocabulary.adjusted_within]:
        if any(p.search(later.text) for p in vocabulary.adjusted):
            return later.text
    return None


def table_numbers_by_page(cells: Sequence[Mapping]) -> dict[int, set[str]]:
    """page -> the numbers the page's tables print, as printed."""
    by_page: dict[int, set[str]] = {}
    for cell in cells:
        if cell.get("value_text"):
            by_page.setdefault(cell.get("page") or 0, set()).add(str(cell["value_text"]).strip())
    return by_page


def document_sentences(pages: Sequence[str], *, cells: Sequence[Mapping] = (), ignore_lines: Sequence[re.Pattern] = (),
                       stop_at: re.Pattern | None = None, max_pages: int | None = None,
                       vocabulary: Vocabulary | None = None) -> list[Sentence]:
    """Every sentence of a document's running text, page 1 first."""
    vocabulary = vocabulary or load_vocabulary()
    by_page = table_numbers_by_page(cells)
    sentences: list[Sentence] = []
    for number, text in enumerate(pages[:max_pages] if max_pages else pages, start=1):
        sentences.extend(page_running_sentences(text, page=number, vocabulary=vocabulary, ignore_lines=ignore_lines,
                                                table_numbers=by_page.get(number, set()), stop_at=stop_at))
    return sentences


def document_statements(sentences: Sequence[Sentence], *, edition: int, family: str, source_file: str,
                        source_sha256: str | None, cells: Sequence[Mapping] = (), default_year: int | None = None,
                        vocabulary: Vocabulary | None = None) -> list[dict]:
    """One record per stated number of one document's sentences (statements.parquet rows).
    `cells` are the document's table cells (ojjdp_cells rows, or a list PDF's printed total as
    one cell). `default_year` is the year of a number whose sentence names none (a list PDF
    covers one year)."""
    vocabulary = vocabulary or load_vocabulary()
    records = []
    for index, sentence in enumerate(sentences):
        on_page = [s for s in sentences[index:] if s.page == sentence.page]
        for stated in sentence_numbers(sentence.text, vocabulary):
            if default_year is not None and stated.year is None and stated.as_of is None and stated.period is None:
                stated = replace(stated, year=default_year, period=f"CY {default_year}")
            cell = matching_cell(stated, sentence.text, cells, vocabulary)
            figure = figure_for(sentence.text, stated, vocabulary.figures) if stated.year else None
            cumulative = cumulative_for(sentence.text, stated, vocabulary)
            records.append({
                "edition": edition, "family": family, "page": sentence.page, "sentence_index": sentence.index,
                "location": sentence.location, "sentence": sentence.text, "position": stated.position,
                "number_text": stated.number_text, "value": stated.value, "precision": stated.precision,
                "unit": stated.unit, "qualifier": stated.qualifier, "bound": stated.bound,
                "year": stated.year, "period": stated.period, "as_of": stated.as_of,
                "figure": (cumulative or figure).id if (cumulative or figure) else None,
                "cumulative": cumulative is not None,
                "adjusted_by": adjusted_by(on_page, 0, vocabulary) if cumulative else None,
                "table_id": cell["table_id"] if cell else None,
                "row_label": cell.get("row_label") if cell else None,
                "column_label": cell.get("column_label") if cell else None,
                "cell_page": cell.get("page") if cell else None,
                "source_file": source_file, "source_sha256": source_sha256,
            })
    return records


def list_header_pattern(family: str) -> re.Pattern:
    """The line that opens a list PDF's list (its column header: the name column's label, then a
    count column's, as `pipeline/data/list_layouts.csv` words them): the running text ends there."""
    from pipeline.extract.list_headers import load_layouts

    layout = load_layouts()[family]
    counts = "|".join(f"(?:{p.pattern})" for p in layout.count_headers.values())
    return re.compile(rf"^(?:{layout.name_header.pattern})\s+(?:{counts})(?:\s|$)", re.IGNORECASE)


def reading_text(text: str) -> str:
    """A page's text (or a sentence) as one line, line-break hyphens joined: where a sentence or
    a caption lies on its page is found in this."""
    return re.sub(r"-\s+", "-", " ".join((text or "").split()))


def sentence_offsets(pages: Sequence[str], sentences: Sequence[Sentence]) -> list[int | None]:
    """Where each sentence starts in its page's reading text (None when it cannot be found),
    each searched after the one before it on the page: two sentences may open alike ("The chart
    below shows the number of CyberTipline reports NCMEC received …", 2022 ed. p.4)."""
    flat = {number: reading_text(text) for number, text in enumerate(pages, start=1)}
    offsets: list[int | None] = []
    last: dict[int, int] = {}
    for sentence in sentences:
        text = reading_text(sentence.text)
        at = next((found for length in (60, 25) if (found := flat.get(sentence.page, "").find(
            text[:length], last.get(sentence.page, 0))) >= 0), None)
        if at is not None:
            last[sentence.page] = at + 1
        offsets.append(at)
    return offsets


def table_anchors(pages: Sequence[str], tables: Sequence[Mapping]) -> list[dict]:
    """Each table of an edition with where its caption starts on its page, in reading order: the
    caption's first eight, five or three words, the first found (a header cell printed inside a
    wrapped caption breaks longer runs); 0 when the page text holds none of them."""
    anchors = []
    for table in tables:
        flat = reading_text(pages[table["page"] - 1]) if 0 < table["page"] <= len(pages) else ""
        words = reading_text(table.get("caption") or "").split()
        at = next((found for n in (8, 5, 3) if words and (found := flat.find(" ".join(words[:n]))) >= 0), 0)
        anchors.append({**table, "offset": at})
    return sorted(anchors, key=lambda t: (t["page"], t["offset"], t["table_id"]))


@dataclass
class RunStatements:
    """A run's statements (statements.parquet rows), its sentences ({source_file, page, offset,
    sentence}), the cells the checks compare with (ojjdp_cells and the list totals) and the
    OJJDP tables in reading order (ojjdp_tables rows with their caption's `offset`)."""

    statements: list[dict]
    sentences: list[dict]
    cells: list[dict]
    tables: list[dict] = field(default_factory=list)

    def extend(self, other: RunStatements) -> None:
        """Another document's share added after this one's."""
        self.statements.extend(other.statements)
        self.sentences.extend(other.sentences)
        self.cells.extend(other.cells)
        self.tables.extend(other.tables)


def document_share(doc: Mapping, tables: Mapping[str, Sequence[Mapping]], pages: Sequence[str],
                   ignore_lines: Sequence[re.Pattern] = (), total_page: int | None = None) -> RunStatements:
    """One published document's statements, where its family says its running text is
    (`Family.running_text`: an OJJDP edition's every page, a list PDF's first page above its
    list, whose numbers describe the list's year). `tables` are the run's output rows (the cells
    a sentence may restate: `Family.statement_cells`, the document's own); `total_page` is a
    list PDF's total row page, for the checks' page references. It needs nothing of the other
    documents, so a run finds it as soon as the document publishes (`run.OutputsBuilder`)."""
    from pipeline.families import FAMILIES

    vocabulary = load_vocabulary()
    family = FAMILIES[doc["family"]]
    text = family.running_text
    cells, titled = family.statement_cells(doc, tables, total_page)
    sentences = document_sentences(pages, cells=cells, ignore_lines=ignore_lines, vocabulary=vocabulary,
                                   stop_at=list_header_pattern(doc["family"]) if text.ends_at_list else None,
                                   max_pages=text.max_pages)
    return RunStatements(
        statements=document_statements(
            sentences, edition=doc["year"], family=doc["family"], source_file=doc["source_file"],
            source_sha256=doc.get("sha256"), cells=cells, default_year=doc["year"] if text.year_is_edition else None,
            vocabulary=vocabulary),
        sentences=[{"source_file": doc["source_file"], "page": s.page, "offset": offset, "sentence": s.text}
                   for s, offset in zip(sentences, sentence_offsets(pages, sentences))],
        cells=list(cells),
        tables=table_anchors(pages, titled))


# --- reading statements.parquet: `fields FIELD` ------------------------------------------------

def mentioning(statements: Sequence[Mapping], fields: Sequence) -> dict[str, list[Mapping]]:
    """field id -> the statements that mention it: their sentence matches one of the field's
    `mentions` patterns, or the table cell they restate is one the field's sources select."""
    found: dict[str, list[Mapping]] = {}
    for field in fields:
        sources = [s for s in field.sources if s.table == "ojjdp_cells"]
        def selects(statement: Mapping) -> bool:
            if not statement.get("table_id"):
                return False
            cell = {"table_id": statement["table_id"], "row_label": statement.get("row_label") or "",
                    "column_label": statement.get("column_label") or ""}
            return any((s.table_id is None or s.table_id.fullmatch(cell["table_id"]))
                       and (s.row is None or s.row.search(cell["row_label"]))
                       and (s.column is None or s.column.search(cell["column_label"]))
                       and (s.label is None or s.label.search(cell["row_label"]) or s.label.search(cell["column_label"]))
                       for s in sources)
        mine = [s for s in statements if any(p.search(s["sentence"]) for p in field.mentions) or selects(s)]
        if mine:
            found[field.id] = sorted(mine, key=lambda s: (-(s.get("edition") or 0), s["source_file"], s["page"],
                                                          s["sentence_index"], s["position"]))
    return found


def describe_statement(statement: Mapping) -> str:
    """'over 21.7 million reports, CY 2020 (= reports_by_submitter p.4)'."""
    qualifier = f"{statement['qualifier']} " if statement.get("qualifier") else ""
    unit = f" {statement['unit']}" if statement.get("unit") and statement["unit"] != "percent" else ""
    when = (f", as of {statement['as_of']}" if statement.get("as_of") else
            f", {statement['period']}" if statement.get("period") else "")
    cell = (f" (= {statement['table_id']}" + (f" p.{statement['cell_page']}" if statement.get("cell_page") else "") + ")"
            if statement.get("table_id") else "")
    return f"{qualifier}{statement['number_text']}{unit}{when}{cell}"


def render_mentions(found: Mapping[str, Sequence[Mapping]], fmt: str = "text") -> str:
    """The statements beside a field's table values (`fields FIELD`)."""
    lines = []
    for field_id, statements in found.items():
        if fmt == "markdown":
            lines.append(f"\nStatements mentioning `{field_id}` (statements.parquet):\n")
            lines.extend(f"- {s['source_file']} p.{s['page']}: {describe_statement(s)} — «{s['sentence']}»"
                         for s in statements)
        else:
            lines.append(f"{field_id}: statements in the running text (statements.parquet)")
            lines.extend(f"  {s['source_file']} p.{s['page']}: {describe_statement(s)}\n      «{s['sentence']}»"
                         for s in statements)
    return "\n".join(lines) + "\n"

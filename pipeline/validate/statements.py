"""Prose–table checks: the numbers NCMEC states in sentences against the numbers its tables print.

Four named checks, all advisory (a finding for auditors never stops a document), each with both
numbers and both pages (`page` the sentence's, `other_page` the table's or the earlier
sentence's):

  statement_figure:<figure>             a yearly figure stated in a sentence ("In CY 2020, 42
                                        new ESPs were registered") against the cells of the same
                                        edition that print it (pipeline/data/statements.toml
                                        [[figures]]); off by no more than the printing precision
                                        is `rounding`, more is a `conflict`
  statement_cumulative:<id>             a running total "as of DATE" against the yearly
                                        additions the same edition prints for the years that
                                        ended by then: it cannot be smaller than their sum
  statement_cumulative_period:<id>      two editions' running totals: the increase between the
                                        two dates against the additions the tables print for the
                                        years in between (at least the years wholly inside the
                                        period, at most every year it touches)
  statement_years:<claim>               a sentence naming which years a table splits, or which
                                        years the chart below it covers, against the table
  label_measure:<table_id>              a row or column label whose words contradict the measure
                                        the rules file gives its cells (`label`)

A running total the text itself says was adjusted ("the total count has been adjusted", within a
few sentences on its page) that fails is `non_additive`: the document says it is not a sum.
Qualifiers widen what a stated number allows (`pipeline.statements.stated_interval`):
"approximately 75,000" allows 74,000 to 76,000; "over 374 million" 374 to 375 million.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pipeline.statements import CellSelect, Vocabulary, allows, load_vocabulary, stated_interval
from pipeline.validate import CheckResult


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _quote(statement: Mapping) -> str:
    return f"«{statement['sentence']}»"


def _where(cell: Mapping) -> str:
    row = f", row {cell['row_label']!r}" if cell.get("row_label") else ""
    column = f", column {cell['column_label']!r}" if cell.get("column_label") else ""
    page = f", page {cell['page']}" if cell.get("page") else ""
    return f"{cell['table_id']}{row}{column}{page}"


def _counts(cells: Sequence[Mapping]) -> list[Mapping]:
    return [c for c in cells if c.get("measure") != "percent"]


def _selected(cells: Sequence[Mapping], selects: Sequence[CellSelect], source_file: str) -> list[Mapping]:
    return [c for c in _counts(cells) if c.get("source_file") == source_file and any(s.matches(c) for s in selects)]


# --- a yearly figure stated in a sentence ------------------------------------------------------

def check_stated_figures(statements: Sequence[Mapping], cells: Sequence[Mapping],
                         vocabulary: Vocabulary | None = None) -> list[CheckResult]:
    """One result per stated yearly figure whose vocabulary figure the same document's tables
    print for that year. Passes when a printed cell is a value the stated number allows."""
    vocabulary = vocabulary or load_vocabulary()
    figures = {f.id: f for f in vocabulary.figures}
    results = []
    for statement in statements:
        figure = figures.get(statement.get("figure") or "")
        if figure is None or statement.get("cumulative") or statement.get("year") is None:
            continue
        candidates = [c for c in _selected(cells, figure.cells, statement["source_file"])
                      if c.get("year") == statement["year"] and c.get("value") is not None]
        if not candidates:
            continue  # no table of this document prints the figure for that year
        value, precision, bound = statement["value"], statement["precision"], statement.get("bound")
        agreeing = [c for c in candidates if allows(value, precision, bound, c["value"])]
        cell = (agreeing or sorted(candidates, key=lambda c: (abs(c["value"] - value), c.get("page") or 0)))[0]
        passed = bool(agreeing)
        kind = None
        if not passed:
            low, high = stated_interval(value, precision, bound)
            # Off by no more than one unit of the printing precision: a rounding choice
            # ("29.3 million" for 29,397,681, which rounds to 29.4), not a different number.
            kind = "rounding" if precision > 1 and low - precision <= cell["value"] <= high + precision else "conflict"
        qualifier = f"{statement['qualifier']} " if statement.get("qualifier") else ""
        verdict = "agrees" if passed else f"does not agree (difference {cell['value'] - value:+,.0f})"
        results.append(CheckResult(
            statement["source_file"], f"statement_figure:{figure.id}", False, passed,
            float(cell["value"]), float(value),
            f"{statement['source_file']} p.{statement['page']}: {_quote(statement)} states {qualifier}"
            f"{statement['number_text']} for CY {statement['year']}; {_where(cell)} prints {_fmt(cell['value'])}:"
            f" {verdict}", in_source=not passed, page=statement["page"], kind=kind,
            relation="~" if precision > 1 or bound else "=",
            other_source_file=statement["source_file"], other_page=cell.get("page"), sentence=statement["sentence"]))
    return results


# --- running totals "as of DATE" ---------------------------------------------------------------

def _year_ended_by(year: int, date: dt.date) -> bool:
    return dt.date(year, 12, 31) <= date


def _additions(cells: Sequence[Mapping], selects: Sequence[CellSelect], source_file: str) -> dict[int, Mapping]:
    """year -> the one additions cell of that year (the first by page when a vocabulary entry
    selects several: its row/column patterns should select one)."""
    found: dict[int, Mapping] = {}
    for cell in sorted(_selected(cells, selects, source_file), key=lambda c: (c.get("page") or 0, c.get("row_label") or "")):
        if cell.get("year") is not None:
            found.setdefault(cell["year"], cell)
    return found


def check_cumulative_within(statements: Sequence[Mapping], cells: Sequence[Mapping],
                            vocabulary: Vocabulary | None = None) -> list[CheckResult]:
    """A running total as of DATE is at least the sum of the yearly additions the same edition
    prints for the years that ended by DATE (a "-" adds nothing known)."""
    vocabulary = vocabulary or load_vocabulary()
    by_id = {f.id: f for f in vocabulary.cumulative}
    results = []
    for statement in statements:
        figure = by_id.get(statement.get("figure") or "")
        if figure is None or not statement.get("cumulative"):
            continue
        as_of = statement["as_of"]
        additions = {y: c for y, c in _additions(cells, figure.cells, statement["source_file"]).items()
                     if _year_ended_by(y, as_of)}
        if not additions:
            continue
        years = sorted(additions)
        known = [additions[y] for y in years if additions[y].get("value") is not None]
        summed = float(sum(c["value"] for c in known))
        low, high = stated_interval(statement["value"], statement["precision"], statement.get("bound"))
        passed = high >= summed
        adjusted = statement.get("adjusted_by")
        terms = " + ".join(f"{_fmt(additions[y].get('value'))} (CY {y})" for y in years)
        message = (f"{statement['source_file']} p.{statement['page']}: {_quote(statement)}: "
                   f"{statement['number_text']} {statement.get('unit') or ''} as of {as_of.isoformat()} against the"
                   f" additions {figure.cells[0].table_id} prints (page {known[0]['page'] if known else '?'}):"
                   f" {terms} = {_fmt(summed)}; a running total cannot be smaller than the additions it includes")
        if not passed:
            message += f" (short by {summed - high:,.0f})"
            if adjusted:
                message += f"; the text says the total was adjusted: «{adjusted}»"
        results.append(CheckResult(
            statement["source_file"], f"statement_cumulative:{figure.id}", False, passed, summed,
            float(statement["value"]), message, in_source=not passed, page=statement["page"],
            kind=None if passed else ("non_additive" if adjusted else "conflict"), relation=">=",
            other_source_file=statement["source_file"], other_page=known[0]["page"] if known else None,
            sentence=statement["sentence"]))
    return results


def period_bounds(additions: Mapping[int, Mapping], start: dt.date, end: dt.date) -> tuple[float, float | None, list[int]]:
    """What the printed yearly additions allow a running total to grow by from `start` to `end`:
    at least the additions of the years wholly inside the period, at most those of every year it
    touches (None when one of those is not printed: no upper bound). Also the years touched."""
    touched = [y for y in range(start.year, end.year + 1) if dt.date(y, 12, 31) > start and dt.date(y, 1, 1) <= end]
    inside = [y for y in touched if dt.date(y, 1, 1) > start and dt.date(y, 12, 31) <= end]
    def value(year):
        cell = additions.get(year)
        return None if cell is None else cell.get("value")
    lower = float(sum(value(y) or 0 for y in inside))
    upper_values = [value(y) for y in touched]
    upper = None if any(v is None for v in upper_values) else float(sum(upper_values))
    return lower, upper, touched


def check_cumulative_between(statements: Sequence[Mapping], cells: Sequence[Mapping],
                             vocabulary: Vocabulary | None = None) -> list[CheckResult]:
    """Consecutive running totals of one id (two editions' "as of" dates): the increase must lie
    within what the yearly additions printed for the period allow, with the qualifiers' slack."""
    vocabulary = vocabulary or load_vocabulary()
    by_id = {f.id: f for f in vocabulary.cumulative}
    groups: dict[str, list[Mapping]] = defaultdict(list)
    for statement in statements:
        if statement.get("cumulative") and statement.get("figure") in by_id:
            groups[statement["figure"]].append(statement)
    results = []
    for figure_id, found in sorted(groups.items()):
        figure = by_id[figure_id]
        found = sorted(found, key=lambda s: (s["as_of"], s["edition"]))
        for earlier, later in zip(found, found[1:]):
            if earlier["as_of"] >= later["as_of"] or earlier["source_file"] == later["source_file"]:
                continue
            # The later edition's additions, else the earlier's, for each year.
            additions = {**_additions(cells, figure.cells, earlier["source_file"]),
                         **_additions(cells, figure.cells, later["source_file"])}
            lower, upper, touched = period_bounds(additions, earlier["as_of"], later["as_of"])
            low1, high1 = stated_interval(earlier["value"], earlier["precision"], earlier.get("bound"))
            low2, high2 = stated_interval(later["value"], later["precision"], later.get("bound"))
            grew_least, grew_most = low2 - high1, high2 - low1
            delta = float(later["value"] - earlier["value"])
            too_little = grew_most < lower
            too_much = upper is not None and grew_least > upper
            passed = not (too_little or too_much)
            printed = "; ".join(f"CY {y}: {_fmt(additions[y].get('value')) if y in additions else 'not printed'}"
                                + (f" (page {additions[y]['page']})" if y in additions else "") for y in touched)
            allowed = (f"between {_fmt(lower)} and {_fmt(upper)}" if upper is not None
                       else f"at least {_fmt(lower)} (no upper bound: an addition is not printed)")
            slack = "" if grew_least == grew_most else f" ({_fmt(grew_least)} to {_fmt(grew_most)} with the qualifiers)"
            adjusted = earlier.get("adjusted_by") or later.get("adjusted_by")
            message = (f"{later['source_file']} p.{later['page']}: {_quote(later)} against {earlier['source_file']}"
                       f" p.{earlier['page']}: {_quote(earlier)}: from {earlier['as_of'].isoformat()} to"
                       f" {later['as_of'].isoformat()} the total grew by {_fmt(delta)}{slack}; the yearly additions"
                       f" {figure.cells[0].table_id} prints ({printed}) allow {allowed}")
            if not passed:
                message += (f" (more than the additions by {grew_least - upper:,.0f})" if too_much
                            else f" (less than the additions by {lower - grew_most:,.0f})")
                if adjusted:
                    message += f"; the text says the total was adjusted: «{adjusted}»"
            expected = upper if too_much or (passed and upper is not None) else lower
            relation = "<=" if expected is upper else ">="
            results.append(CheckResult(
                later["source_file"], f"statement_cumulative_period:{figure_id}", False, passed, expected, delta,
                message, in_source=not passed, page=later["page"],
                kind=None if passed else ("non_additive" if adjusted else "conflict"), relation=relation,
                other_source_file=earlier["source_file"], other_page=earlier["page"], sentence=later["sentence"]))
    return results


# --- which years a table splits ----------------------------------------------------------------

YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


def _tables_after(record: Mapping, bound: tuple | None, tables: Sequence[Mapping], plural: bool) -> list[Mapping]:
    """The tables printed after a sentence (in reading order, on its page or the next): the first
    one, or with `plural` every one before `bound` (the next sentence of the same claim)."""
    where = (record["page"], record.get("offset") or 0)
    after = [t for t in tables if t["source_file"] == record["source_file"] and (t["page"], t["offset"]) > where
             and t["page"] <= record["page"] + 1 and (bound is None or (t["page"], t["offset"]) < bound)]
    return after if plural else after[:1]


def check_year_claims(sentences: Sequence[Mapping], cells: Sequence[Mapping], vocabulary: Vocabulary | None = None,
                      tables: Sequence[Mapping] = ()) -> list[CheckResult]:
    """Sentences saying which years a table splits ("CY 2022 report numbers are differentiated
    between actionable and informational") or covers ("The chart below shows … in CY 2020, CY
    2021, and CY 2022") against the years the table prints. `sentences` are {source_file, page,
    offset, sentence} records in reading order; `tables` the OJJDP tables with their caption's
    offset (`pipeline.statements.table_anchors`)."""
    vocabulary = vocabulary or load_vocabulary()
    results = []
    for index, record in enumerate(sentences):
        for claim in vocabulary.year_claims:
            match = claim.sentence.search(record["sentence"])
            if not match:
                continue
            stated = sorted({int(y) for y in YEAR.findall(match.group("years"))})
            mine = [c for c in cells if c.get("source_file") == record["source_file"] and c.get("measure") != "percent"
                    and (not claim.measures or c.get("measure") in claim.measures)]
            if claim.table_id == "next":
                later = next(((r["page"], r.get("offset") or 0) for r in sentences[index + 1:]
                              if r["source_file"] == record["source_file"] and claim.sentence.search(r["sentence"])), None)
                chosen = _tables_after(record, later, tables, bool(claim.plural and claim.plural.search(record["sentence"])))
                keys = {(t["table_id"], t["page"]) for t in chosen}
                split = [c for c in mine if (c["table_id"], c.get("page")) in keys]
                names = ", ".join(dict.fromkeys(t["table_id"] for t in chosen))
            else:
                split = [c for c in mine if c["table_id"] == claim.table_id]
                names = claim.table_id
            if not split:
                continue
            printed = sorted({c["year"] for c in split if c.get("year") is not None})
            passed = stated == printed
            page = min(c["page"] for c in split)
            what = f"prints {'/'.join(claim.measures)} for" if claim.measures else "covers"
            results.append(CheckResult(
                record["source_file"], f"statement_years:{claim.id}", False, passed, float(len(printed)),
                float(len(stated)),
                f"{record['source_file']} p.{record['page']}: «{record['sentence']}» names "
                f"{', '.join(f'CY {y}' for y in stated)}; {names} (page {page}) {what}"
                f" {', '.join(f'CY {y}' for y in printed)}" + ("" if passed else "; the numbers are unaffected"),
                in_source=not passed, page=record["page"], kind=None if passed else "label", relation="=",
                other_source_file=record["source_file"], other_page=page, sentence=record["sentence"]))
    return results


# --- labels whose words contradict their measure -------------------------------------------------

def check_label_words(cells: Sequence[Mapping], vocabulary: Vocabulary | None = None) -> list[CheckResult]:
    """One failed result per table and measure whose printed labels (row or column) have words
    naming another measure than the one the rules file gives their cells — "Unique Images and
    Videos Determined by PhotoDNA" heading visually similar counts; one passed result per
    document otherwise."""
    vocabulary = vocabulary or load_vocabulary()
    groups: dict[tuple, dict[str, list[Mapping]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        contradiction = vocabulary.label_words.get(cell.get("measure"))
        if contradiction is None:
            continue
        for field in ("column_label", "row_label"):
            label = cell.get(field)
            if label and contradiction.search(label):
                groups[(cell["source_file"], cell["table_id"], cell["measure"])][label].append(cell)
    results = []
    for (source_file, table_id, measure), labels in sorted(groups.items()):
        found = [c for cells_ in labels.values() for c in cells_]
        pages = sorted({c["page"] for c in found})
        results.append(CheckResult(
            source_file, f"label_measure:{table_id}", False, False, None, None,
            f"{source_file} p.{pages[0]}: {table_id}: {len(labels)} label(s) head {measure} counts (pipeline/data/"
            f"ojjdp_tables.csv) in words matching {vocabulary.label_words[measure].pattern!r}: "
            + "; ".join(f"{label!r} ({', '.join(_fmt(c.get('value')) for c in cells_)})"
                        for label, cells_ in sorted(labels.items()))
            + ". A label quirk: the numbers are unaffected",
            in_source=True, page=pages[0], kind="label", other_source_file=source_file, other_page=pages[-1]))
    checked = sorted({c["source_file"] for c in cells if c.get("measure") in vocabulary.label_words})
    flagged = {key[0] for key in groups}
    for source_file in checked:
        if source_file not in flagged:
            results.append(CheckResult(source_file, "label_measure", False, True, None, None,
                                       f"{source_file}: no label contradicts the measure of its cells"))
    return results


def check_statements(statements: Sequence[Mapping], sentences: Sequence[Mapping], cells: Sequence[Mapping],
                     vocabulary: Vocabulary | None = None, tables: Sequence[Mapping] = ()) -> list[CheckResult]:
    """Every prose–table check of one run, in a fixed order. `cells` are ojjdp_cells rows plus
    the list PDFs' printed totals as cells (`pipeline.statements.list_total_cell`)."""
    vocabulary = vocabulary or load_vocabulary()
    return [*check_stated_figures(statements, cells, vocabulary),
            *check_cumulative_within(statements, cells, vocabulary),
            *check_cumulative_between(statements, cells, vocabulary),
            *check_year_claims(sentences, cells, vocabulary, tables),
            *check_label_words(cells, vocabulary)]

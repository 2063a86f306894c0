"""From read tables to cells: the table id (the rules file's one matching rule), the calendar
year and the measure of every printed number, and the checks that each is placed once.

Step 5 of the reading described in `pipeline.extract.ojjdp`; the cell vocabulary is there too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp_cell_text import BARE_YEAR, PrintedValue
from pipeline.extract.ojjdp_table import ReadTable, _is_number_like, _where
from pipeline.ojjdp_rules import TableRule


CELL_KEYS = ("edition", "table_id", "row_label", "footnote", "column_label", "year", "measure",
             "value", "percent", "value_text", "page")
# A calendar year as the editions print it: "CY 2022" (headers, titles), "CY2022" (Appendix A);
# a later edition may spell it out ("Calendar Year 2022").
CY_YEAR = re.compile(r"\b(?:CY ?|Calendar Year )((?:19|20)\d\d)\b", re.IGNORECASE)
# Any year-like number: "CY 2023-2024" names 2024 too, though only 2023 follows "CY".
YEAR_LIKE = re.compile(r"(?<![\d,.])((?:19|20)\d\d)(?![\d,.%])")
# "CY 20229": a footnote digit printed at the text size runs into the year (2023 ed. p.15 prints
# it superscript, which is split off; a later edition may not).
GLUED_YEAR = re.compile(r"\b(?:CY ?|Calendar Year )\d{4}(?=[^\W_])", re.IGNORECASE)


@dataclass(frozen=True)
class OjjdpExtraction:
    """Every printed number of one edition (`cells`), one entry per table found (`tables`),
    `notes` on source quirks the reader corrected (each names table, page, printed and read text)
    and the document's page count."""

    cells: list[dict]
    tables: list[dict]
    notes: list[dict] = field(default_factory=list)
    pages: int = 0
    page_texts: list[str] = field(default_factory=list)


def years_in(text: str | None) -> set[int]:
    """The calendar years a label names: every year-like number in it ("CY 2023-2024" names 2023
    and 2024) when it names a year the way a calendar year is printed: "CY yyyy", "Calendar Year
    yyyy", or a label (one level of a spanning header: "2022 | Instances") that is just a year.

    A year-like number printed any other way ("Jan-Jun 2023", "FY 2023") is a ValueError: it may
    be a half-year, a fiscal year or no year at all, and must never give way to the title's year.
    So is a year with a character glued to it ("CY 20229", a footnote marker printed at the text
    size): the year cannot be told apart from the marker."""
    text = text or ""
    glued = GLUED_YEAR.search(text)
    if glued:
        raise ValueError(f"a year run together with what follows it in {text!r} (a footnote marker"
                         " printed at the text size?)")
    years = {int(y) for y in YEAR_LIKE.findall(text)}
    if not years or CY_YEAR.search(text) or any(BARE_YEAR.fullmatch(level.strip()) for level in text.split(" | ")):
        return years
    raise ValueError(f"a year-like number not printed as \"CY yyyy\", \"Calendar Year yyyy\" or a bare year in"
                     f" {text!r} (a part of a year, or another kind of year?)")


def year_of(entry: dict, title: str, rule: TableRule | None, *, where: str) -> int | None:
    """The calendar year of one number: from its column header, else its row label, else the
    table's title; never from the edition's own year. A label naming two years, a column and row
    naming different years, or (one table per year) a column naming another year than the title
    cannot be resolved: ExtractionError. A recognised table's number without a year too. The
    title is read only where its year is used."""
    what = f"{entry['printed'].text} (row {entry['row_label']!r}, column {entry['column_label']!r})"

    def years(name: str, text: str | None) -> set[int]:
        try:
            return years_in(text)
        except ValueError as err:
            raise ExtractionError(f"{where}: expected the calendar year of {what} in its {name}, found {err}") \
                from None

    column, row = years("column header", entry["column_label"]), years("row label", entry["row_label"])
    for name, found in (("column header", column), ("row label", row)):
        if len(found) > 1:
            raise ExtractionError(
                f"{where}: expected one calendar year in the {name} of {what}, found {sorted(found)}")
    if column and row and column != row:
        raise ExtractionError(
            f"{where}: expected the column header and row label of {what} to name the same year,"
            f" found {column.pop()} and {row.pop()}")
    year = next(iter(column or row), None)
    per_year_table = rule is not None and rule.one_per_year
    if per_year_table or year is None:
        titled = years("table's title", title)
        title_year = titled.pop() if len(titled) == 1 else None
        if per_year_table and year is not None and year != title_year:
            raise ExtractionError(
                f"{where}: expected {what} in the table titled {title!r} to be for CY {title_year},"
                f" found CY {year}")
        year = title_year
    if year is None and rule is not None:
        raise ExtractionError(
            f"{where}: expected the calendar year of {what} in {rule.table_id} in its column header"
            f" (\"CY yyyy\"), row label or the table's title, found none")
    return year


def match_rule(header_text: str, rules: list[TableRule], *, where: str) -> TableRule | None:
    """The one rule whose pattern matches the header text, None if none does.

    Two matching rules mean the rules file is ambiguous: an error, never a coin toss.
    """
    matching = [r for r in rules if r.pattern.search(header_text)]
    if len(matching) > 1:
        raise ExtractionError(
            f"{where}: expected one rule in ojjdp_tables.csv to match the table {header_text[:80]!r},"
            f" found {len(matching)}: {', '.join(r.table_id for r in matching)}"
        )
    return matching[0] if matching else None


def measure_of(value: PrintedValue, column_label: str | None, rule: TableRule | None, *,
               where: str) -> tuple[str, str | None]:
    """The measure a number gives, and a note when a misprinted label had to be read.

    In-cell labels are the rule's (`cell_labels` in the rules file): a table whose rule lists
    them must label every count, a table whose rule lists none (or no rule) may label none."""
    if value.percent is not None:
        return "percent", None
    labels, misprints = (dict(rule.cell_labels), dict(rule.misprinted_cell_labels)) if rule else ({}, {})
    if value.label is not None:
        if value.label in labels:
            return labels[value.label], None
        if value.label in misprints:
            meant = misprints[value.label]
            return meant, f"printed label {value.label.title()!r}: read as {meant!r} (misprint)"
        known = ", ".join(repr(k.title() + ":") for k in labels) or "none"
        raise ExtractionError(
            f"{where}: expected an in-cell label of {rule.table_id if rule else 'a table no rule recognises'}"
            f" ({known}), found {value.label!r} before {value.text}"
        )
    if labels:
        raise ExtractionError(
            f"{where}: expected an in-cell label of {rule.table_id} ({', '.join(k.title() + ':' for k in labels)})"
            f" before {value.text}, found none"
        )
    if rule is None:
        return "count", None
    if rule.column_measures:
        measures = sorted({m for pattern, m in rule.column_measures if pattern.search(column_label or "")})
        if len(measures) != 1:
            raise ExtractionError(
                f"{where}: expected the column header of {value.text} in {rule.table_id} to name one measure"
                f" ({'; '.join(f'{p.pattern} => {m}' for p, m in rule.column_measures)}),"
                f" found {column_label!r} naming {', '.join(measures) or 'none'}"
            )
        return measures[0], None
    return rule.default_measure, None


def _check_misprint_adds_up(cell_values: list[dict], note_cell: dict, *, where: str) -> None:
    """A misprinted label is read as the label it stands for only where the cell then holds each
    measure once and its parts add up to its printed total (2022 ed. p.8 and 2023 ed. p.9:
    916,064 + 590,383 = 1,506,447); otherwise it may be a label with a meaning of its own."""
    measures = [c["measure"] for c in cell_values]
    totals = [c for c in cell_values if c["measure"] == "total"]
    parts = [c for c in cell_values if c["measure"] != "total"]
    adds_up = (len(set(measures)) == len(measures) and len(totals) == 1 and parts
               and all(c["value"] is not None for c in cell_values)
               and sum(c["value"] for c in parts) == totals[0]["value"])
    if not adds_up:
        printed = "; ".join(f"{c['measure']} {c['value_text']}" for c in cell_values)
        raise ExtractionError(
            f"{where}: row {note_cell['row_label']!r}, column {note_cell['column_label']!r}: expected the"
            f" cell's parts to add up to its total where a misprint is read ({note_cell['note']}), found {printed}"
        )


def _reads_like_counts(text: str) -> bool:
    """Header text holding what can only be counts: a number with a thousands comma or a decimal
    point ("36,948", "0.3 million"), or two numbers in a row ("51 27 30"). A new table's header
    may hold small numbers as words ("Top 5 ESPs", "Ages 12 to 17"): in a table no rule knows,
    those are published, not refused (a rule's table is held to years only)."""
    tokens = [t.strip("()[]:;") for t in text.split()]
    numbers = [_is_number_like(t) for t in tokens]
    return (any(n and ("," in t.strip(",.") or "." in t.strip(",.")) for n, t in zip(numbers, tokens))
            or any(a and b for a, b in zip(numbers, numbers[1:])))


def _check_table_is_read(table: ReadTable, rule: TableRule | None, table_id: str, *, where: str) -> None:
    """A number-like word in a header means a band of numbers the reader could not read was
    taken for header (its "0.3 million" became a column label); a recognised table with no
    number is one whose every band was. An unrecognised table with no number band is left
    alone: a bordered text box whose prose holds numbers is no table of counts."""
    suspicious = table.header_numbers if rule is not None else [
        (text, token) for text, token in table.header_numbers if _reads_like_counts(text)]
    if suspicious and (rule is not None or table.entries):
        text, token = suspicious[0]
        raise ExtractionError(
            f"{where}: expected the header of {table_id} ({table.caption[:60]!r}) to hold labels and years,"
            f" found the number {token!r} in the header cell {text!r} (a band of numbers the reader cannot"
            f" read, such as \"0.3 million\" or \"51 27 30\" in one cell, taken for header?)"
        )
    if rule is not None and not table.entries:
        raise ExtractionError(
            f"{where}: expected numbers in {table_id} ({table.caption[:60]!r}), found no band the reader"
            f" reads as numbers: every band was taken for header ({table.header_text[:120]!r})"
        )


def tables_to_cells(read_tables: list[ReadTable], rules: list[TableRule], *, edition: int,
                    source: str) -> OjjdpExtraction:
    """Table ids, years and measures for every number read; the table list and notes."""
    cells, tables, notes = [], [], []
    per_page: Counter = Counter()
    ids_seen: dict[str, list[int | None]] = {}
    for table in read_tables:
        per_page[table.page] += 1
        where = _where(source, table.page)
        rule = match_rule(table.header_text, rules, where=where)
        table_id = rule.table_id if rule else f"unknown_p{table.page}_{per_page[table.page]}"
        if rule is not None:
            years_before = ids_seen.setdefault(table_id, [])
            years_before.append(_title_year(table, rule, years_before, where=where))
        _check_table_is_read(table, rule, table_id, where=where)
        table_cells = _table_cells(table, rule, table_id, notes, edition=edition, source=source)
        cells.extend(table_cells)
        tables.append({"table_id": table_id, "page": table.page, "caption": table.caption,
                       "n_cells": len(table_cells), "recognised": rule is not None})
    _refuse_repeated_cells(cells, source=source)
    return OjjdpExtraction(cells, tables, notes)


def _title_year(table: ReadTable, rule: TableRule, years_before: list[int | None], *, where: str) -> int | None:
    """The year in the title of a table printed once per year (None for other tables), distinct
    from the years of the tables before it with the same id; a second table matching a rule of
    a table printed once is refused (the rule's pattern is too loose)."""
    if years_before and not rule.one_per_year:
        raise ExtractionError(
            f"{where}: expected one table matching {rule.table_id}, found another one"
            f" ({table.caption[:60]!r}); the rule's pattern is too loose"
        )
    if not rule.one_per_year:
        return None
    try:
        title_years = years_in(table.title)
    except ValueError as err:
        raise ExtractionError(f"{where}: expected the title of {rule.table_id} to name its year, found {err}") \
            from None
    title_year = title_years.pop() if len(title_years) == 1 else None
    if title_year is None or title_year in years_before:
        raise ExtractionError(
            f"{where}: expected {rule.table_id} tables each titled with a distinct year,"
            f" found {table.title!r}"
        )
    return title_year


def _table_cells(table: ReadTable, rule: TableRule | None, table_id: str, notes: list[dict], *, edition: int,
                 source: str) -> list[dict]:
    """One cell per number of a read table; a misprinted in-cell label read is added to `notes`
    once its cell is known to add up."""
    table_cells: list[dict] = []
    by_cell: dict[int, list[dict]] = {}
    misprints: list[dict] = []
    for entry in table.entries:
        value: PrintedValue = entry["printed"]
        cell_where = f"{_where(source, entry['page'])}: {table_id}"
        if rule is not None and rule.columns is not None and \
                not rule.columns.fullmatch(entry["column_label"] or ""):
            raise ExtractionError(
                f"{cell_where}, row {entry['row_label']!r}: expected every column label of {table_id} to"
                f" match the pattern {rule.columns.pattern} (the rule's columns in ojjdp_tables.csv), found"
                f" {entry['column_label']!r} over {value.text}: a column the rule does not know may"
                f" count something else than {rule.default_measure}"
            )
        year = year_of(entry, table.title, rule, where=cell_where)
        measure, note = measure_of(value, entry["column_label"], rule,
                                   where=f"{cell_where}, row {entry['row_label']!r},"
                                         f" column {entry['column_label']!r}")
        cell = {
            "edition": edition, "table_id": table_id, "row_label": entry["row_label"],
            "footnote": entry["footnote"], "column_label": entry["column_label"], "year": year,
            "measure": measure, "value": value.value, "percent": value.percent,
            "value_text": value.text, "page": entry["page"],
        }
        table_cells.append(cell)
        by_cell.setdefault(entry.get("cell", id(entry)), []).append(cell)
        if note:
            misprints.append({"table_id": table_id, "page": entry["page"], "row_label": entry["row_label"],
                              "column_label": entry["column_label"], "year": year, "measure": measure,
                              "value_text": value.text, "note": note, "_cell": entry.get("cell", id(entry))})
    notes.extend(misprints)
    for note in misprints:
        _check_misprint_adds_up(by_cell[note["_cell"]], note, where=f"{_where(source, note['page'])}: {table_id}")
        del note["_cell"]
    return table_cells


def _refuse_repeated_cells(cells: list[dict], *, source: str) -> None:
    keys = Counter((c["table_id"], c["row_label"], c["column_label"], c["year"], c["measure"]) for c in cells)
    repeated = [c for c in cells if keys[(c["table_id"], c["row_label"], c["column_label"], c["year"],
                                          c["measure"])] > 1]
    if repeated:
        first = repeated[0]
        raise ExtractionError(
            f"{_where(source, first['page'])}: expected each (table, row, column, year, measure) once, found"
            f" {len(repeated)} numbers sharing one, e.g. {first['table_id']}, row {first['row_label']!r},"
            f" column {first['column_label']!r}, CY {first['year']}, {first['measure']}: "
            + ", ".join(c["value_text"] for c in repeated[:4])
        )

"""The OJJDP rules file, pipeline/data/ojjdp_tables.csv: one rule (row) per table the editions print.

A rule names a table (`table_id`), the pattern its header text matches, what its numbers count,
its in-cell labels and their misprints, the column labels it may print and the editions that
print it. Extraction reads tables by these rules (`pipeline.extract.ojjdp`) and validation
checks every expected table was read (`pipeline.validate.ojjdp`); both import this module, so
neither imports the other.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class TableRule:
    """One row of pipeline/data/ojjdp_tables.csv."""

    table_id: str
    pattern: re.Pattern
    default_measure: str
    column_measures: tuple[tuple[re.Pattern, str], ...]
    one_per_year: bool
    description: str
    # In-cell labels ("Actionable: 491,655"): printed label (lower case) -> measure. A table with
    # cell labels must label every number; a table without may not label any.
    cell_labels: tuple[tuple[str, str], ...] = ()
    # Misprinted labels read as the measure they stand for, only where the cell's labelled parts
    # then add up to its printed total; each is reported in `OjjdpExtraction.notes`.
    misprinted_cell_labels: tuple[tuple[str, str], ...] = ()
    # The editions printing the table: from `first_edition` to `last_edition` (None: still
    # printed). A table expected in an edition and not read from it fails the edition.
    first_edition: int = 0
    last_edition: int | None = None
    # Every column label of the table fully matches this (None: any label).
    columns: re.Pattern | None = None

    def expected_in(self, edition: int) -> bool:
        return self.first_edition <= edition and (self.last_edition is None or edition <= self.last_edition)

    @property
    def editions_text(self) -> str:
        return f"{self.first_edition}-{self.last_edition or ''}"


def _label_map(text: str | None, where: str, column: str) -> tuple[tuple[str, str], ...]:
    """"Actionable=>actionable;Total=>total" as ((printed label lower case, measure), ...)."""
    pairs = []
    for item in (text or "").split(";"):
        if not item.strip():
            continue
        label, arrow, measure = item.partition("=>")
        label, measure = " ".join(label.split()).lower(), measure.strip()
        if not arrow or not re.fullmatch(r"[a-z][a-z ]*", label) or not re.fullmatch(r"[a-z_]+", measure):
            raise ValueError(f"{where}: expected {column} as Label=>measure;..., found {item.strip()!r}")
        pairs.append((label, measure))
    return tuple(pairs)


def parse_table_rules(text: str, source: str = "ojjdp_tables.csv") -> list[TableRule]:
    """Rules from the CSV text; malformed rows are a ValueError naming the line."""
    rules = []
    seen = set()
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        where = f"{source} line {line_no}"
        table_id = (row.get("table_id") or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", table_id) or table_id.startswith("unknown"):
            raise ValueError(f"{where}: expected a snake_case table_id, found {table_id!r}")
        if table_id in seen:
            raise ValueError(f"{where}: table_id {table_id!r} appears twice")
        seen.add(table_id)
        try:
            pattern = re.compile(row["pattern"], re.IGNORECASE)
            column_measures = tuple(
                (re.compile(item.split("=>")[0].strip(), re.IGNORECASE), item.split("=>")[1].strip())
                for item in (row.get("column_measures") or "").split(";") if item.strip()
            )
        except (re.error, IndexError) as err:
            raise ValueError(f"{where}: bad pattern or column_measures: {err}") from None
        one_per_year = (row.get("one_per_year") or "").strip().lower()
        if one_per_year not in ("true", "false"):
            raise ValueError(f"{where}: expected one_per_year true or false, found {one_per_year!r}")
        measure = (row.get("default_measure") or "").strip()
        if not measure:
            raise ValueError(f"{where}: default_measure is empty")
        cell_labels = _label_map(row.get("cell_labels"), where, "cell_labels")
        misprinted = _label_map(row.get("misprinted_cell_labels"), where, "misprinted_cell_labels")
        stray = [m for _, m in misprinted if m not in {m for _, m in cell_labels}]
        if stray:
            raise ValueError(f"{where}: misprinted_cell_labels must stand for a measure of cell_labels,"
                             f" found {', '.join(stray)}")
        first, last = _editions(row.get("editions"), where)
        columns_text = (row.get("columns") or "").strip()
        try:
            columns = re.compile(columns_text, re.IGNORECASE) if columns_text else None
        except re.error as err:
            raise ValueError(f"{where}: expected columns as a regular expression, found {columns_text!r}: {err}") \
                from None
        rules.append(TableRule(table_id, pattern, measure, column_measures, one_per_year == "true",
                               (row.get("description") or "").strip(), cell_labels, misprinted,
                               first, last, columns))
    return rules


def _editions(text: str | None, where: str) -> tuple[int, int | None]:
    """"2022-" (from the CY 2022 edition on) or "2022-2023" (those editions only)."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{4})?", text)
    if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
        raise ValueError(f"{where}: expected editions as yyyy- (from that edition on) or yyyy-yyyy"
                         f" (first to last edition printing the table), found {text!r}")
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def load_table_rules() -> list[TableRule]:
    text = resources.files("pipeline.data").joinpath("ojjdp_tables.csv").read_text(encoding="utf-8")
    return parse_table_rules(text)

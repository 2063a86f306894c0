"""The OJJDP-NCMEC Transparency reports: one edition a year, every number of every table.

Read by `pipeline.extract.ojjdp` into cells (one per printed number) and one entry per table
found; validated by `pipeline.validate.ojjdp` (the tables the rules file expects, sum relations,
the totals the CyberTipline lists print for the same year).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.families.base import Context, Family, Normalized, RunningText
from pipeline.validate import CheckResult

TABLE_COLUMNS = ("table_id", "page", "caption", "n_cells", "recognised")


class OjjdpEditions(Family):
    name = "ojjdp_transparency"
    title = "OJJDP-NCMEC Transparency reports"
    tables = ("ojjdp_cells", "ojjdp_tables")
    derived = ("ojjdp_revisions",)
    compares_with = ("reports_by_esp", "reports_by_country")
    reader_needs_edition = True
    relative_cost = 5
    figure_key = ("table_id", "row_label", "column_label", "year", "measure")
    figure_values = ("value", "percent")
    running_text = RunningText(max_pages=None, ends_at_list=False, year_is_edition=False)

    def import_reader(self) -> None:
        import pipeline.extract.ojjdp  # noqa: F401
        import pipeline.extract.ojjdp_text_grid  # noqa: F401  (imported by the reader when it runs)
        from pipeline.ojjdp_rules import load_table_rules

        load_table_rules()  # and with it the data-file readers

    def read(self, pdf: Path, source_file: str, year: int) -> dict:
        from pipeline.extract.ojjdp import extract_ojjdp

        result = extract_ojjdp(pdf, edition=year, with_page_texts=True)
        # JSON holds no Decimal: a percent crosses the worker's pipe and the cache as its digits.
        cells = [{**c, "percent": None if c["percent"] is None else str(c["percent"])} for c in result.cells]
        return {"pages": result.pages, "cells": cells, "tables": result.tables, "notes": result.notes,
                "page_texts": result.page_texts}

    def rows_read(self, extraction: dict) -> int:
        return len(extraction["cells"])

    def printed_years(self, extraction: dict) -> list[int | None]:
        return [c["year"] for c in extraction["cells"]]

    def normalize(self, doc, extraction: dict) -> Normalized:
        """Cells with exact percents and their provenance; one ojjdp_tables row per table found
        (where it is and which rule of pipeline/data/ojjdp_tables.csv named it)."""
        from decimal import Decimal

        provenance = {"source_file": doc.file, "source_sha256": extraction["sha256"]}
        cells = [{**c, "percent": None if c["percent"] is None else Decimal(c["percent"]), **provenance}
                 for c in extraction["cells"]]
        tables = [{"edition": doc.year, **{k: t[k] for k in TABLE_COLUMNS}, **provenance}
                  for t in extraction["tables"]]
        return Normalized({"ojjdp_cells": cells, "ojjdp_tables": tables})

    def check(self, doc, extraction: dict, normalized: Normalized, context: Context) -> list[CheckResult]:
        """Every table the rules file expects in this edition read (the page texts name the page a
        missing table's caption is printed on), the sums and cross-document totals, then the
        quirks of the source the reader corrected and the tables no rule recognised."""
        from pipeline.validate.ojjdp import check_ojjdp

        esp, country = self.compares_with
        checks = check_ojjdp(normalized.tables["ojjdp_cells"], source_file=doc.file,
                             esp_totals=context.printed_totals.get(esp, {}),
                             country_totals=context.printed_totals.get(country, {}), edition=doc.year,
                             page_texts=context.page_texts or extraction.get("page_texts"))
        checks.extend(source_quirks(extraction.get("notes", []), doc.file))
        checks.append(tables_recognised(extraction["tables"], doc.file))
        return checks

    def derived_tables(self, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """ojjdp_revisions: values restated (or printed in one edition only) between consecutive editions."""
        return {"ojjdp_revisions": revision_records(tables["ojjdp_cells"])}

    def statement_cells(self, doc: dict, tables: dict[str, list[dict]], total_page: int | None
                        ) -> tuple[list[dict], list[dict]]:
        """Every cell of the edition; its tables, whose titles the text quotes."""
        mine = [c for c in tables["ojjdp_cells"] if c["source_file"] == doc["source_file"]]
        return mine, [t for t in tables["ojjdp_tables"] if t["source_file"] == doc["source_file"]]

    def explain(self, pdf: Path, year: int | None, *, pages, output: Path, name: str):
        from pipeline.explain import explain_ojjdp

        return explain_ojjdp(pdf, year, pages=pages, output=output, name=name)


def revision_records(cells: list[dict]) -> list[dict]:
    """The ojjdp_revisions rows of the cells of every edition (`pipeline.revisions`)."""
    from pipeline.revisions import ojjdp_revisions

    return ojjdp_revisions(cells) if cells else []


def source_quirks(notes: list[dict], source_file: str) -> list[CheckResult]:
    """Advisory, in the source: each printed number the reader corrected, with what was printed."""
    return [CheckResult(
        source_file, "source_quirk", False, False, None, note["value_text"],
        f"{note['table_id']}, page {note['page']}, {note['row_label']!r} / {note['column_label']!r}: {note['note']}",
        in_source=True, page=note["page"]) for note in notes]


def tables_recognised(tables: list[dict], source_file: str) -> CheckResult:
    """Advisory: every table found matched a rule of pipeline/data/ojjdp_tables.csv (one that did
    not is still published, as unknown_*)."""
    unknown = [t for t in tables if not t["recognised"]]
    return CheckResult(
        source_file, "tables_recognised", False, not unknown, "0", str(len(unknown)),
        "every table matched a rule in pipeline/data/ojjdp_tables.csv" if not unknown else
        "tables no rule recognises (published as unknown_*): "
        + ", ".join(f"{t['table_id']} (page {t['page']}: {t['caption'][:60]!r})" for t in unknown))


FAMILY = OjjdpEditions()

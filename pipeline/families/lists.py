"""What the two CyberTipline list families share: one list of names with counts, and a total row.

NCMEC publishes each year a PDF of reports by electronic service provider and one by country;
both are one printed list read by `pipeline.extract.cybertipline`, the same counts (reports, and
from 2024 referrals and informational), and the same checks (the rows sum to the printed total).
What differs (the name column, the key that groups rows, the typed columns) is in `esp.py` and
`country.py`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.families.base import Context, Family, Normalized, RunningText
from pipeline.validate import CheckResult


class ListFamily(Family):
    name_column: str   # the printed name: esp | country
    key_column: str    # what groups the rows of one name: esp_key | iso3
    relative_cost = 1
    figure_values = ("reports", "referrals", "informational")
    # The text above the list on its first page describes the list's year.
    running_text = RunningText(max_pages=1, ends_at_list=True, year_is_edition=True)

    def records(self, rows: list[dict], *, year: int, source_file: str, source_sha256: str) -> list[dict]:
        """Typed rows of the family's table (`pipeline.normalize`)."""
        raise NotImplementedError

    def import_reader(self) -> None:
        from pipeline.extract.list_headers import load_layouts

        import pipeline.extract.cybertipline  # noqa: F401

        load_layouts()  # read once (cached), and with it the data-file readers

    def read(self, pdf: Path, source_file: str, year: int) -> dict:
        from pipeline.extract.cybertipline import extract_list

        result = extract_list(pdf, self.name, source_file, with_page_texts=True)
        return {
            "pages": result.pages,
            "page_texts": list(result.page_texts),  # what identifies the edition (identify.py)
            "roles": list(result.roles),
            "labels": list(result.labels),
            "rows": [{"name": r.name, "counts": dict(r.counts), "page": r.page} for r in result.rows],
            "total": {"name": result.total.name, "counts": dict(result.total.counts), "page": result.total.page},
        }

    def rows_read(self, extraction: dict) -> int:
        return len(extraction["rows"])

    def normalize(self, doc, extraction: dict) -> Normalized:
        from pipeline.normalize import list_counts

        records = self.records(extraction["rows"], year=doc.year, source_file=doc.file,
                               source_sha256=extraction["sha256"])
        page = extraction["total"]["page"]
        total = list_counts(extraction["total"], where=f"{doc.file}, page {page}, total row")
        return Normalized({self.table: records}, printed_total=total["reports"], total_page=page, total_counts=total)

    def check(self, doc, extraction: dict, normalized: Normalized, context: Context) -> list[CheckResult]:
        from pipeline.validate.cybertipline import check_list_document

        return check_list_document(normalized.tables[self.table], family=self.name, year=doc.year,
                                   printed_total=normalized.total_counts, total_page=normalized.total_page,
                                   source_file=doc.file, name_column=self.name_column, key_column=self.key_column,
                                   roles=tuple(extraction.get("roles", ("reports",))))

    def statement_cells(self, doc: dict, tables: dict[str, list[dict]], total_page: int | None
                        ) -> tuple[list[dict], list[dict]]:
        """The printed total, the one figure the intro text can restate (as a cell of the list)."""
        if doc.get("printed_total") is None:
            return [], []
        return [{"table_id": self.table, "row_label": "printed total", "column_label": None, "year": doc["year"],
                 "measure": "reports", "value": doc["printed_total"], "percent": None,
                 "value_text": f"{doc['printed_total']:,}", "page": total_page, "edition": doc["year"],
                 "source_file": doc["source_file"]}], []

    def explain(self, pdf: Path, year: int | None, *, pages, output: Path, name: str):
        from pipeline.explain import explain_list

        return explain_list(pdf, self.name, pages=pages, output=output, name=name)

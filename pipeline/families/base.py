"""The interface every document family implements (see `pipeline.families`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.validate import CheckResult


@dataclass
class Normalized:
    """One document's typed rows, by output table, and the total it prints (list families)."""

    tables: dict[str, list[dict]]
    printed_total: int | None = None   # documents.printed_total; the OJJDP checks compare with it
    total_page: int | None = None      # the page of that total (the statements' checks point at it)
    total_counts: dict | None = None   # the total row's counts by role (reports, referrals, informational)


@dataclass
class Context:
    """What a family's checks may compare with beyond its own document: the totals the
    families checked before it printed (family name -> year -> total), and the page texts."""

    printed_totals: dict[str, dict[int, int]] = field(default_factory=dict)
    page_texts: list[str] | None = None


@dataclass(frozen=True)
class RunningText:
    """Where the running text of a document is (the numbers `statements.parquet` records)."""

    max_pages: int | None     # None: every page
    ends_at_list: bool        # the text stops at the list's column header (pipeline/data/list_layouts.csv)
    year_is_edition: bool     # a number whose sentence names no year describes the edition's year


class Family:
    """The interface of a document family; each module defines one subclass and one instance."""

    name: str                      # as the manifest spells it (pipeline/data/manifest.csv `family`)
    title: str                     # what the documents are, in a few words
    tables: tuple[str, ...]        # the output tables it fills; the first holds its printed figures
    derived: tuple[str, ...] = ()         # output tables computed across its documents (`derived_tables`)
    compares_with: tuple[str, ...] = ()   # families whose printed totals its checks compare with
    reader_needs_edition: bool = False    # its reader takes the edition year (explain --edition)
    relative_cost: int = 1                # extraction time against a list's: the longest start first
    name_column: str | None = None        # a list's printed name (esp, country): one figure per name
    figure_key: tuple[str, ...] = ()      # the columns naming one printed figure (diff --versions)
    figure_values: tuple[str, ...] = ()   # the columns holding its numbers
    running_text: RunningText = RunningText(None, False, False)

    @property
    def table(self) -> str:
        """The output table of its printed figures (what fields.toml sources name)."""
        return self.tables[0]

    def read(self, pdf: Path, source_file: str, year: int) -> dict:
        """The document as plain JSON-able data, with its `pages` and `page_texts`; raises
        `ExtractionError` when it cannot be read reliably."""
        raise NotImplementedError

    def import_reader(self) -> None:
        """Import what `read` imports, now: a run does it once in the parent, before forking its
        workers, which then inherit the modules instead of each importing them again."""
        raise NotImplementedError

    def rows_read(self, extraction: dict) -> int:
        """How many rows (or cells) the extraction holds, for `ncmec-pipeline extract`."""
        raise NotImplementedError

    def printed_years(self, extraction: dict) -> list[int | None]:
        """The years the document's tables print (the edition check reads the newest)."""
        return []

    def normalize(self, doc, extraction: dict) -> Normalized:
        """Typed rows with their provenance; raises ValueError on a number it cannot read."""
        raise NotImplementedError

    def check(self, doc, extraction: dict, normalized: Normalized, context: Context) -> list[CheckResult]:
        raise NotImplementedError

    def derived_tables(self, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """The `derived` output tables, computed from the rows of every document of the family."""
        return {}

    def statement_cells(self, doc: dict, tables: dict[str, list[dict]], total_page: int | None
                        ) -> tuple[list[dict], list[dict]]:
        """The table cells its running text can restate, and the tables whose titles it quotes."""
        raise NotImplementedError

    def explain(self, pdf: Path, year: int | None, *, pages, output: Path, name: str):
        raise NotImplementedError

"""The registry of document families: what the README and the manifest say agrees with it, and
each family's normalizer and checks work on tiny inputs (no PDF)."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

from pipeline.families import FAMILIES, Context, families_markdown, output_tables, publishing_order, table_families
from pipeline.manifest import Document
from pipeline.store import TABLES

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_the_registered_families():
    """The README's table of families is the registry's (regenerate: python -m pipeline.families)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- families:[^>]*-->\n(.*?)<!-- /families -->", text, re.S)
    assert block is not None, "README.md has no <!-- families --> block"
    assert block.group(1) == families_markdown()


def test_every_family_fills_declared_tables_and_the_manifest_names_only_registered_readers():
    for family in FAMILIES.values():
        assert set(family.tables) | set(family.derived) <= set(TABLES), family.name
        assert set(family.compares_with) <= set(FAMILIES) - {family.name}
    assert len(output_tables()) == len(table_families())  # no table filled by two families
    manifest = resources.files("pipeline.data").joinpath("manifest.csv").read_text(encoding="utf-8")
    assert {row["family"] for row in csv.DictReader(manifest.splitlines())} == set(FAMILIES)


def test_a_family_that_compares_with_others_is_published_after_them():
    ojjdp = FAMILIES["ojjdp_transparency"]
    assert ojjdp.compares_with
    assert all(publishing_order(other) < publishing_order(ojjdp.name) for other in ojjdp.compares_with)
    assert publishing_order("reports_by_state") is False  # a family no reader reads: recorded first


def _doc(family: str, year: int = 2023) -> Document:
    return Document(f"{family}-{year}", family, year, f"{family}.pdf", f"https://example.org/{family}.pdf", None)


def test_a_list_family_normalizes_rows_and_its_total_and_checks_they_reconcile():
    extraction = {"sha256": "a" * 64, "roles": ["reports"],
                  "rows": [{"name": "Chad*", "counts": {"reports": "1,200"}, "page": 2},
                           {"name": "Egypt", "counts": {"reports": "-"}, "page": 2}],
                  "total": {"name": "Total", "counts": {"reports": "1,201"}, "page": 3}}
    family = FAMILIES["reports_by_country"]
    normalized = family.normalize(_doc(family.name), extraction)
    rows = normalized.tables["country_reports"]
    assert [(r["country"], r["footnote"], r["iso3"], r["reports"]) for r in rows] == [
        ("Chad", "*", "TCD", 1200), ("Egypt", None, "EGY", None)]
    assert (normalized.printed_total, normalized.total_page) == (1201, 3)
    checks = {c.check: c for c in family.check(_doc(family.name), extraction, normalized, Context())}
    assert not checks["total_reconciles"].passed and checks["total_reconciles"].blocking
    assert checks["countries_mapped"].passed       # the by-country family's own check
    esp_checks = FAMILIES["reports_by_esp"].check(_doc("reports_by_esp"), extraction, FAMILIES["reports_by_esp"].normalize(
        _doc("reports_by_esp"), extraction), Context())
    assert "countries_mapped" not in {c.check for c in esp_checks}


def test_the_ojjdp_family_types_percents_once_and_reports_unrecognised_tables_and_quirks():
    cell = {"edition": 2023, "table_id": "t", "row_label": "r", "footnote": None, "column_label": "c", "year": 2023,
            "measure": "percent", "value": None, "percent": "12.5", "value_text": "12.5%", "page": 4}
    tables = [{"table_id": "t", "page": 4, "caption": "Table 1", "n_cells": 1, "recognised": True},
              {"table_id": "unknown_p5_1", "page": 5, "caption": "A new table", "n_cells": 0, "recognised": False}]
    note = {"table_id": "t", "page": 4, "row_label": "r", "column_label": "c", "value_text": "12,5%",
            "note": "comma read as a decimal point"}
    extraction = {"sha256": "b" * 64, "cells": [cell], "tables": tables, "notes": [note]}
    family, doc = FAMILIES["ojjdp_transparency"], _doc("ojjdp_transparency")
    normalized = family.normalize(doc, extraction)
    [typed] = normalized.tables["ojjdp_cells"]
    assert typed["percent"] == Decimal("12.5") and typed["source_sha256"] == "b" * 64
    assert [t["table_id"] for t in normalized.tables["ojjdp_tables"]] == ["t", "unknown_p5_1"]
    checks = family.check(doc, extraction, normalized, Context())
    [recognised] = [c for c in checks if c.check == "tables_recognised"]
    assert not recognised.passed and "unknown_p5_1 (page 5: 'A new table')" in recognised.message
    [quirk] = [c for c in checks if c.check == "source_quirk"]
    assert quirk.in_source and quirk.page == 4 and quirk.actual == "12,5%"

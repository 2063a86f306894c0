"""End to end on synthetic 2024-style editions (reportlab): split count columns published as
referrals / informational / reports, their checks, their fields, and a refusal that names the
command showing it. No NCMEC document is needed: the PDFs are drawn here."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.manifest import load_manifest
from pipeline.run import run_pipeline
from pipeline.workspace import Workspace
from tests.producers import ListPage, ListTable, write_reportlab_pdf

TITLE = "2024 CyberTipline Reports by Country"


def manifest_docs(*ids: str):
    documents = {d.doc_id: d for d in load_manifest()}
    return [documents[i] for i in ids]


def test_a_split_edition_publishes_referrals_informational_and_its_fields(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    countries = [["India", "1,000", "8,000", "9,000"], ["United States", "700", "300", "1,000"],
                 ["Bosnia and\nHerzegovina", "5", "-", "5"], ["Total", "1,705", "8,300", "10,005"]]
    write_reportlab_pdf(mirror / "2024-reports-by-country.pdf", [ListPage(
        [ListTable(["Country", "Referrals", "Informational", "Total\nReports"], countries, rules="zebra")], title=TITLE)])
    esps = [["Facebook", "100", "50"], ["X Corp.", "7", "3"], ["Total", "107", "53"]]
    write_reportlab_pdf(mirror / "2024-reports-by-esp.pdf", [ListPage(
        [ListTable(["ESP", "Referrals", "Informational"], esps, glyphs="single")],
        title="2024 CyberTipline Reports by Electronic Service Providers")])
    paths = Workspace(tmp_path / "data")
    report = run_pipeline(manifest_docs("country-2024", "esp-2024"), paths, mirror=mirror)
    assert {d["doc_id"]: d["status"] for d in report.documents} == {"country-2024": "ok", "esp-2024": "ok"}

    country = pd.read_parquet(paths.processed / "country_reports.parquet")
    assert country[["country", "referrals", "informational", "reports", "reports_source"]].astype(object).where(
        country.notna(), None).values.tolist() == [
        ["Bosnia and Herzegovina", 5, None, 5, "printed"], ["India", 1000, 8000, 9000, "printed"],
        ["United States", 700, 300, 1000, "printed"]]
    schema = pq.read_schema(paths.processed / "country_reports.parquet")
    assert schema.field("referrals").type == pa.int64() and schema.field("referrals").nullable
    esp = pd.read_parquet(paths.processed / "esp_reports.parquet")
    assert esp[["esp", "referrals", "informational", "reports", "reports_source"]].values.tolist() == [
        ["Facebook", 100, 50, 150, "summed"], ["X Corp.", 7, 3, 10, "summed"]]
    documents = pd.read_parquet(paths.processed / "documents.parquet").set_index("doc_id")
    assert documents.loc["esp-2024", "printed_total"] == 160

    checks = pd.read_parquet(paths.processed / "checks.parquet")
    country_checks = checks[checks.source_file == "2024-reports-by-country.pdf"].set_index("check")
    for name in ("total_reconciles", "referrals_total_reconciles", "informational_total_reconciles", "parts_add_up"):
        assert country_checks.loc[name, "passed"] and country_checks.loc[name, "blocking"], name
    esp_checks = set(checks[checks.source_file == "2024-reports-by-esp.pdf"].check)
    assert {"referrals_total_reconciles", "informational_total_reconciles"} <= esp_checks
    assert "parts_add_up" not in esp_checks  # no total printed: nothing to add up to

    fields = pd.read_parquet(paths.processed / "field_presence.parquet").set_index(["field_id", "year"])
    assert fields.loc[("referrals_by_country", 2024), "status"] == "present"
    assert fields.loc[("referrals_by_country", 2024), "values"] == "Bosnia and Herzegovina: 5; India: 1,000; United States: 700"
    assert fields.loc[("informational_by_esp", 2024), "status"] == "present"
    assert fields.loc[("referrals_by_esp", 2024), "page"] == 1


def test_a_refused_edition_says_how_to_see_why_on_the_page(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_reportlab_pdf(mirror / "2024-reports-by-country.pdf", [
        ListPage([ListTable(["Country", "Referrals", "Informational"], [["India", "1", "2"]])], title=TITLE),
        ListPage([ListTable(["Country", "Referrals", "Informational", "% Referred"],
                            [["Chad", "1", "1", "50%"], ["Total", "2", "3", "40%"]])], title=TITLE)])
    report = run_pipeline(manifest_docs("country-2024"), Workspace(tmp_path / "data"), mirror=mirror)
    (document,) = report.documents
    assert document["status"] == "failed"
    assert "2024-reports-by-country.pdf, page 2: expected the list of pages 1 to 1 to go on" in document["message"]
    assert "'% Referred' is no count column role of pipeline/data/list_layouts.csv" in document["message"]
    assert document["message"].endswith("; see it on the page: ncmec-pipeline explain country-2024 --page 2")


def test_the_report_shows_the_split_of_the_editions_that_print_it():
    from pipeline.report.trends import list_split_section

    esp = pd.DataFrame({"year": [2023, 2024, 2024], "esp": ["A", "A", "B"], "reports": [5, 10, 4],
                        "referrals": pd.array([None, 7, 1], dtype="Int64"),
                        "informational": pd.array([None, 3, 3], dtype="Int64"),
                        "reports_source": ["printed", "summed", "summed"]})
    html = list_split_section(esp, None)
    assert "<td>by ESP</td><td>2024</td><td class=\"num\">8</td><td class=\"num\">6</td>" in html.replace("\n", "")
    assert "57.1%" in html and "14 (summed)" in html and "2023" not in html
    assert "No list edition in this run prints" in list_split_section(esp[esp.year == 2023], None)

"""The list extractor on small synthetic PDFs: each test reproduces one layout NCMEC has printed
(or may print) and would break a naive reader."""

from __future__ import annotations

import pytest

from pipeline.extract import ExtractionError
from pipeline.extract.cybertipline import extract_list
from pipeline.manifest import Document
from pipeline.run import EXIT_FAILED, DataPaths, run_pipeline
from tests.synthetic import ListSpec, PageSpec, row, write_list_pdf

COUNTRY = "reports_by_country"


def names_and_counts(extraction):
    return [(r.name, r.count_text) for r in extraction.rows]


def test_wrapped_name_with_count_on_the_middle_line(tmp_path):
    """2022/2023 by-country p6: 'Saint Helena, Ascension' / '4' / 'and Tristan da Cunha'."""
    pdf = tmp_path / "wrapped.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([
        row("Romania/Rumania", "133,054"),
        row(["Saint Helena,", "Ascension and", "Tristan da Cunha"], "4", count_line=1),
        row(["Web.com/Network Solutions/", "Register/NameBargain"], "3", count_line=1),
        row(["Deluxe Corporation/", "HudsonValleyHost"], "14", count_line=0),
        row(["Hosting Services Inc/", "Autica/VPS"], "26", count_line=1),
        row("Total:", "133,101"),
    ])])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Romania/Rumania", "133,054"),
        ("Saint Helena, Ascension and Tristan da Cunha", "4"),
        ("Web.com/Network Solutions/ Register/NameBargain", "3"),
        ("Deluxe Corporation/ HudsonValleyHost", "14"),
        ("Hosting Services Inc/ Autica/VPS", "26"),
    ]
    assert result.total.count_text == "133,101"


def test_two_lists_side_by_side_on_one_page(tmp_path):
    """The older layout: two Country | Count lists on one page, read left list first."""
    pdf = tmp_path / "side_by_side.pdf"
    left = ListSpec([row("Albania", "10"), row(["Bosnia and", "Herzegovina"], "20", 1), row("Chad", "30")],
                    x=40, name_width=150, count_width=90, header=("Country", "Count"))
    right = ListSpec([row("Denmark", "40"), row("Egypt", "-"), row("Total", "100")],
                     x=320, name_width=150, count_width=90, header=("Country", "Count"))
    write_list_pdf(pdf, [PageSpec([left, right])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Albania", "10"), ("Bosnia and Herzegovina", "20"), ("Chad", "30"), ("Denmark", "40"), ("Egypt", "-")]
    assert result.total.count_text == "100"


def test_page_header_that_looks_like_a_row_is_not_read(tmp_path):
    """2023 by-country prints '2023 Reports by Country 2' above each page's list."""
    pdf = tmp_path / "page_header.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Afghanistan", "5"), row("Albania", "7")])],
                 prose=["The following is a breakdown of reports by country 12"]),
        PageSpec([ListSpec([row("Zambia", "8"), row("Total", "20")])], page_header="2023 Reports by Country 2",
                 footer_lines=["Copyright 2024 National Center for Missing & Exploited Children 2024"]),
    ])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [("Afghanistan", "5"), ("Albania", "7"), ("Zambia", "8")]
    assert [r.page for r in result.rows] == [1, 1, 2]


def test_a_count_outside_the_ruled_rows_is_refused(tmp_path):
    """A row printed without rules under the list would otherwise vanish silently."""
    pdf = tmp_path / "stray.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Total", "3")])], stray_below="1,234")])
    with pytest.raises(ExtractionError, match=r"page 1: found '1,234' in the count column"):
        extract_list(pdf, COUNTRY)


def test_renamed_total_row_is_refused(tmp_path):
    pdf = tmp_path / "no_total.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Sum of all", "3")])])])
    with pytest.raises(ExtractionError, match=r"expected a printed total row .* found last row 'Sum of all' on page 1"):
        extract_list(pdf, COUNTRY)


def test_unruled_list_is_read_when_every_line_is_unambiguous(tmp_path):
    pdf = tmp_path / "unruled.pdf"
    spec = ListSpec([row("Chad", "3"), row(["Deluxe Corporation/", "HudsonValleyHost"], "14", 0),
                     row(["Saint Helena,", "Ascension"], "2", 1), row("Total", "19")], ruled=False)
    write_list_pdf(pdf, [PageSpec([spec])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Chad", "3"), ("Deluxe Corporation/ HudsonValleyHost", "14"), ("Saint Helena, Ascension", "2")]


def test_unruled_wrapped_line_that_could_belong_to_two_rows_is_refused(tmp_path):
    """Without rules, a continuation line as near to the next row's count as to its own is a guess."""
    pdf = tmp_path / "ambiguous.pdf"
    spec = ListSpec([row(["Deluxe Corporation/", "HudsonValleyHost"], "14", 0), row("Egypt", "1"),
                     row("Total", "15")], ruled=False, pad=0)
    write_list_pdf(pdf, [PageSpec([spec])])
    with pytest.raises(ExtractionError, match="could belong to the row above or below"):
        extract_list(pdf, COUNTRY)


def test_total_that_does_not_reconcile_fails_the_document_loudly(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_list_pdf(mirror / "synthetic-by-country.pdf", [PageSpec([ListSpec([
        row("Chad", "3"), row("Egypt", "1,000"), row("Total:", "1,004")])])])
    doc = Document("country-2099", COUNTRY, 2099, "synthetic-by-country.pdf",
                   "https://www.missingkids.org/synthetic-by-country.pdf", None)
    paths = DataPaths(tmp_path / "data")
    report = run_pipeline([doc], paths, mirror=mirror)
    assert report.exit_code == EXIT_FAILED
    [document] = report.documents
    assert document["status"] == "failed"
    assert document["rows"] == 0
    assert "synthetic-by-country.pdf" in document["message"]
    assert "sum to 1,003" in document["message"] and "page 1 is 1,004" in document["message"]
    # Nothing could be published: no output is written, the run manifest says what happened.
    assert not (paths.processed / "country_reports.parquet").exists()
    [manifest] = paths.runs.glob("*.json")
    assert "page 1 is 1,004" in manifest.read_text()

"""The HTML report: every section present, every document listed, nothing fetched from outside,
every link inside the page landing somewhere; the charts and tables built from tiny inputs."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.load import to_frame
from pipeline.report import SECTIONS, build_report
from pipeline.report.charts import line_chart, nice_ticks, stacked_bar_chart
from pipeline.report.data import actionable_informational, appendix_a, esp_shares, yearly_totals
from pipeline.store import SCHEMA_VERSION, to_table


class PageStructure(HTMLParser):
    """What a structural check needs from a page: sections, ids, links, sources, tags."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sources: list[str] = []
        self.tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "section":
            self.sections.append(attributes.get("id"))
        if "href" in attributes:
            self.links.append(attributes["href"])
        for name in ("src", "xlink:href", "srcset", "data", "action", "poster"):
            if name in attributes:
                self.sources.append(attributes[name])


def external_references(text: str) -> list[str]:
    """Anything the page would fetch or navigate to outside itself."""
    page = PageStructure(text)
    found = [link for link in page.links if not link.startswith("#")]
    found += page.sources
    found += [tag for tag in page.tags if tag in ("script", "link", "iframe", "img", "object", "embed")]
    found += re.findall(r"url\(|@import", text)
    return found


def unresolved_anchors(text: str) -> list[str]:
    page = PageStructure(text)
    return [link for link in page.links if link.startswith("#") and link[1:] not in page.ids]


# --- tiny tables, typed exactly as `pipeline.load` returns them ------------------------------------

def frame(name: str, records: list[dict]) -> pd.DataFrame:
    return to_frame(to_table(name, records))


def doc(doc_id, family, year, status, printed_total=None, message=None):
    return {"doc_id": doc_id, "family": family, "year": year, "url": f"https://example.org/{doc_id}.pdf",
            "source_file": f"{doc_id}.pdf", "sha256": None if status == "missing" else "ab" * 32,
            "bytes": None, "pages": 3, "status": status, "message": message, "rows": 2,
            "printed_total": printed_total, "origin": "manifest"}


def check(source_file, name, passed, *, blocking=False, in_source=False, expected=None, actual=None, page=None,
          message="", kind=None):
    return {"source_file": source_file, "check": name, "blocking": blocking, "passed": passed,
            "in_source": in_source, "expected": expected, "actual": actual, "page": page, "message": message,
            "kind": kind or ("conflict" if in_source and not passed else None)}


def esp_row(year, esp, key, reports):
    return {"year": year, "esp": esp, "esp_key": key, "footnote": None, "reports": reports, "page": 1,
            "source_file": f"esp-{year}.pdf", "source_sha256": "ab" * 32}


def country_row(year, country, iso3, reports, status="country"):
    return {"year": year, "country": country, "footnote": None, "iso3": iso3, "iso3_status": status,
            "iso3_duplicate": False, "reports": reports, "page": 1, "source_file": f"country-{year}.pdf",
            "source_sha256": "ab" * 32}


def cell(edition, table_id, year, value, *, row="Total", measure="reports", page=20):
    return {"edition": edition, "table_id": table_id, "row_label": row, "footnote": None, "column_label": f"CY {year}",
            "year": year, "measure": measure, "value": value, "percent": None, "value_text": f"{value:,}",
            "page": page, "source_file": f"ojjdp-{edition}.pdf", "source_sha256": "0f" * 32}


@pytest.fixture
def tables() -> dict[str, pd.DataFrame | None]:
    documents = frame("documents", [
        doc("esp-2022", "reports_by_esp", 2022, "ok", 1000),
        doc("esp-2023", "reports_by_esp", 2023, "ok", 1500),
        doc("esp-2024", "reports_by_esp", 2024, "missing", message="not in the mirror"),
        doc("country-2023", "reports_by_country", 2023, "failed", message="rows do not sum to the printed total"),
        doc("ojjdp-2023", "ojjdp_transparency", 2023, "ok"),
    ])
    checks = frame("checks", [
        check("esp-2023.pdf", "total_reconciles", True, blocking=True, expected=1500, actual=1500, page=8,
              message="rows sum to 1,500, the total printed on page 8 is 1,500"),
        check("country-2023.pdf", "total_reconciles", False, blocking=True, expected=2000, actual=1990, page=8,
              message="rows sum to 1,990, the total printed on page 8 is 2,000"),
        check("ojjdp-2023.pdf", "ojjdp_same_figure:total_reports_in_appendix_a", False, in_source=True,
              expected=1500, actual=1499, page=4, message="page 4 prints 1,499; Appendix A prints 1,500"),
        check("esp-2022.pdf", "duplicate_esp_key", False, expected=0, actual=1, message="two rows key 'x'"),
    ])
    esp = frame("esp_reports", [
        esp_row(2022, "Facebook", "facebook", 800), esp_row(2022, "Google", "google", 200),
        esp_row(2023, "Facebook", "facebook", 900), esp_row(2023, "Instagram, Inc.", "instagram", 500),
        esp_row(2023, "<b>Evil & Co</b>", "evil", 100),
    ])
    country = frame("country_reports", [
        country_row(2022, "India", "IND", 600), country_row(2022, "No Country Listed", None, 400, "no_country"),
        country_row(2023, "India", "IND", 700), country_row(2023, "Philippines", "PHL", 300),
        country_row(2023, "Kosovo", None, None, "no_iso_code"),
    ])
    cells = frame("ojjdp_cells", [
        cell(2022, "appendix_a_reports_per_year", 2021, 900, page=19),
        cell(2022, "appendix_a_reports_per_year", 2022, 1000, page=19),
        cell(2023, "appendix_a_reports_per_year", 2022, 1000),
        cell(2023, "appendix_a_reports_per_year", 2023, 1500),
        cell(2023, "le_recipients", 2023, 600, row="Federal", measure="actionable", page=9),
        cell(2023, "le_recipients", 2023, 100, row="Federal", measure="informational", page=9),
        cell(2023, "le_recipients", 2023, 300, row="ICAC", measure="actionable", page=9),
        cell(2023, "le_recipients", 2023, 1000, row="ICAC", measure="total", page=9),
    ])
    presence = pd.DataFrame([
        {"field_id": "esp_total", "year": 2022, "status": "present", "value": "1,000", "evidence": "esp-2022.pdf p. 7"},
        {"field_id": "esp_total", "year": 2023, "status": "present", "value": "1,500", "evidence": "esp-2023.pdf p. 8"},
        {"field_id": "esp_total", "year": 2024, "status": "not_covered", "value": None, "evidence": "no 2024 document"},
        {"field_id": "le_feedback", "year": 2022, "status": "absent", "value": None, "evidence": "no such table"},
        {"field_id": "le_feedback", "year": 2023, "status": "present", "value": "27", "evidence": "ojjdp-2023 p. 10"},
    ]).astype({"year": "Int16", "field_id": "string", "status": "category"})
    revisions = pd.DataFrame([
        {"table_id": "le_recipients", "row_label": "Federal", "column_label": "CY 2022", "year": 2022,
         "measure": "actionable", "old_edition": 2022, "new_edition": 2023, "old_value": 1234567,
         "new_value": 1234570, "old_percent": None, "new_percent": None, "old_page": 8, "new_page": 9,
         "change": "revised"},
        {"table_id": "reports_by_user_location", "row_label": "Unknown", "column_label": "CY 2022", "year": 2022,
         "measure": "percent", "old_edition": 2022, "new_edition": 2023, "old_value": None, "new_value": None,
         "old_percent": 4.1, "new_percent": None, "old_page": 4, "new_page": None, "change": "only_in_old"},
    ]).astype({"year": "Int16", "old_edition": "Int16", "new_edition": "Int16", "old_value": "Int64",
               "new_value": "Int64", "old_percent": "Float64", "new_percent": "Float64", "old_page": "Int32",
               "new_page": "Int32"})
    return {"documents": documents, "checks": checks, "esp_reports": esp, "country_reports": country,
            "ojjdp_cells": cells, "field_presence": presence, "ojjdp_revisions": revisions}


# --- the page ---------------------------------------------------------------------------------------

def test_every_section_is_present_in_order(tables):
    page = PageStructure(build_report(tables))
    assert page.sections == [key for key, _ in SECTIONS]


def test_every_document_is_listed_with_its_status(tables):
    text = build_report(tables)
    for row in tables["documents"].itertuples():
        assert f'id="doc-{row.doc_id}"' in text
    assert '<span class="badge st-failed">failed</span>' in text
    assert "rows do not sum to the printed total" in text


def test_nothing_outside_the_page_is_referenced_and_every_anchor_lands(tables):
    text = build_report(tables)
    assert external_references(text) == []
    assert unresolved_anchors(text) == []


def test_each_presence_cell_links_to_its_evidence(tables):
    text = build_report(tables)
    cells = re.findall(r'<td class="st-([a-z-]+)"><a href="#(ev-[^"]+)"', text)
    assert len(cells) == len(tables["field_presence"])
    assert ("absent", "ev-le-feedback-2022") in cells
    year = re.search(r'<div class="year" id="ev-le-feedback-2022">(.*?)</div>', text).group(1)
    assert "absent" in year
    entry = text[text.index('id="ev-le-feedback-2022"'):].split("</li>")[0]
    assert "no such table" in entry                                    # its evidence, once per field
    assert 'title="esp_total 2024: not_covered' in text


def test_findings_show_ncmecs_numbers(tables):
    text = build_report(tables)
    findings = text[text.index('<section id="findings">'):text.index('<section id="year-over-year">')]
    disagreements = findings[:findings.index("Documents refused")]
    assert "page 4 prints 1,499; Appendix A prints 1,500" in disagreements
    assert '<td class="num">1,500</td><td class="num">1,499</td>' in disagreements
    assert "rows sum to 1,990" in findings[findings.index("Documents refused"):findings.index("Advisory notes")]
    assert "two rows key" in findings[findings.index("Advisory notes"):]


def test_missing_optional_tables_say_so_and_the_rest_still_renders(tables):
    for name in ("ojjdp_cells", "field_presence", "ojjdp_revisions", "esp_reports", "country_reports", "checks"):
        tables[name] = None
    text = build_report(tables)
    for name in ("ojjdp_cells", "field_presence", "ojjdp_revisions", "esp_reports", "country_reports", "checks"):
        assert f"<code>{name}</code> is not available in this run." in text
    assert PageStructure(text).sections == [key for key, _ in SECTIONS]
    assert unresolved_anchors(text) == []


def test_printed_names_are_escaped(tables):
    tables["esp_reports"].loc[tables["esp_reports"]["esp_key"] == "evil", "reports"] = 5000
    text = build_report(tables)
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in text
    assert "<b>Evil" not in text


def test_same_tables_give_the_same_bytes(tables):
    assert build_report(tables, run={"run_id": "r1"}) == build_report(tables, run={"run_id": "r1"})
    assert "<code>r1</code>" in build_report(tables, run={"run_id": "r1"})


def test_long_texts_go_under_their_row_and_charts_say_what_they_count(tables):
    text = build_report(tables)
    documents = text[text.index('<section id="documents">'):text.index('<section id="presence">')]
    assert "<th>notes</th>" not in documents  # a note is a line under its document, across the table
    assert '<tr class="note"><td colspan="7"><div>not in the mirror</div></td></tr>' in documents
    findings = text[text.index('<section id="findings">'):text.index('<section id="year-over-year">')]
    assert "<th>message</th>" not in findings
    assert '<tr class="note"><td colspan="6"><div>rows sum to 1,990' in findings
    assert text.count('class="axis-title"') == text.count("<svg")
    assert "share of the year&#x27;s ESP reports</text>" in text
    assert ("does not list the provider: Instagram, Inc. and &lt;b&gt;Evil &amp; Co&lt;/b&gt; in 2022."
            in text)  # a gap in a line is not a zero
    totals = text[text.index('<section id="year-over-year">'):text.index('<section id="revisions">')]
    assert '<td class="num">+500</td><td class="num">+50.0%</td>' in totals  # signed like the change beside it


def test_revisions_are_listed_by_kind_with_both_editions_figures(tables):
    revisions = build_report(tables).split('<section id="revisions">')[1].split("</section>")[0]
    restated, only_old, only_new = re.split(r"<h3>", revisions)[1:4]
    assert restated.startswith("Restated")
    assert "<th>2022 edition</th>" in restated.replace(' class="num"', "")
    assert "1,234,567 <small>p.8</small>" in restated and "1,234,570 <small>p.9</small>" in restated
    assert ">+3<" in restated
    assert "4.1% <small>p.4</small>" in only_old and "difference" not in only_old
    assert "None." in only_new
    assert "2,022" not in revisions


def test_revisions_in_an_unknown_shape_are_shown_as_they_are(tables):
    tables["ojjdp_revisions"] = pd.DataFrame({"table_id": ["t"], "edition": [2023], "value": [1234567]}).astype(
        {"edition": "Int16", "value": "Int64"})
    revisions = build_report(tables).split('<section id="revisions">')[1]
    assert "1,234,567" in revisions and ">2023<" in revisions and "2,023" not in revisions


# --- the pieces ---------------------------------------------------------------------------------------

def test_appendix_a_takes_each_year_from_the_newest_edition(tables):
    series = appendix_a(tables["ojjdp_cells"])
    assert series[["year", "reports", "edition"]].values.tolist() == [[2021, 900, 2022], [2022, 1000, 2023],
                                                                       [2023, 1500, 2023]]


def test_actionable_and_informational_are_summed_over_recipients(tables):
    frame_ = actionable_informational(tables["ojjdp_cells"])
    assert frame_[["year", "actionable", "informational"]].values.tolist() == [[2023, 900, 100]]


def test_esp_share_is_of_the_years_total(tables):
    shares = esp_shares(tables["esp_reports"], top=2)
    assert list(shares.index) == ["facebook", "instagram"]
    assert shares.loc["facebook", 2022] == 80
    assert shares.loc["instagram", 2023] == 500 / 1500 * 100
    assert pd.isna(shares.loc["instagram", 2022])


def test_yearly_totals_change_and_printed_pdf_totals(tables):
    totals = yearly_totals(tables["ojjdp_cells"], tables["documents"]).set_index("year")
    assert totals.loc[2023, "change"] == 500
    assert totals.loc[2023, "change_pct"] == 50
    assert totals.loc[2023, "esp_total"] == 1500
    assert pd.isna(totals.loc[2021, "change"])


def test_nice_ticks_cover_the_maximum_with_round_steps():
    assert nice_ticks(36_210_368) == [0, 1e7, 2e7, 3e7, 4e7]
    assert nice_ticks(95) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0) == [0.0, 1.0]


def test_bar_chart_draws_one_bar_per_value_with_its_exact_number():
    svg = stacked_bar_chart(["1998", "1999", "2000"], [("reports", [4560, None, 19245])], title="t")
    assert svg.count("<rect") == 2
    assert "<title>1998: 4,560</title>" in svg and "<title>2000: 19,245</title>" in svg


def test_line_chart_breaks_where_a_value_is_missing():
    svg = line_chart(["2020", "2021", "2022", "2023"], [("a", [1, 2, None, 4]), ("b", [1, 2, 3, 4])], title="t")
    assert svg.count("<polyline") == 2  # a: 2020-2021 only (2023 alone is a dot); b: one line
    assert svg.count("<circle") == 7


# --- on the real corpus's outputs ----------------------------------------------------------------------

def test_report_command_on_the_real_outputs(pipeline_run, tmp_path):
    paths, run_report = pipeline_run
    output = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--data-dir", str(paths.root), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"wrote {output}" in result.output
    text = output.read_text(encoding="utf-8")
    page = PageStructure(text)
    assert page.sections == [key for key, _ in SECTIONS]
    for document in run_report.documents:
        assert f'id="doc-{document["doc_id"]}"' in text
        assert document["source_file"] in text
    assert external_references(text) == []
    assert unresolved_anchors(text) == []
    assert text.count("<svg") == 4  # Appendix A, ESP share, countries, actionable vs informational
    assert "36,210,368" in text      # 2023's total, as NCMEC printed it
    for name in ("field_presence", "ojjdp_revisions"):
        produced = (paths.processed / f"{name}.parquet").is_file()
        assert produced != (f"<code>{name}</code> is not available in this run." in text)
    if (paths.processed / "field_presence.parquet").is_file():
        presence = pd.read_parquet(paths.processed / "field_presence.parquet")
        linked = re.findall(r'<td class="st-[a-z-]+"><a href="#(ev-[^"]+)"', text)
        assert len(linked) == len(set(linked)) == len(presence)
        assert set(linked) <= page.ids


def test_report_default_output_and_missing_outputs(pipeline_run, tmp_path):
    paths, _ = pipeline_run
    result = CliRunner().invoke(main, ["report", "--data-dir", str(paths.root)])
    assert result.exit_code == 0, result.output
    assert (paths.processed / "report.html").is_file()
    empty = CliRunner().invoke(main, ["report", "--data-dir", str(tmp_path)])
    assert empty.exit_code == 1 and "run `ncmec-pipeline run` first" in empty.output


def test_datasets_command_lists_the_tables_and_their_columns(pipeline_run):
    paths, _ = pipeline_run
    listing = CliRunner().invoke(main, ["datasets", "--data-dir", str(paths.root)])
    assert listing.exit_code == 0, listing.output
    assert re.search(rf"^esp_reports\s+\d+ rows\s+v{SCHEMA_VERSION}\s+CyberTipline reports by electronic service provider",
                     listing.output, re.MULTILINE)
    columns = CliRunner().invoke(main, ["datasets", "esp_reports", "--data-dir", str(paths.root)])
    assert re.search(r"^reports\s+int64\s+number of CyberTipline reports", columns.output, re.MULTILINE)
    unknown = CliRunner().invoke(main, ["datasets", "nope", "--data-dir", str(paths.root)])
    assert unknown.exit_code == 2 and "no table 'nope'" in unknown.output


def test_decimal_percent_cells_do_not_break_the_report(tables):
    percent = cell(2023, "reports_by_user_location", 2023, 0, measure="percent")
    percent.update(value=None, percent=Decimal("91.7"), value_text="91.7%")
    tables["ojjdp_cells"] = frame("ojjdp_cells", [percent])
    text = build_report(tables)
    assert "No Appendix A rows" in text and "No law-enforcement recipient rows" in text


def test_the_external_reference_check_catches_what_it_should():
    page = ('<a href="#x" id="x">ok</a><img src="https://cdn.example/x.png"><a href="https://example.org">'
            '<style>body{background:url(x.png)}</style><script></script><link rel="stylesheet" href="a.css">')
    found = external_references(page)
    assert "https://cdn.example/x.png" in found and "https://example.org" in found and "a.css" in found
    assert {"script", "link", "img"} <= set(found) and "url(" in found
    assert unresolved_anchors('<a href="#nowhere">x</a>') == ["#nowhere"]



def test_printed_report_names_its_run_and_page_and_reads_in_words(tables):
    """Printed, each page carries the run id and 'page N of M' in its margins; the heatmap is
    sorted by the titles it shows; the evidence says in words what was looked for, once per field;
    the last section is the data dictionary generated from the schemas."""
    from pipeline.store import TABLES

    presence = tables["field_presence"]
    ids = sorted(set(presence["field_id"].astype(str)))
    titles = {f: f"{chr(ord('Z') - i)} title" for i, f in enumerate(ids)}   # titles sort against the ids
    tables["field_presence"] = presence.assign(title=presence["field_id"].astype(str).map(titles))
    text = build_report(tables, run={"run_id": "20261201T000000Z-42"})
    assert '@bottom-left { content: "NCMEC pipeline report · run 20261201T000000Z-42"' in text
    assert 'counter(page) " of " counter(pages)' in text
    heatmap = text[text.index('<table class="heatmap">'):]
    heatmap = heatmap[:heatmap.index("</table>")]
    shown = re.findall(r'<th class="field">([^<]+) <code>', heatmap)
    assert shown == sorted(titles.values()) and len(shown) == len(ids) > 1
    evidence = text[text.index('<section id="evidence">'):text.index('<section id="dictionary">')]
    assert "~ /" not in evidence and "\\b" not in evidence
    dictionary = text[text.index('<section id="dictionary">'):]
    for name, (schema, _) in TABLES.items():
        assert f"<h3><code>{name}</code></h3>" in dictionary
        assert all(f"<td><code>{f.name}</code></td>" in dictionary for f in schema)

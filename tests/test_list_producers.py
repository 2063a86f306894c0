"""The list reader on layouts typeset by other PDF producers than NCMEC's Word files: reportlab
here (generated in the test), headless Chromium through committed fixtures. Split count columns
(referrals | informational | total), header bands with stacked labels, glyphs positioned one by
one, letter-spacing, subset fonts, rules of every kind, zebra stripes, lists side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract import ExtractionError
from pipeline.extract.cybertipline import extract_list
from pipeline.normalize import country_records, esp_records
from pipeline.validate.cybertipline import check_list_document
from tests.fixtures.make_chromium_fixtures import FIXTURES as CHROMIUM_SPECS
from tests.list_fuzz import run as run_fuzzer
from tests.producers import ListPage, ListTable, expected_rows, write_reportlab_pdf

COUNTRY = "reports_by_country"
CHROMIUM_FIXTURES = list(CHROMIUM_SPECS)

SPLIT = [["Chad", "10", "5", "15"], ["Bosnia and\nHerzegovina", "1,200", "300", "1,500"], ["Egypt", "-", "2", "2"],
         ["Total", "1,210", "307", "1,517"]]
SPLIT_LABELS = ["Country", "Referrals", "Informational", "Total\nReports"]


def read(pdf: Path, family: str = COUNTRY):
    result = extract_list(pdf, family)
    return result, [(r.name, tuple(text for _, text in r.counts)) for r in result.rows]


STYLES = {
    "rules_as_lines": {"rules": "lines"},
    "rules_as_thin_filled_rects": {"rules": "rects"},
    "rules_as_one_path_per_row": {"rules": "paths"},
    "zebra_stripes_no_rules": {"rules": "zebra"},
    "no_rules_at_all": {"rules": "none"},
    "rules_above_and_under_the_header_and_at_the_bottom": {"rules": "booktabs"},
    "borders_on_some_sides_only": {"rules": "sides"},
    "glyphs_one_by_one_without_spaces": {"glyphs": "single"},
    "letter_spacing": {"glyphs": "single", "letter_spacing": 1.0},
    "truetype_subset_font": {"font": "Vera"},
    "counts_left_aligned": {"count_align": "left"},
    "counts_centred": {"count_align": "center"},
    "counts_on_the_last_line_of_a_wrapped_name": {"count_line": "last"},
    "labels_stacked_from_the_top": {"header_valign": "top"},
    "small_type": {"size": 7.0},
    "large_type": {"size": 12.0},
}


@pytest.mark.parametrize("style", list(STYLES.values()), ids=list(STYLES))
def test_referrals_informational_total_is_read_exactly_whatever_the_typesetting(tmp_path, style):
    pages = [ListPage([ListTable(SPLIT_LABELS, SPLIT, **style)])]
    result, rows = read(write_reportlab_pdf(tmp_path / "split.pdf", pages))
    assert rows == expected_rows(pages)
    assert result.roles == ("referrals", "informational", "reports")
    assert result.labels == ("Referrals", "Informational", "Total Reports")
    assert dict(result.total.counts) == {"referrals": "1,210", "informational": "307", "reports": "1,517"}


def test_a_short_label_vertically_centred_beside_a_stacked_one_is_one_header(tmp_path):
    """'Country' centred beside 'Total' over 'Reports': three text lines, one header band."""
    rows = [["Chad", "3"], ["Egypt", "4"], ["Total", "7"]]
    pages = [ListPage([ListTable(["Country", "Total\nReports"], rows, header_valign="middle")])]
    result, read_rows = read(write_reportlab_pdf(tmp_path / "stacked.pdf", pages))
    assert read_rows == [("Chad", ("3",)), ("Egypt", ("4",))]
    assert result.labels == ("Total Reports",)


def test_parts_only_publish_their_sum_as_reports_saying_so(tmp_path):
    """An edition printing referrals and informational but no total: `reports` is their sum,
    recorded as summed, never as printed; a part printed '-' leaves the sum null."""
    rows = [["Chad", "10", "5"], ["Egypt", "-", "2"], ["Total", "10", "7"]]
    pages = [ListPage([ListTable(["Country", "Referrals", "Informational"], rows, rules="zebra")])]
    result, _ = read(write_reportlab_pdf(tmp_path / "parts.pdf", pages))
    raw = [{"name": r.name, "counts": dict(r.counts), "page": r.page} for r in result.rows]
    records = country_records(raw, year=2024, source_file="parts.pdf", source_sha256="0" * 64)
    assert [(r["referrals"], r["informational"], r["reports"], r["reports_source"]) for r in records] == [
        (10, 5, 15, "summed"), (None, 2, None, "summed")]


def test_two_lists_side_by_side_with_two_line_headers(tmp_path):
    left = ListTable(["Country", "Total\nReports"], [["Chad", "1"], ["Egypt", "2"]], x=40)
    right = ListTable(["Country", "Total\nReports"], [["Fiji", "3"], ["Total", "6"]], x=320)
    pages = [ListPage([left, right])]
    _, rows = read(write_reportlab_pdf(tmp_path / "side.pdf", pages))
    assert rows == expected_rows(pages)


def test_three_split_lists_side_by_side(tmp_path):
    labels = ["ESP", "Referrals", "Informational"]
    widths = [70.0, 55.0, 65.0]
    tables = [ListTable(labels, [["Snap Inc.", "1", "2"], ["X Corp.", "3", "4"]], x=20, widths=widths, size=7),
              ListTable(labels, [["Discord", "5", "6"]], x=225, widths=widths, size=7),
              ListTable(labels, [["Roblox", "7", "8"], ["Total", "16", "20"]], x=430, widths=widths, size=7)]
    pages = [ListPage(tables)]
    result, rows = read(write_reportlab_pdf(tmp_path / "three.pdf", pages), "reports_by_esp")
    assert rows == expected_rows(pages)
    assert result.roles == ("referrals", "informational")


def test_split_list_over_pages_with_its_header_on_the_first_page_only(tmp_path):
    first = ListTable(SPLIT_LABELS, SPLIT[:2])
    second = ListTable(["", "", "", ""], SPLIT[2:], header_fill=False)
    pages = [ListPage([first]), ListPage([second], title=None)]
    result, rows = read(write_reportlab_pdf(tmp_path / "over_pages.pdf", pages))
    assert rows == expected_rows(pages)
    assert [r.page for r in result.rows] == [1, 1, 2]


def test_a_count_column_no_role_matches_is_refused_by_its_label(tmp_path):
    rows = [["Chad", "10", "5", "50%"], ["Total", "10", "5", "50%"]]
    pages = [ListPage([ListTable(["Country", "Referrals", "Informational", "% Referred"], rows)])]
    with pytest.raises(ExtractionError, match=r"lines that start like a header but are not one: page 1: 'Country"
                                              r" Referrals Informational % Referred'.*'% Referred' is no count column"
                                              r" role of pipeline/data/list_layouts.csv"):
        extract_list(write_reportlab_pdf(tmp_path / "unknown_column.pdf", pages), COUNTRY)


def test_count_columns_that_change_between_pages_are_refused(tmp_path):
    pages = [ListPage([ListTable(SPLIT_LABELS, SPLIT[:2])]),
             ListPage([ListTable(["Country", "Reports"], [["Egypt", "2"], ["Total", "1,517"]])])]
    with pytest.raises(ExtractionError, match=r"page 2: expected the count columns of page 1 \(Referrals \|"
                                              r" Informational \| Total Reports\), found Reports"):
        extract_list(write_reportlab_pdf(tmp_path / "changed.pdf", pages), COUNTRY)


def test_numbers_under_no_label_in_a_split_list_are_refused(tmp_path):
    rows = [["Chad", "10", "5", "15"], ["Total", "10", "5", "15"]]
    pages = [ListPage([ListTable(["Country", "Referrals", "Informational", ""], rows)])]
    with pytest.raises(ExtractionError, match=r"expected one column of counts under each of the labels Referrals \|"
                                              r" Informational, found counts in 3 column span\(s\).*\(no label\)"):
        extract_list(write_reportlab_pdf(tmp_path / "unlabelled.pdf", pages), COUNTRY)


def test_a_row_whose_parts_do_not_add_up_fails_a_blocking_check(tmp_path):
    """Column totals cannot see two rows' counts swapped within a column; the parts check can."""
    rows = [["Chad", "10", "6", "15"], ["Egypt", "1", "1", "3"], ["Total", "11", "7", "18"]]
    pages = [ListPage([ListTable(SPLIT_LABELS, rows)])]
    result, _ = read(write_reportlab_pdf(tmp_path / "swapped.pdf", pages))
    raw = [{"name": r.name, "counts": dict(r.counts), "page": r.page} for r in result.rows]
    records = esp_records(raw, year=2024, source_file="swapped.pdf", source_sha256="0" * 64)
    total = {"referrals": 11, "informational": 7, "reports": 18}
    checks = {c.check: c for c in check_list_document(records, family="reports_by_esp", year=2024, printed_total=total,
                                                      total_page=1, source_file="swapped.pdf", roles=result.roles,
                                                      name_column="esp", key_column="esp_key")}
    assert checks["total_reconciles"].passed and checks["referrals_total_reconciles"].passed
    assert checks["informational_total_reconciles"].passed
    parts = checks["parts_add_up"]
    assert parts.blocking and not parts.passed
    assert "'Chad' p1: 10 + 6 = 16, printed 15" in parts.message and "'Egypt' p1: 1 + 1 = 2, printed 3" in parts.message


def test_a_column_total_that_does_not_reconcile_fails_blocking(tmp_path):
    rows = [["Chad", "10", "5", "15"], ["Total", "11", "5", "16"]]
    pages = [ListPage([ListTable(SPLIT_LABELS, rows)])]
    result, _ = read(write_reportlab_pdf(tmp_path / "off.pdf", pages))
    raw = [{"name": r.name, "counts": dict(r.counts), "page": r.page} for r in result.rows]
    records = country_records(raw, year=2024, source_file="off.pdf", source_sha256="0" * 64)
    checks = {c.check: c for c in check_list_document(
        records, family=COUNTRY, year=2024, printed_total={"referrals": 11, "informational": 5, "reports": 16},
        total_page=1, source_file="off.pdf", roles=result.roles, name_column="country", key_column="iso3")}
    assert not checks["referrals_total_reconciles"].passed and checks["referrals_total_reconciles"].blocking
    assert "rows referrals sum to 10, the referrals total printed on page 1 is 11" in \
        checks["referrals_total_reconciles"].message


# --- Chromium (HTML printed to PDF), printed once a session (`chromium_lists` in conftest.py)

@pytest.mark.parametrize("name", CHROMIUM_FIXTURES)
@pytest.mark.slow
def test_lists_printed_by_chromium_are_read_exactly(chromium_lists, name):
    pdf = chromium_lists[name]
    expected = json.loads(pdf.with_suffix(".json").read_text())
    result = extract_list(pdf, expected["family"])
    assert [[r.name, [t for _, t in r.counts]] for r in result.rows] == expected["rows"]
    assert list(result.roles) == expected["roles"]


# --- The fuzzer: hundreds of random layouts, exact or refused, never wrong --------------------

def test_random_layouts_are_read_exactly_or_refused_never_wrong():
    """400 seeded layouts (`tests/list_fuzz.py`): every one exact or refused. The share read
    exactly is pinned too, so a reader that refuses everything cannot pass."""
    tally, wrong = run_fuzzer(400)
    assert wrong == []
    assert tally["exact"] + tally["refused"] == 400
    assert tally["exact"] >= 360, tally


# --- A PDF written by hand (tests/rawpdf.py): several content streams, text out of reading order

def test_text_in_several_content_streams_drawn_out_of_order_is_read_in_page_order(tmp_path):
    from tests.rawpdf import list_page_streams, write_raw_pdf

    streams = list_page_streams(["Country", "Referrals", "Informational", "Total"], SPLIT[:1] + [
        ["Bosnia and Herzegovina", "1,200", "300", "1,500"]] + SPLIT[2:])
    assert len(streams) == 4
    result, rows = read(write_raw_pdf(tmp_path / "streams.pdf", [streams]))
    assert rows == [("Chad", ("10", "5", "15")), ("Bosnia and Herzegovina", ("1,200", "300", "1,500")),
                    ("Egypt", ("-", "2", "2"))]
    assert dict(result.total.counts)["reports"] == "1,517"


def test_a_header_reworded_between_pages_within_the_vocabulary_is_read(tmp_path):
    pages = [ListPage([ListTable(["Country", "Referrals", "Informational", "Total\nReports"], SPLIT[:2])]),
             ListPage([ListTable(["Country / Territory", "Referral\nReports", "Informational\nReports", "Total"],
                                 SPLIT[2:])])]
    result, rows = read(write_reportlab_pdf(tmp_path / "reworded.pdf", pages))
    assert rows == expected_rows(pages)
    assert result.labels == ("Referrals", "Informational", "Total Reports")  # as printed on the first page


def test_a_list_wrapping_into_a_second_column_without_its_header_is_read(tmp_path):
    left = ListTable(SPLIT_LABELS, SPLIT[:2], x=30, widths=[110.0, 60.0, 70.0, 60.0])
    right = ListTable(["", "", "", ""], SPLIT[2:], x=345, widths=[110.0, 60.0, 70.0, 60.0], header_fill=False)
    pages = [ListPage([left, right])]
    result, rows = read(write_reportlab_pdf(tmp_path / "wrapped.pdf", pages))
    assert rows == expected_rows(pages)
    assert dict(result.total.counts) == {"referrals": "1,210", "informational": "307", "reports": "1,517"}


def test_numbers_right_of_a_list_that_are_not_its_wrapped_rows_are_refused(tmp_path):
    """A side note right of the list, with numbers set unlike the list's rows, is not read as a
    wrapped column (its lines do not start in one place and end in the moved count columns)."""
    left = ListTable(SPLIT_LABELS, SPLIT, x=30, widths=[110.0, 60.0, 70.0, 60.0])
    note = ListTable(["", ""], [["Reports in 2023", "36,210,368"], ["Change", "-43"]], x=400, widths=[100.0, 60.0],
                     header_fill=False, rules="none")
    with pytest.raises(ExtractionError):
        extract_list(write_reportlab_pdf(tmp_path / "note.pdf", [ListPage([left, note])]), COUNTRY)


@pytest.mark.parametrize("align", ["left", "center"])
def test_a_page_without_a_header_whose_counts_are_wider_than_their_labels_is_read(tmp_path, align):
    """Found by the fuzzer (seeds 111, 325, 372): on a page without a header, left-aligned or
    centred counts wider than the carried labels were taken for rows outside the columns, and the
    wide carried label 'INFORMATIONAL' bridged two columns of counts."""
    labels = ["Country", "Referrals", "INFORMATIONAL", "TOTAL"]
    rows = [["Chad", "1", "2", "3"], ["Mali", "7", "24,768,903", "24,768,910"],
            ["United States", "999", "42", "1,041"], ["Total", "1,007", "24,768,947", "24,769,954"]]
    pages = [ListPage([ListTable(labels, rows[:1], count_align=align, size=11, font="Vera")]),
             ListPage([ListTable([""] * 4, rows[1:], count_align=align, size=11, font="Vera", header_fill=False)],
                      title=None)]
    _, read_rows = read(write_reportlab_pdf(tmp_path / "wide.pdf", pages))
    assert read_rows == expected_rows(pages)

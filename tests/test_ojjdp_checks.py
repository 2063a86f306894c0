"""OJJDP checks: on tiny synthetic cell lists (each check's pass, in-source finding and broken
extraction), then on both real editions, whose in-source findings are pinned."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.validate import blocking_failures
from pipeline.validate.ojjdp import (
    check_external_totals,
    check_labels_placed,
    check_ojjdp,
    check_percents,
    check_relation,
    check_tables_expected,
    check_unique_within_total,
)
from pipeline.validate.ojjdp_relations import load_relations
from pipeline.ojjdp_rules import parse_table_rules

RELATIONS = load_relations()

SOURCE = "ojjdp-test.pdf"


def cell(table_id, row, column, year, measure, value=None, *, percent=None, page=4):
    printed = f"{percent}%" if percent is not None else f"{value:,}" if value is not None else "-"
    return {"edition": 2023, "table_id": table_id, "row_label": row, "footnote": None, "column_label": column,
            "year": year, "measure": measure, "value": value, "percent": percent, "value_text": printed,
            "page": page}


def relation(name):
    return next(r for r in RELATIONS.sums + RELATIONS.same_figures if r.name == name)


def location(us, intl, unknown, total, year=2021, unknown_label="Unknown Location"):
    table = "reports_by_user_location"
    return [cell(table, "U.S.", f"CY {year}", year, "reports", us),
            cell(table, "International", f"CY {year}", year, "reports", intl),
            cell(table, unknown_label, f"CY {year}", year, "reports", unknown),
            cell(table, "Total", f"CY {year}", year, "reports", total)]


# --- parts add up to the printed total ------------------------------------------------------------

def test_total_that_matches_its_parts_passes():
    [result] = check_relation(location(10, 80, 10, 100), relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert (result.passed, result.blocking, result.in_source) == (True, False, False)
    assert (result.expected, result.actual) == ("100", "100")


def test_total_that_disagrees_is_an_in_source_finding_naming_table_row_year_page():
    [result] = check_relation(location(10, 80, 11, 100), relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert (result.passed, result.blocking, result.in_source) == (False, False, True)
    assert (result.expected, result.actual, result.page) == ("100", "101", 4)
    for part in (SOURCE, "reports_by_user_location", "'Total'", "CY 2021", "page 4", "difference +1"):
        assert part in result.message


def test_part_labels_may_change_between_editions():
    """2022 prints "Unknown", 2023 "Unknown Location": both are the unknown part."""
    [result] = check_relation(location(10, 80, 10, 100, unknown_label="Unknown"),
                              relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert result.passed


def test_missing_part_is_a_blocking_failure():
    cells = [c for c in location(10, 80, 10, 100) if c["row_label"] != "International"]
    [result] = check_relation(cells, relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert (result.passed, result.blocking, result.in_source) == (False, True, False)
    assert "'International'" in result.message


def test_renamed_total_row_fails_instead_of_comparing_nothing():
    cells = [c for c in location(10, 80, 10, 100) if c["row_label"] != "Total"]
    [result] = check_relation(cells, relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert (result.passed, result.blocking) == (False, True)
    assert "found none" in result.message


def test_dash_in_a_sum_is_flagged_not_compared():
    cells = location(10, 80, 10, 100)
    cells[0] = cell("reports_by_user_location", "U.S.", "CY 2021", 2021, "reports", None)
    [result] = check_relation(cells, relation("reports_by_user_location_parts"), source_file=SOURCE)
    assert (result.passed, result.blocking, result.in_source) == (False, False, False)
    assert "printed '-'" in result.message


def test_actionable_plus_informational_is_total_in_each_cell():
    row = "Federal Law Enforcement"
    cells = [cell("le_recipients", row, "CY 2021", 2021, "actionable", 916_064),
             cell("le_recipients", row, "CY 2021", 2021, "informational", 590_383),
             cell("le_recipients", row, "CY 2021", 2021, "total", 1_506_447),
             cell("le_recipients", row, "CY 2022", 2022, "actionable", 5),
             cell("le_recipients", row, "CY 2022", 2022, "informational", 5),
             cell("le_recipients", row, "CY 2022", 2022, "total", 11)]
    results = check_relation(cells, relation("le_recipients_parts"), source_file=SOURCE)
    assert [(r.passed, r.in_source, r.expected, r.actual) for r in results] == \
        [(True, False, "1506447", "1506447"), (False, True, "11", "10")]


def test_male_plus_female_is_total_victims_per_column():
    table = "cvip_identified_victims"
    printed = {2020: (271, 263, 534), 2021: (209, 615, 825)}
    cells = [cell(table, row, "Pubescent", year, "victims", value)
             for year, values in printed.items() for row, value in zip(("Male", "Female", "Total"), values)]
    results = check_relation(cells, relation("cvip_identified_victims_gender_parts"), source_file=SOURCE)
    assert [(r.passed, r.in_source) for r in results] == [(True, False), (False, True)]
    assert "CY 2021" in results[1].message


def test_agency_parts_equal_total_submissions_with_an_optional_new_row():
    table, column = "cvip_le_submissions", "CY 2023 | Reviews Submitted"
    military = ["Coast Guard Investigative Service", "Department of the Army CID",
                "Naval Criminal Investigative Service", "U.S. Air Force OSI", "U.S. Marine Corps CID"]
    cells = [cell(table, label, column, 2023, "reviews", 1) for label in military]
    cells.append(cell(table, "Total Military Agencies", column, 2023, "reviews", 5))
    [without_dod] = check_relation(cells, relation("cvip_le_submissions_military_parts"), source_file=SOURCE)
    cells.append(cell(table, "Department of Defense", column, 2023, "reviews", 1))
    [with_dod] = check_relation(cells, relation("cvip_le_submissions_military_parts"), source_file=SOURCE)
    assert (without_dod.passed, with_dod.passed, with_dod.actual) == (True, False, "6")


def test_overlapping_parts_need_only_reach_the_total():
    table = "cvip_files_by_series_category"
    column = "CY 2021 | Total Images/Videos"
    cells = [cell(table, "Images/videos in identified series", column, 2021, "total", 60),
             cell(table, "Images/videos for which a series has not yet been created", column, 2021, "total", 50),
             cell(table, "Total (as detailed above, images/videos can contain multiple children)", column, 2021,
                  "total", 100)]
    [over] = check_relation(cells, relation("cvip_series_category_parts"), source_file=SOURCE)
    cells[0] = {**cells[0], "value": 40}
    [under] = check_relation(cells, relation("cvip_series_category_parts"), source_file=SOURCE)
    assert (over.passed, under.passed, under.in_source, under.expected) == (True, False, True, ">= 100")


def test_same_figure_in_two_tables():
    cells = [cell("reports_by_submitter", "Total CyberTipline Reports", "CY 2021", 2021, "reports", 100),
             cell("appendix_a_reports_per_year", "CY2021 (1/1/21-12/31/21)", "Total Number", 2021, "reports", 101,
                  page=20)]
    [result] = check_relation(cells, relation("total_reports_in_appendix_a"), source_file=SOURCE, check="same")
    assert (result.passed, result.in_source, result.expected, result.actual) == (False, True, "100", "101")
    assert "appendix_a_reports_per_year" in result.message and "page 20" in result.message


def _placed(results, name):
    [result] = [r for r in results if r.check == name]
    return result


def test_new_agency_row_must_be_placed_in_a_group():
    table, column = "cvip_le_submissions", "CY 2024 | Reviews Submitted"
    cells = [cell(table, "Federal Bureau of Investigation", column, 2024, "reviews", 1),
             cell(table, "Space Force OSI", column, 2024, "reviews", 1, page=19)]
    result = _placed(check_labels_placed(cells, source_file=SOURCE), "ojjdp_rows_placed:cvip_le_submissions")
    assert (result.passed, result.blocking, result.page) == (False, True, 19)
    assert "'Space Force OSI'" in result.message


def test_new_location_row_is_a_label_to_place_not_an_in_source_finding():
    """CY 2024 adds a "Tribal Lands" row to the location table: U.S. + international + unknown
    no longer add up to the total, but that is a new part, not NCMEC's disagreement."""
    cells = location(10, 80, 5, 100) + [cell("reports_by_user_location", "Tribal Lands", "CY 2021", 2021, "reports", 5)]
    result = _placed(check_labels_placed(cells, source_file=SOURCE), "ojjdp_rows_placed:reports_by_user_location")
    assert (result.passed, result.blocking) == (False, True)
    assert "'Tribal Lands'" in result.message


def test_new_age_column_of_identified_victims_must_be_placed():
    """A new age group column ("Unknown Age") is in no age relation: blocking until placed."""
    table = "cvip_identified_victims"
    cells = [cell(table, "Male", column, 2024, "victims", 1)
             for column in ("Pubescent", "Prepubescent", "Infant/Toddler", "Unknown Age", "Grand Total")]
    results = check_labels_placed(cells, source_file=SOURCE)
    columns = _placed(results, "ojjdp_columns_placed:cvip_identified_victims")
    assert (columns.passed, columns.blocking) == (False, True) and "'Unknown Age'" in columns.message
    assert _placed(results, "ojjdp_rows_placed:cvip_identified_victims").passed


def test_every_relation_table_gets_a_placement_check():
    """Guards the checks themselves: a table whose relation names its parts label by label has
    its labels checked (the location, files and victims tables, not only the agency table)."""
    names = {r.check for r in check_labels_placed([], source_file=SOURCE)}
    assert {"ojjdp_rows_placed:reports_by_user_location", "ojjdp_rows_placed:files_by_type",
            "ojjdp_rows_placed:cvip_le_submissions", "ojjdp_columns_placed:cvip_identified_victims",
            "ojjdp_measures_placed:le_recipients"} <= names


# --- percents -------------------------------------------------------------------------------------

def _percent_cells(percents, counts, total):
    table = "reports_by_user_location"
    cells = [cell(table, "Total", "CY 2021", 2021, "reports", total)]
    for (label, count), percent in zip(counts, percents):
        cells.append(cell(table, label, "CY 2021", 2021, "reports", count))
        cells.append(cell(table, label, "CY 2021", 2021, "percent", percent=Decimal(percent)))
    return cells


def test_percent_is_checked_at_the_tables_precision():
    """'6%' for 5.99% is 6.0 with the zero dropped; '4%' for 4.06% should have been 4.1%."""
    cells = _percent_cells(["6", "4", "90.0"], [("U.S.", 599), ("Unknown", 406), ("International", 8995)], 10_000)
    results = check_percents(cells, source_file=SOURCE)
    by_row = {r.message.split("row ")[1].split(",")[0]: r for r in results if r.check.startswith("ojjdp_percent_of")}
    assert by_row["'U.S.'"].passed
    assert (by_row["'Unknown'"].passed, by_row["'Unknown'"].in_source) == (False, True)
    assert (by_row["'Unknown'"].expected, by_row["'Unknown'"].actual) == ("4", "4.1")
    [total] = [r for r in results if r.check.startswith("ojjdp_percents_sum")]
    assert total.passed


def test_percents_that_do_not_add_up_to_100_are_a_finding():
    cells = _percent_cells(["6.0", "4.1", "90.0"], [("U.S.", 600), ("Unknown", 410), ("International", 9000)], 10_010)
    [total] = [r for r in check_percents(cells, source_file=SOURCE) if r.check.startswith("ojjdp_percents_sum")]
    assert (total.passed, total.in_source, total.actual) == (False, True, "100.1")


def test_two_count_columns_for_one_year_are_flagged_not_overwritten():
    """Counts were keyed by (row, year): a second count column for a year (a new sub-column)
    silently replaced the first, and the percent was checked against whichever came last."""
    cells = _percent_cells(["6", "4", "90.0"], [("U.S.", 599), ("Unknown", 406), ("International", 8995)], 10_000)
    cells.append(cell("reports_by_user_location", "U.S.", "CY 2021 | Unique", 2021, "reports", 500))
    flagged = [r for r in check_percents(cells, source_file=SOURCE) if r.blocking and not r.passed]
    assert len(flagged) == 1 and "'U.S.'" in flagged[0].message and "found 2" in flagged[0].message
    assert "CY 2021 | Unique" in flagged[0].message


def test_two_unique_columns_for_one_row_and_year_are_flagged():
    """Unique and total were paired by (table, row, year): a second unique column overwrote the first."""
    table = "cvip_unique_by_relationship_type"
    cells = [cell(table, "Aunt", "CY 2021 | Total Images/Videos", 2021, "total", 10),
             cell(table, "Aunt", "CY 2021 | Unique Images/Videos", 2021, "unique", 11),
             cell(table, "Aunt", "CY 2021 | Unique Series", 2021, "unique", 2)]
    results = check_unique_within_total(cells, source_file=SOURCE)
    assert any(r.blocking and not r.passed and "CY 2021 | Unique Series" in r.message for r in results)


def test_unique_above_total_is_a_finding():
    table = "cvip_unique_by_relationship_type"
    cells = [cell(table, "Aunt", "CY 2021 | Total Images/Videos", 2021, "total", 10),
             cell(table, "Aunt", "CY 2021 | Unique Images/Videos", 2021, "unique", 11)]
    [result] = check_unique_within_total(cells, source_file=SOURCE)
    assert (result.passed, result.in_source) == (False, True)


# --- other documents' printed totals -------------------------------------------------------------

def _submitter(esp=90, total=100, year=2021):
    return [cell("reports_by_submitter", "ESP CyberTipline Reports", f"CY {year}", year, "reports", esp),
            cell("reports_by_submitter", "Total CyberTipline Reports", f"CY {year}", year, "reports", total)]


def test_esp_row_against_the_by_esp_total():
    agree = check_external_totals(_submitter(), {2021: 90}, row_pattern="ESP CyberTipline Reports",
                                  document="reports by ESP", source_file=SOURCE)
    differ = check_external_totals(_submitter(), {2021: 91}, row_pattern="ESP CyberTipline Reports",
                                   document="reports by ESP", source_file=SOURCE)
    assert [(r.passed, r.in_source) for r in agree + differ] == [(True, False), (False, True)]
    assert (differ[0].expected, differ[0].actual) == ("91", "90")


def test_year_without_a_by_esp_total_gets_no_check():
    assert check_external_totals(_submitter(), {2020: 90}, row_pattern="ESP CyberTipline Reports",
                                 document="reports by ESP", source_file=SOURCE) == []


def test_missing_esp_row_is_a_blocking_failure():
    cells = [c for c in _submitter() if not c["row_label"].startswith("ESP")]
    [result] = check_external_totals(cells, {2021: 90}, row_pattern="ESP CyberTipline Reports",
                                     document="reports by ESP", source_file=SOURCE)
    assert (result.passed, result.blocking) == (False, True)


def test_check_ojjdp_on_an_empty_edition_is_all_blocking_failures():
    """An extraction that lost every table cannot pass by comparing nothing."""
    results = check_ojjdp([], source_file=SOURCE, esp_totals={2021: 1}, country_totals={2021: 1})
    failed = {r.check for r in blocking_failures(results)}
    assert {f"ojjdp_parts_sum:{r.name}" for r in RELATIONS.sums} <= failed
    assert {f"ojjdp_same_figure:{r.name}" for r in RELATIONS.same_figures} <= failed
    assert not [r for r in results if r.passed and r.check.startswith(("ojjdp_parts_sum", "ojjdp_same_figure"))]


# --- every expected table read -------------------------------------------------------------------

RULES = parse_table_rules(
    "table_id,pattern,default_measure,column_measures,one_per_year,editions,description\n"
    "reports_by_submitter,Reports Submitted by Members,reports,,false,2022-,public and ESP reports\n"
    "le_feedback_instances,Instances of Law Enforcement Feedback,instances,,false,2022-2023,feedback\n")


def test_missing_expected_table_is_a_blocking_failure_naming_its_caption_page():
    """A table drawn without borders is not read at all; nothing else noticed (most tables are in
    no sum relation). The message names table, editions and the page printing its caption."""
    cells = [cell("reports_by_submitter", "Total CyberTipline Reports", "CY 2023", 2023, "reports", 1)]
    pages = ["Prose.", "Instances of Law\nEnforcement Feedback Relating to CyberTipline Reports\nCY 2023 51"]
    results = check_tables_expected(cells, edition=2023, source_file=SOURCE, page_texts=pages, rules=RULES)
    [missing] = blocking_failures(results)
    assert (missing.check, missing.page) == ("ojjdp_table_found:le_feedback_instances", 2)
    for fragment in (SOURCE, "le_feedback_instances", "CY 2023 edition", "editions 2022-2023", "page 2",
                     "no bordered table was read", "close the rule's editions range (to 2022-2022)"):
        assert fragment in missing.message, fragment
    [found] = [r for r in results if r.passed]
    assert found.check == "ojjdp_table_found:reports_by_submitter"


def test_missing_table_names_the_unrecognised_tables_read():
    """A reworded title makes the table unknown_*: the message offered only closing the editions
    range, not the rule's pattern, which is where the fix lies."""
    cells = [cell("unknown_p10_1", "Local Law Enforcement", "CY 2023", 2023, "count", 51, page=10)]
    [missing] = blocking_failures(check_tables_expected(cells, edition=2023, source_file=SOURCE, rules=RULES[1:]))
    assert "tables no rule recognises were read: unknown_p10_1 (page 10)" in missing.message
    assert "widen the rule's pattern" in missing.message


def test_missing_table_without_page_texts_still_fails():
    [missing] = blocking_failures(check_tables_expected([], edition=2023, source_file=SOURCE, rules=RULES[1:]))
    assert "found none of its numbers" in missing.message and missing.page is None


def test_table_is_not_expected_after_its_editions_range_closes():
    """A table NCMEC dropped: closing the rule's range (2022-2023) stops expecting it in CY 2024."""
    assert check_tables_expected([], edition=2024, source_file=SOURCE, rules=RULES[1:]) == []


def test_check_ojjdp_checks_expected_tables_for_the_cells_edition():
    cells = [cell("reports_by_submitter", "Total CyberTipline Reports", "CY 2023", 2023, "reports", 1)]
    failed = {r.check for r in blocking_failures(check_ojjdp(cells, source_file=SOURCE, esp_totals={},
                                                             country_totals={}))}
    assert "ojjdp_table_found:le_feedback_instances" in failed
    assert "ojjdp_table_found:reports_by_submitter" not in failed


# --- the real editions ------------------------------------------------------------------------------

# Printed totals of the by-ESP and by-country PDFs of the corpus (their last row).
ESP_TOTALS = {2020: 21_447_786, 2021: 29_157_083, 2022: 31_802_525, 2023: 35_944_826}
COUNTRY_TOTALS = {2020: 21_751_085, 2021: 29_397_681, 2022: 32_059_029, 2023: 36_210_368}

FILES = {
    2022: "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf",
    2023: "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf",
}

# (check, page, expected, actual): NCMEC's figures that disagree, identical in both editions
FINDINGS = {
    2022: [
        ("ojjdp_parts_sum:cvip_relationship_type_parts", 15, ">= 1241723", "1238363"),
        ("ojjdp_percent_of_total:reports_by_user_location", 4, "4", "4.1"),
    ],
    2023: [
        ("ojjdp_parts_sum:cvip_relationship_type_parts", 16, ">= 1241723", "1238363"),
        ("ojjdp_percent_of_total:reports_by_user_location", 4, "4", "4.1"),
    ],
}


@pytest.fixture(scope="module")
def real_checks(corpus_dir):
    from pipeline.extract.ojjdp import extract_ojjdp

    out = {}
    for edition, name in FILES.items():
        cells = extract_ojjdp(corpus_dir / name, edition=edition).cells
        out[edition] = check_ojjdp(cells, source_file=name, esp_totals=ESP_TOTALS, country_totals=COUNTRY_TOTALS)
    return out


@pytest.mark.parametrize("edition", sorted(FILES))
def test_real_edition_has_no_blocking_failures(real_checks, edition):
    assert blocking_failures(real_checks[edition]) == []


@pytest.mark.parametrize("edition", sorted(FILES))
def test_real_edition_in_source_findings(real_checks, edition):
    findings = [(r.check, r.page, r.expected, r.actual) for r in real_checks[edition] if not r.passed]
    assert findings == FINDINGS[edition]
    assert all(r.in_source and not r.blocking for r in real_checks[edition] if not r.passed)


@pytest.mark.parametrize("edition", sorted(FILES))
def test_real_edition_matches_the_other_documents(real_checks, edition):
    external = [r for r in real_checks[edition] if r.check.startswith("ojjdp_matches_")]
    assert len(external) == 6 and all(r.passed for r in external)

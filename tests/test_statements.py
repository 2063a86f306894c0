"""Statements: the numbers NCMEC states in running text, and the prose–table checks over them.

Synthetic tests read made-up page texts and records (each check flipped: a stated figure that
agrees and one that does not, running totals that reconcile and ones that do not); the corpus
tests pin what the two OJJDP editions and the list PDFs state, and every check that fails on the
shared corpus.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.statements import (
    StatementsVocabularyError,
    document_sentences,
    document_statements,
    load_vocabulary,
    page_running_sentences,
    parse_vocabulary,
    sentence_numbers,
)
from pipeline.validate import CheckResult
from pipeline.validate.findings import (
    check_record,
    finding_rows,
    kind_counts,
    render_findings,
    summary_phrase,
    typed_number,
    with_kind,
)
from pipeline.validate.statements import (
    check_cumulative_between,
    check_cumulative_within,
    check_label_words,
    check_stated_figures,
    check_year_claims,
    period_bounds,
)

VOCABULARY = load_vocabulary()
ED22 = "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf"
ED23 = "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf"


def numbers(sentence: str) -> list[tuple]:
    return [(n.number_text, n.value, n.unit, n.qualifier, n.year, n.as_of) for n in sentence_numbers(sentence, VOCABULARY)]


# --- reading numbers in sentences ----------------------------------------------------------------

def test_scale_qualifier_year_and_elided_unit():
    assert numbers("In CY 2020, NCMEC received over 21.7 million reports to the CyberTipline; in CY 2021, it "
                   "received 29.3 million; and in CY 2022, it received over 32 million.") == [
        ("21.7 million", 21_700_000, "reports", "over", 2020, None),
        ("29.3 million", 29_300_000, "reports", None, 2021, None),
        ("32 million", 32_000_000, "reports", "over", 2022, None)]


def test_as_of_date_and_approximately():
    assert numbers("As of January 31, 2023, ESPs have added 120,535 MD5 hashes and 2,973,022 PhotoDNA signatures.") == [
        ("120,535", 120_535, "hashes", None, None, dt.date(2023, 1, 31)),
        ("2,973,022", 2_973_022, "signatures", None, None, dt.date(2023, 1, 31))]
    [stated] = sentence_numbers("NCMEC located approximately 75,000 hashes on the list.", VOCABULARY)
    assert (stated.qualifier, stated.bound, stated.precision, stated.interval()) == \
        ("approximately", "approximate", 1000, (74_000, 76_000))


def test_dates_years_citations_markers_and_enumerations_are_no_statements():
    for sentence in ("In 1981, NCMEC was founded in March 2002 (Public Law 117-103).",
                     "References to CY 2021 refer to the timeframe from January 1, 2021 through December 31, 2021.",
                     "U.S.-based ESPs must report (see 18 U.S.C. § 2258A(b)(4)).",
                     "Call 1-800-THE-LOST, 24/7.",
                     "It includes: (1) the number of reports; and (2) the files.",
                     "Providers1 (ESPs) report to the CyberTipline.2 Appendix A lists MD5 and SHA1.",
                     "1. File is visually reviewed."):
        assert numbers(sentence) == [], sentence


def test_glued_words_and_ages_are_read():
    assert numbers("As of December 31, 2023, 46 ESPs and 12other organizations have access.")[1][:3] == \
        ("12", 12, "organizations")
    assert numbers("In 1981, 6-year-old Adam Walsh vanished.") == [("6", 6, "years", None, 1981, None)]


def test_a_clause_naming_several_years_gives_a_period_not_a_year():
    [first, _] = sentence_numbers("The chart shows files reviewed in CY 2021, CY 2022, and CY 2023 for each of these"
                                  " 4 series categories and each of these 4 series categories.", VOCABULARY)
    assert (first.unit, first.year, first.period) == ("categories", None, "CY 2021–CY 2023")


PAGE = """\
B. Details of Content
In CY 2020, 42 new ESPs were registered to report to the CyberTipline; in CY 2021,
this number increased to 149 new ESPs; and in CY 2022 68 new ESPs were registered
to report.1 The chart below shows the numbers.
New ESPs Registered by NCMEC 42 149 68
Informational: 11,900
As of January 31, 2023, NCMEC has added 6,482,859 hashes to the Non-
Governmental Apparent Child Pornography Hash-Sharing Initiative.
41 ESPs and 8 non-governmental organizations have chosen to access it.
1 A provider is defined in 18 U.S.C. § 2258E(2) as one of 3 kinds.
Copyright © 2022 National Center for Missing & Exploited Children. All rights reserved.
7
"""


def test_running_text_leaves_out_tables_furniture_and_footnote_markers():
    ignore = __import__("pipeline.fields", fromlist=["load_catalog"]).load_catalog().ignore_lines
    sentences = page_running_sentences(PAGE, page=7, vocabulary=VOCABULARY, ignore_lines=ignore,
                                       table_numbers={"42", "149", "68", "11,900"})
    texts = [(s.location, s.text) for s in sentences]
    assert ("body", "In CY 2020, 42 new ESPs were registered to report to the CyberTipline; in CY 2021, this number"
                    " increased to 149 new ESPs; and in CY 2022 68 new ESPs were registered to report.1") in texts
    assert ("body", "As of January 31, 2023, NCMEC has added 6,482,859 hashes to the Non-Governmental Apparent Child"
                    " Pornography Hash-Sharing Initiative.") in texts
    assert ("body", "41 ESPs and 8 non-governmental organizations have chosen to access it.") in texts  # no footnote
    assert ("footnote", "A provider is defined in 18 U.S.C. § 2258E(2) as one of 3 kinds.") in texts
    assert not any("Registered by NCMEC" in t or "11,900" in t or "Copyright" in t for _, t in texts)
    records = document_statements(sentences, edition=2022, family="ojjdp_transparency", source_file="x.pdf",
                                  source_sha256="ab", cells=[], vocabulary=VOCABULARY)
    assert [(r["number_text"], r["location"]) for r in records] == [
        ("42", "body"), ("149", "body"), ("68", "body"), ("6,482,859", "body"), ("41", "body"), ("8", "body"),
        ("3", "footnote")]


def test_a_list_pdfs_running_text_ends_at_its_header():
    from pipeline.statements import list_header_pattern

    page = ("In 2023, the CyberTipline received more than 36.2 million reports.\nESP Reports\n4chan 1,657\n"
            "Amazon 25,497\n")
    sentences = document_sentences([page], stop_at=list_header_pattern("reports_by_esp"), vocabulary=VOCABULARY)
    assert [s.text for s in sentences] == ["In 2023, the CyberTipline received more than 36.2 million reports."]


def test_a_stated_figure_names_the_cell_that_prints_it():
    cells = [cell(ED22, "new_esps_registered", 2021, 149, page=8, row="New ESPs Registered by NCMEC"),
             cell(ED22, "new_esps_registered", 2022, 68, page=8, row="New ESPs Registered by NCMEC")]
    sentences = page_running_sentences("In CY 2021, 149 new ESPs were registered; in CY 2022, 67 ESPs were registered.",
                                       page=7, vocabulary=VOCABULARY)
    records = document_statements(sentences, edition=2022, family="ojjdp_transparency", source_file=ED22,
                                  source_sha256="ab", cells=cells, vocabulary=VOCABULARY)
    assert [(r["number_text"], r["figure"], r["table_id"], r["cell_page"]) for r in records] == [
        ("149", "new_esps_registered", "new_esps_registered", 8), ("67", "new_esps_registered", None, None)]


def test_a_malformed_vocabulary_is_refused():
    data = {"units": [{"unit": "reports", "words": "reports", "measures": ["reports"]}],
            "figures": [{"id": "x", "sentence": "received", "unit": "hashes", "cells": [{"table_id": "t"}]}]}
    with pytest.raises(StatementsVocabularyError, match=r"figures x: unit must be one of the \[\[units\]\] \(reports\)"):
        parse_vocabulary(data)
    with pytest.raises(StatementsVocabularyError, match="needs a .*years"):
        parse_vocabulary({"units": data["units"], "year_claims": [{"id": "y", "sentence": "CY", "table_id": "t"}]})
    with pytest.raises(StatementsVocabularyError, match="bound must be lower, upper or approximate"):
        parse_vocabulary({"units": data["units"], "qualifiers": [{"phrase": "some", "bound": "fuzzy"}]})


# --- checks: synthetic ----------------------------------------------------------------------------

def cell(source_file, table_id, year, value, *, page=4, row=None, column=None, measure="reports"):
    return {"source_file": source_file, "table_id": table_id, "year": year, "value": value, "page": page,
            "row_label": row, "column_label": column or f"CY {year}", "measure": measure, "percent": None,
            "value_text": "-" if value is None else f"{value:,}"}


def statement(source_file, number_text, value, *, page=3, year=None, figure=None, precision=1.0, qualifier=None,
              bound=None, as_of=None, unit="reports", edition=2022, adjusted_by=None, sentence="A sentence."):
    return {"source_file": source_file, "page": page, "sentence": sentence, "number_text": number_text, "value": value,
            "precision": precision, "qualifier": qualifier, "bound": bound, "year": year, "as_of": as_of,
            "figure": figure, "cumulative": as_of is not None, "unit": unit, "edition": edition,
            "adjusted_by": adjusted_by}


TOTALS = [cell(ED22, "reports_by_submitter", 2021, 29_397_681, row="Total CyberTipline Reports"),
          cell(ED22, "appendix_a_reports_per_year", 1998, 4_560, page=19, row="CY1998")]


@pytest.mark.parametrize("stated, expected", [
    (statement(ED22, "4,560", 4560, year=1998, figure="total_reports"), (True, None)),
    (statement(ED22, "2,772", 2772, year=1998, figure="total_reports"), (False, "conflict")),
    (statement(ED22, "29.4 million", 29.4e6, year=2021, figure="total_reports", precision=1e5), (True, None)),
    (statement(ED22, "over 29.3 million", 29.3e6, year=2021, figure="total_reports", precision=1e5,
               qualifier="over", bound="lower"), (True, None)),
    (statement(ED22, "29.3 million", 29.3e6, year=2021, figure="total_reports", precision=1e5), (False, "rounding")),
    (statement(ED22, "29.1 million", 29.1e6, year=2021, figure="total_reports", precision=1e5), (False, "conflict")),
])
def test_stated_figure_against_the_table(stated, expected):
    [result] = check_stated_figures([stated], TOTALS, VOCABULARY)
    assert (result.passed, result.kind) == expected
    assert result.in_source is (not result.passed) and result.blocking is False
    assert result.other_page in (4, 19) and result.page == 3
    assert result.expected == {1998: 4560, 2021: 29_397_681}[stated["year"]] and result.actual == stated["value"]


def test_a_stated_figure_no_table_prints_is_not_checked():
    assert check_stated_figures([statement(ED22, "10", 10, year=1997, figure="total_reports")], TOTALS, VOCABULARY) == []
    assert check_stated_figures([statement(ED23, "4,560", 4560, year=1998, figure="total_reports")], TOTALS,
                                VOCABULARY) == []  # another document's table


JAN, DEC = dt.date(2023, 1, 31), dt.date(2023, 12, 31)
PHOTODNA = [cell(ED22, "esp_photodna_industry", y, v, page=12, measure="signatures")
            for y, v in ((2020, 599_456), (2021, 447_523), (2022, 1_266_429))] + \
           [cell(ED23, "esp_photodna_industry", y, v, page=13, measure="signatures")
            for y, v in ((2021, 447_523), (2022, 1_266_429), (2023, 427_139))]


def photodna(source, value, as_of, **kw):
    return statement(source, f"{value:,}", value, as_of=as_of, figure="industry_photodna_signatures",
                     unit="signatures", page=12 if source == ED22 else 13, **kw)


@pytest.mark.parametrize("later, passed", [(3_390_000, True), (2_973_022, True), (3_900_099, False), (2_900_000, False)])
def test_running_totals_between_editions_against_the_additions(later, passed):
    found = check_cumulative_between([photodna(ED22, 2_973_022, JAN), photodna(ED23, later, DEC, edition=2023)],
                                     PHOTODNA, VOCABULARY)
    [result] = found
    assert (result.passed, result.kind) == (passed, None if passed else "conflict")
    assert (result.actual, result.page, result.other_page, result.other_source_file) == \
        (later - 2_973_022, 13, 12, ED22)
    if later == 3_900_099:
        assert result.expected == 427_139 and result.relation == "<=" and "more than the additions by 499,938" in \
            result.message


def test_approximately_gives_a_tolerance_of_one_printed_unit():
    # 427,139 added in CY 2023: "approximately 3,400,000" from 2,973,022 allows up to 3,401,000 - 2,973,022.
    ok = photodna(ED23, 3_400_000, DEC, edition=2023, qualifier="approximately", bound="approximate", precision=1000)
    assert check_cumulative_between([photodna(ED22, 2_973_022, JAN), ok], PHOTODNA, VOCABULARY)[0].passed
    exact = photodna(ED23, 3_401_000, DEC, edition=2023)
    assert not check_cumulative_between([photodna(ED22, 2_973_022, JAN), exact], PHOTODNA, VOCABULARY)[0].passed
    loose = photodna(ED23, 3_402_000, DEC, edition=2023, qualifier="approximately", bound="approximate",
                     precision=1000)
    assert not check_cumulative_between([photodna(ED22, 2_973_022, JAN), loose], PHOTODNA, VOCABULARY)[0].passed


def test_a_running_total_the_text_says_was_adjusted_is_non_additive():
    adjusted = photodna(ED23, 2_900_000, DEC, edition=2023, adjusted_by="the total count has been adjusted")
    [result] = check_cumulative_between([photodna(ED22, 2_973_022, JAN), adjusted], PHOTODNA, VOCABULARY)
    assert (result.passed, result.kind) == (False, "non_additive") and "adjusted" in result.message


def test_period_bounds():
    additions = {y: {"value": v} for y, v in ((2022, 10), (2023, 20), (2024, None))}
    assert period_bounds(additions, JAN, DEC) == (0, 20, [2023])
    assert period_bounds(additions, dt.date(2021, 12, 31), DEC) == (30, 30, [2022, 2023])
    assert period_bounds(additions, JAN, dt.date(2024, 6, 30)) == (0, None, [2023, 2024])


@pytest.mark.parametrize("value, passed, kind", [(2_313_408, True, None), (2_313_407, False, "conflict")])
def test_a_running_total_within_an_edition_covers_its_additions(value, passed, kind):
    [result] = check_cumulative_within([photodna(ED22, value, JAN)], PHOTODNA, VOCABULARY)
    assert (result.passed, result.kind, result.expected, result.relation) == (passed, kind, 2_313_408, ">=")


LE = [cell(ED22, "le_recipients", y, 1, page=8, measure=m, row="ICAC")
      for y in (2020, 2021, 2022) for m in ("actionable", "informational", "total")]


@pytest.mark.parametrize("years, passed", [("CY 2022", False), ("CY 2020, CY 2021, and CY 2022", True)])
def test_which_years_a_table_splits(years, passed):
    sentence = f"As noted in the above chart, {years} report numbers are differentiated between “actionable” and more."
    [result] = check_year_claims([{"source_file": ED22, "page": 9, "sentence": sentence}], LE, VOCABULARY)
    assert (result.passed, result.kind, result.page, result.other_page) == (passed, None if passed else "label", 9, 8)


def anchor(table_id, page, offset):
    return {"source_file": ED22, "table_id": table_id, "page": page, "offset": offset}


CHARTS = [cell(ED22, "ncmec_md5_ngo", y, 1, page=11, measure="hashes") for y in (2020, 2021, 2022)] + \
         [cell(ED22, "esp_md5_industry", y, 1, page=12, measure="hashes") for y in (2021, 2022)] + \
         [cell(ED22, "esp_photodna_industry", y, 1, page=12, measure="signatures") for y in (2020, 2021, 2022)]
TABLES = [anchor("ncmec_md5_ngo", 11, 0), anchor("esp_md5_industry", 12, 900), anchor("esp_photodna_industry", 12, 1200)]


@pytest.mark.parametrize("sentence, page, offset, expected", [
    # the next table, on the next page
    ("The chart below shows the hashes added in CY 2020, CY 2021, and CY 2022 to the list.", 10, 2000,
     (True, "ncmec_md5_ngo")),
    ("The chart below shows the hashes added in CY 2021, and CY 2022 to the list.", 10, 2000, (False, "ncmec_md5_ngo")),
    # plural: the tables up to the next such sentence, together (2021-2022 and 2020-2022)
    ("The charts below show the hashes and signatures added in CY 2020, CY 2021, and CY 2022.", 12, 500,
     (True, "esp_md5_industry, esp_photodna_industry")),
    # singular: only the next table, which prints 2021-2022
    ("The chart below shows the hashes added in CY 2020, CY 2021, and CY 2022.", 12, 500, (False, "esp_md5_industry")),
])
def test_which_years_the_chart_below_covers(sentence, page, offset, expected):
    [result] = check_year_claims([{"source_file": ED22, "page": page, "offset": offset, "sentence": sentence}],
                                 CHARTS, VOCABULARY, TABLES)
    assert (result.passed, result.check) == (expected[0], "statement_years:chart_below")
    assert f"; {expected[1]} (page" in result.message
    assert result.kind == (None if expected[0] else "label")


def test_sentences_and_captions_are_placed_in_reading_order():
    from pipeline.statements import Sentence, sentence_offsets, table_anchors

    # Both sentences open with the same 60 characters (2022 ed. p.4).
    first_text = "The chart below shows the number of CyberTipline reports NCMEC received from the public in CY 2022."
    second_text = "The chart below shows the number of CyberTipline reports NCMEC received in CY 2022 by location."
    page = (f"{first_text} Public 5\n{second_text} Totals of Unique and Visually\n"
            "Unique and Visually Similar Images/Videos Contained in Reports 7")
    sentences = [Sentence(1, 0, first_text, "body"), Sentence(1, 1, second_text, "body")]
    first, second = sentence_offsets([page], sentences)
    assert (first, second) == (0, page.index(second_text))
    [placed] = table_anchors([page], [{"table_id": "files_unique_similar", "page": 1, "source_file": ED22,
                                       "caption": "Unique and Visually Similar Images/Videos Contained in Reports"}])
    assert placed["offset"] == page.replace("\n", " ").index("Unique and Visually Similar Images")


@pytest.mark.parametrize("label, passed", [
    ("CY 2021– Visually Similar Images and Videos Determined by PhotoDNA", True),
    ("CY 2021– Unique Images and Videos Determined by PhotoDNA and Videntifier Technology", False)])
def test_a_label_that_names_another_measure(label, passed):
    cells = [cell(ED22, "files_unique_similar", 2021, 5, page=7, row="Images", column=label, measure="similar"),
             cell(ED22, "files_unique_similar", 2021, 6, page=7, row="Images", column="CY 2021– Unique Images and"
                  " Videos Determined by MD5 Hashing", measure="unique")]
    results = check_label_words(cells, VOCABULARY)
    assert [(r.passed, r.kind) for r in results] == [(passed, None if passed else "label")]


# --- kinds and typed records ----------------------------------------------------------------------

def test_kinds_from_the_check_name_or_the_check():
    legacy = CheckResult("x.pdf", "ojjdp_percent_of_total:reports_by_user_location", False, False, "4", "4.1",
                         in_source=True)
    assert with_kind(legacy).kind == "rounding"
    assert with_kind(CheckResult("x.pdf", "statement_figure:t", False, False, in_source=True, kind="rounding")).kind \
        == "rounding"
    assert with_kind(CheckResult("x.pdf", "row_count", True, False)).kind is None  # not a finding
    with pytest.raises(ValueError, match="finding_kinds.csv gives 'brand_new' no kind"):
        with_kind(CheckResult("x.pdf", "brand_new:t", False, False, in_source=True))


def test_expected_and_actual_become_typed_numbers():
    assert typed_number(">= 1241723") == (1_241_723.0, ">=")
    assert typed_number("4.1") == (4.1, None) and typed_number("found") == (None, None)
    assert typed_number(12) == (12.0, None)
    record = check_record(CheckResult("x.pdf", "c", False, True, ">= 10", "12"))
    assert (record["expected"], record["actual"], record["relation"]) == (10.0, 12.0, ">=")


def test_summary_phrase_by_kind():
    checks = [CheckResult("x", "c", False, False, in_source=True, kind=k)
              for k in ("conflict", "conflict", "rounding", "label", "label", "label")]
    checks.append(CheckResult("x", "c", False, False))  # advisory note: not a finding
    assert summary_phrase(kind_counts(checks)) == "2 conflicts, 1 rounding, 3 label quirks in NCMEC's figures"
    assert summary_phrase(kind_counts([])) == "no findings in NCMEC's figures"


# --- the real corpus ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def outputs(pipeline_run):
    paths, report = pipeline_run
    return (pd.read_parquet(paths.processed / "statements.parquet"), pd.read_parquet(paths.processed / "checks.parquet"),
            report, paths)


def test_statement_counts_per_document(outputs):
    statements, *_ = outputs
    assert statements.groupby("source_file").size().to_dict() == {
        ED22: 29, ED23: 30, "2020-reports-by-esp.pdf": 2, "2021-reports-by-esp.pdf": 2, "2022-reports-by-esp.pdf": 2,
        "2023-reports-by-esp.pdf": 2}  # the by-country PDFs' intros state no number
    assert set(statements["location"]) == {"body"}


# (file, page, number as printed, value, unit, qualifier, year, as_of, matching table, its page)
PINNED = [
    (ED22, 3, "4,560", 4560, "reports", None, 1998, None, "appendix_a_reports_per_year", 19),
    (ED22, 3, "21.7 million", 21_700_000, "reports", "over", 2020, None, "reports_by_submitter", 4),
    (ED22, 3, "29.3 million", 29_300_000, "reports", None, 2021, None, None, None),
    (ED22, 7, "42", 42, "esps", None, 2020, None, "new_esps_registered", 8),
    (ED22, 7, "1,500", 1500, "esps", "over", None, "2022-12-31", None, None),
    (ED22, 11, "6,482,859", 6_482_859, "hashes", None, None, "2023-01-31", None, None),
    (ED22, 13, "25,000", 25_000, "victims", "more than", None, "2023-01-31", None, None),
    (ED23, 3, "2,772", 2772, "reports", None, 1998, None, None, None),
    (ED23, 3, "36.2 million", 36_200_000, "reports", None, 2023, None, "reports_by_submitter", 4),
    (ED23, 7, "192", 192, "esps", None, 2023, None, "new_esps_registered", 8),
    (ED23, 12, "75,000", 75_000, "hashes", "approximately", None, None, None, None),
    (ED23, 13, "3,900,099", 3_900_099, "signatures", None, None, "2023-12-31", None, None),
    (ED23, 14, "406 million", 406_000_000, "files", "over", None, "2023-12-31", None, None),
    ("2023-reports-by-esp.pdf", 1, "35.9 million", 35_900_000, "reports", "more than", 2023, None, "esp_reports", 8),
]


@pytest.mark.parametrize("pinned", PINNED, ids=[f"{p[0][:12]}-p{p[1]}-{p[2]}" for p in PINNED])
def test_pinned_statements(outputs, pinned):
    statements, *_ = outputs
    source_file, page, number_text, *rest = pinned
    rows = statements[(statements.source_file == source_file) & (statements.page == page)
                      & (statements.number_text == number_text)]
    assert len(rows) == 1, rows
    r = rows.iloc[0]
    def value(v):
        return None if pd.isna(v) else v
    found = (int(r.value), value(r.unit), value(r.qualifier), None if pd.isna(r.year) else int(r.year),
             None if r.as_of is None or pd.isna(r.as_of) else str(r.as_of), value(r.table_id),
             None if pd.isna(r.cell_page) else int(r.cell_page))
    assert found == tuple(rest)
    assert r.source_sha256 and len(r.source_sha256) == 64


def test_the_adjusted_running_total_quotes_the_sentence(outputs):
    statements, *_ = outputs
    [row] = statements[(statements.source_file == ED23) & (statements.number_text == "296,222")].itertuples()
    assert row.adjusted_by.startswith("Those hashes were moved to the Apparent Child Pornography")
    assert row.sentence == ("As of December 31, 2023, NCMEC has contributed 296,222 hashes to the Exploitative"
                            " Hash-Sharing Initiative, and 18 ESPs and 5 other organizations have voluntarily chosen"
                            " to access this hash-sharing initiative.")


# Every prose–table check that fails on the shared corpus:
# (check, kind, file, page, other file, other page, expected, actual)
FAILING = sorted([
    ("statement_figure:total_reports", "conflict", ED23, 3, ED23, 20, 4560.0, 2772.0),
    ("statement_cumulative_period:industry_photodna_signatures", "conflict", ED23, 13, ED22, 12, 427_139.0, 927_077.0),
    ("statement_cumulative:exploitative_hashes_by_ncmec", "non_additive", ED23, 12, ED23, 12, 308_274.0, 296_222.0),
    ("statement_cumulative_period:exploitative_hashes_by_ncmec", "non_additive", ED23, 12, ED22, 12, 0.0, -17_779.0),
    ("statement_figure:total_reports", "rounding", ED22, 3, ED22, 4, 29_397_681.0, 29_300_000.0),
    ("statement_figure:esp_reports", "rounding", "2021-reports-by-esp.pdf", 1, "2021-reports-by-esp.pdf", 7,
     29_157_083.0, 29_100_000.0),
    ("statement_years:le_recipients_split", "label", ED22, 9, ED22, 8, 3.0, 1.0),
    ("statement_years:le_recipients_split", "label", ED23, 9, ED23, 9, 3.0, 2.0),
    ("label_measure:files_unique_similar", "label", ED22, 7, ED22, 7, None, None),
    ("label_measure:files_unique_similar", "label", ED23, 7, ED23, 7, None, None),
])


def test_every_failing_prose_table_check_on_the_corpus(outputs):
    _, checks, *_ = outputs
    prose = checks[checks.check.str.startswith(("statement_", "label_measure")) & ~checks.passed]
    found = sorted((r.check, r.kind, r.source_file, int(r.page), r.other_source_file, int(r.other_page),
                    None if pd.isna(r.expected) else r.expected, None if pd.isna(r.actual) else r.actual)
                   for r in prose.itertuples())
    assert found == FAILING
    assert prose.in_source.all() and not prose.blocking.any()
    passed = checks[checks.check.str.startswith("statement_") & checks.passed]
    assert len(passed) >= 25  # the figures and running totals that reconcile
    charts = checks[checks.check == "statement_years:chart_below"]
    assert charts.groupby("source_file").size().to_dict() == {ED22: 17, ED23: 17} and charts.passed.all()


def test_run_summary_and_findings_command_by_kind(outputs):
    _, checks, report, paths = outputs
    assert summary_phrase(kind_counts(report.checks)) == \
        "4 conflicts, 4 rounding, 6 label quirks, 2 non-additive totals in NCMEC's figures"
    assert checks[checks.in_source & ~checks.passed].kind.notna().all()
    runner = CliRunner()
    text = runner.invoke(main, ["findings", "--data-dir", str(paths.root)])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("4 conflicts, 4 rounding, 6 label quirks, 2 non-additive totals")
    assert text.output.index("conflict:") < text.output.index("rounding:") < text.output.index("label:") \
        < text.output.index("non_additive:")
    assert "«When the CyberTipline became operational in CY 1998, NCMEC received 2,772 reports" in text.output
    only = runner.invoke(main, ["findings", "--data-dir", str(paths.root), "--kind", "conflict", "--edition", "2023",
                                "--format", "json"])
    rows = __import__("json").loads(only.output)
    assert {r["kind"] for r in rows} == {"conflict"} and {r["edition"] for r in rows} == {2023} and len(rows) == 3
    csv_out = runner.invoke(main, ["findings", "--data-dir", str(paths.root), "--format", "csv"]).output
    assert csv_out.splitlines()[0].startswith("kind,edition,check,source_file,page,other_source_file,other_page")
    assert len(csv_out.splitlines()) == 1 + 16
    markdown = runner.invoke(main, ["findings", "--data-dir", str(paths.root), "--format", "markdown"]).output
    assert "| kind | edition | check | pages |" in markdown
    bad = runner.invoke(main, ["findings", "--data-dir", str(paths.root), "--kind", "typo"])
    assert bad.exit_code == 2


def test_fields_shows_the_statements_beside_the_table_values(outputs):
    *_, paths = outputs
    result = CliRunner().invoke(main, ["fields", "new_esps_registered", "--data-dir", str(paths.root)])
    assert result.exit_code == 0, result.output
    tail = result.output[result.output.index("statements in the running text"):]
    assert f"{ED22} p.7: 42 esps, CY 2020 (= new_esps_registered p.8)" in tail
    assert "«In CY 2020, 42 new ESPs were registered to report to the CyberTipline;" in tail
    as_json = CliRunner().invoke(main, ["fields", "new_esps_registered", "--format", "json", "--data-dir",
                                        str(paths.root)])
    [entry] = __import__("json").loads(as_json.output)
    assert sorted((s["edition"], s["number_text"], s["table_id"]) for s in entry["statements"]) == [
        (2022, "149", "new_esps_registered"), (2022, "42", "new_esps_registered"), (2022, "68", "new_esps_registered"),
        (2023, "149", "new_esps_registered"), (2023, "192", "new_esps_registered"), (2023, "68", "new_esps_registered")]


def test_report_shows_findings_by_kind(outputs):
    from pipeline.report import build_report, read_tables

    *_, paths = outputs
    text = build_report(read_tables(paths.root))
    findings = text[text.index('<section id="findings">'):text.index('<section id="year-over-year">')]
    assert "4 conflicts, 4 rounding, 6 label quirks, 2 non-additive totals in NCMEC&#x27;s figures" in findings
    order = [findings.index(h) for h in ("Conflicts: ", "Rounding: ", "Label quirks: ", "Non-additive totals: ",
                                         "Advisory notes")]
    assert order == sorted(order)
    advisory = findings[findings.index("Advisory notes"):findings.index("Totals reconciled")]
    assert "st-failed" not in advisory and "st-note" in advisory
    assert "4 conflicts, 4 rounding, 6 label quirks, 2 non-additive totals" in text[:text.index('<section id="documents">')]


def test_finding_rows_conflicts_first():
    checks = [check_record(c) for c in (
        CheckResult("b.pdf", "source_quirk", False, False, in_source=True, kind="label", page=2),
        CheckResult("a.pdf", "statement_figure:x", False, False, 1, 2, "m", in_source=True, kind="conflict", page=9),
        CheckResult("a.pdf", "row_count", True, True))]
    rows = finding_rows(checks, {"a.pdf": 2023, "b.pdf": 2022})
    assert [(r["kind"], r["edition"]) for r in rows] == [("conflict", 2023), ("label", 2022)]
    assert render_findings(rows).splitlines()[0] == "1 conflict, 1 label quirk in NCMEC's figures"

"""Field presence: the catalog, the text search, the three statuses, the `fields` command.

Synthetic tests build a tiny run (documents rows, ojjdp_cells rows, page texts) in memory; the
real-corpus tests read the outputs of the shared `pipeline_run`.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import tomllib
from importlib import resources

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import fields as fp
from pipeline.extract.cache import PAGE_TEXT_VERSION, PageTexts
from pipeline import store
from pipeline.cli import main

OJJDP_2023 = "OJJDP-2023.pdf"
OJJDP_2024 = "OJJDP-2024.pdf"
SHA = "a" * 64

# The figures the issue asks the catalog to cover, by the ids the catalog gives them.
REQUIRED_FIELDS = [
    "total_reports", "esp_reports", "public_reports", "reports_by_esp", "reports_by_country",
    "us_location_reports", "international_location_reports", "unknown_location_reports",
    "incident_child_pornography", "incident_misleading_words_or_images", "incident_online_enticement",
    "incident_child_sex_trafficking", "incident_unsolicited_obscene_material", "incident_misleading_domain_name",
    "incident_child_sexual_molestation", "incident_child_sex_tourism",
    "files_images", "files_videos", "files_other_content", "files_total",
    "reports_with_unique_files", "reports_with_visually_similar_files", "unique_files", "visually_similar_files",
    "actionable_reports", "informational_reports",
    "le_reports_icac", "le_reports_local", "le_reports_federal", "le_reports_international",
    "le_feedback_instances", "arrests", "convictions", "prosecutions", "children_identified_from_reports",
    "cvip_identified_victims", "new_esps_registered",
    "hashes_ncmec_ngo", "hashes_ncmec_exploitative", "hashes_esp_md5", "hashes_esp_photodna",
]


# --- synthetic run -------------------------------------------------------------------------------

def doc(doc_id, family, year, source_file, status="ok", message=None, rows=10):
    return {"doc_id": doc_id, "family": family, "year": year, "url": "https://example.org/" + source_file,
            "source_file": source_file, "sha256": SHA if status == "ok" else None, "bytes": 1, "pages": 3,
            "status": status, "message": message, "rows": rows if status == "ok" else 0, "printed_total": None}


def cell(table_id, row_label, year, value, page, column_label=None, measure="instances", edition=2023,
         source_file=OJJDP_2023):
    return {"edition": edition, "table_id": table_id, "row_label": row_label, "footnote": None,
            "column_label": column_label or f"CY {year}", "year": year, "measure": measure, "value": value,
            "percent": None, "value_text": "-" if value is None else f"{value:,}", "page": page,
            "source_file": source_file, "source_sha256": SHA}


def feedback_cells(edition=2023, source_file=OJJDP_2023, page=3):
    return [cell("le_feedback_instances", agency, year, value + year - 2021, page, edition=edition,
                 source_file=source_file)
            for year in range(edition - 2, edition + 1)
            for agency, value in (("Internet Crimes Against Children (ICACs) Units", 1000),
                                  ("Local Law Enforcement", 10))]


# Page texts as pdfplumber prints them: wrapped lines, a form, a page footer.
PAGES = [
    "I. Introduction\nNCMEC is a private, non-profit organization.\nCopyright © 2024 NCMEC. All rights reserved.\n1",
    ("E. Law Enforcement Feedback Relating to CyberTipline Reports\nThe following are examples of structured\n"
     "feedback fields. Parenthetical responses are provided as options from a drop-down\nmenu:\n"
     "Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)\n"
     "If ARREST: Did you identify a child victim (Yes; No)\n"
     "Copyright © 2024 NCMEC. All rights reserved.\n2"),
    ("The chart below shows the amount of feedback provided by law\nenforcement.\n"
     "Instances of Law Enforcement Feedback\nLocal Law Enforcement 91 51 27\n"
     "Copyright © 2024 NCMEC. All rights reserved.\n3"),
]


def synthetic_run(extra_cells=(), documents=None):
    documents = documents or [doc("ojjdp-2023", "ojjdp_transparency", 2023, OJJDP_2023),
                              doc("ojjdp-2024", "ojjdp_transparency", 2024, OJJDP_2024, status="missing",
                                  message=f"{OJJDP_2024} is not in the mirror")]
    tables = {"ojjdp_cells": feedback_cells() + list(extra_cells), "esp_reports": [], "country_reports": []}
    return fp.field_presence(fp.load_catalog(), documents, tables, {OJJDP_2023: PAGES})


def verdicts(records, field_id):
    return {r["year"]: r for r in records if r["field_id"] == field_id}


# --- the catalog ---------------------------------------------------------------------------------

def test_catalog_covers_every_figure_the_issue_names():
    catalog = fp.load_catalog()
    ids = [f.id for f in catalog.fields]
    assert [i for i in REQUIRED_FIELDS if i not in ids] == []
    for field in catalog.fields:
        assert field.sources and field.description and field.title
        assert field.mentions, f"{field.id} has no mention patterns: an absence could not be proved"


def _raw_catalog():
    return tomllib.loads(resources.files("pipeline.data").joinpath("fields.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["fields"][0]["sources"][0].update(table="ojjdp"),
     "field 1 (total_reports), source 1: table must be one of esp_reports, country_reports, ojjdp_cells, documents, found 'ojjdp'"),
    (lambda d: d["fields"][0]["sources"][0].update(row="(unclosed"), "source 1, row: bad regular expression '(unclosed'"),
    (lambda d: d["fields"][1].update(id="total_reports"), "field ids must be unique, found total_reports"),
    (lambda d: d["fields"][0].update(related=["no_such_field"]), "related names unknown field(s) no_such_field"),
    (lambda d: d["fields"][0].update(shape="list"), "shape must be one of figure, breakdown, found 'list'"),
    (lambda d: d["fields"][0]["sources"][0].update(colum="x"), "unknown key(s) colum"),
    (lambda d: d["coverage"].pop("ojjdp_transparency"), "expected every family, missing ojjdp_transparency"),
    (lambda d: d["fields"][0]["sources"][2].update(family="reports"), "a documents source needs family"),
])
def test_a_malformed_catalog_is_refused_naming_where_expected_and_found(change, message):
    data = copy.deepcopy(_raw_catalog())
    change(data)
    with pytest.raises(fp.CatalogError, match=None) as err:
        fp.parse_catalog(data, "fields.toml")
    assert message in str(err.value)


def test_find_fields_by_id_or_search_word():
    catalog = fp.load_catalog()
    assert [f.id for f in fp.find_fields(catalog, "arrests")] == ["arrests"]
    assert [f.id for f in fp.find_fields(catalog, "arrest")] == ["arrests"]
    assert "le_feedback_instances" in [f.id for f in fp.find_fields(catalog, "feedback")]
    assert {"arrests", "convictions", "prosecutions"} <= {f.id for f in fp.find_fields(catalog, "outcomes")}
    assert fp.find_fields(catalog, "zebra") == []


# --- page texts: sentences and mentions ----------------------------------------------------------

def test_page_sentences_join_wrapped_lines_and_keep_form_entries_apart():
    sentences = fp.page_sentences(PAGES[1], fp.load_catalog().ignore_lines)
    assert sentences[0] == ("E. Law Enforcement Feedback Relating to CyberTipline Reports The following are "
                            "examples of structured feedback fields.")   # a heading joins its first sentence
    assert "Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)" in sentences
    assert "If ARREST: Did you identify a child victim (Yes; No)" in sentences
    assert not any("Copyright" in s for s in sentences)          # page furniture dropped
    assert fp.page_sentences("Non-\nGovernmental Hash-\nSharing list.") == ["Non-Governmental Hash-Sharing list."]
    assert fp.page_sentences("U.S. users are counted. The rest are not.") == [
        "U.S. users are counted.", "The rest are not."]


def test_a_table_row_is_its_own_sentence():
    assert fp.page_sentences("Identified Victims Added\nMale 209 255 16 480\nFemale 615 344 38 997") == [
        "Identified Victims Added", "Male 209 255 16 480", "Female 615 344 38 997"]


def test_find_mentions_gives_file_page_and_sentence():
    catalog = fp.load_catalog()
    mentions = fp.find_mentions(catalog.field("arrests").mentions, PAGES, OJJDP_2023, catalog.ignore_lines)
    assert [m.evidence() for m in mentions] == [
        f"{OJJDP_2023} p.2: «Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)»",
        f"{OJJDP_2023} p.2: «If ARREST: Did you identify a child victim (Yes; No)»",
    ]


def test_a_long_sentence_is_cut_around_the_mention():
    sentence = "word " * 100 + "the arrest of an offender " + "word " * 100
    clipped = fp.clip(sentence.strip(), sentence.index("arrest"), sentence.index("arrest") + 6)
    assert "the arrest of an offender" in clipped and clipped.startswith("…") and clipped.endswith("…")
    assert len(clipped) <= fp.MAX_SENTENCE_CHARS + 2


# --- the three statuses, synthetic ---------------------------------------------------------------

def test_arrests_absent_with_evidence_when_only_feedback_instances_are_printed():
    arrests = verdicts(synthetic_run(), "arrests")
    assert sorted(arrests) == [2021, 2022, 2023, 2024]   # the years the two editions cover
    for year in (2021, 2022, 2023):
        r = arrests[year]
        assert r["status"] == "absent"
        assert r["value"] is None and r["values"] is None          # never 0
        assert (r["source_file"], r["page"]) == (OJJDP_2023, 2)    # the closest mention: the form
        assert f"{OJJDP_2023} p.2: «Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)»" \
            in r["evidence"]
        assert (f"printed instead: le_feedback_instances {OJJDP_2023} p.3 (ojjdp_cells:le_feedback_instances)"
                in r["evidence"])
        assert r["reason"].startswith(f"read ojjdp-2023 ({OJJDP_2023}): no table prints this figure for {year}")
    # 2022 and 2023 are also covered by the missing 2024 edition: said, but they stay absent.
    assert "ojjdp-2024 (OJJDP-2024.pdf) is missing" in arrests[2023]["reason"]
    assert "ojjdp-2024" not in arrests[2021]["reason"]


def test_an_edition_is_searched_once_per_field_for_every_year_it_covers(monkeypatch):
    """The 2023 edition covers 2021–2023: an absent field's mentions there are the same for each
    of the three years, so its pages are searched once (and the three verdicts quote them)."""
    searched = []
    real = fp.find_mentions
    monkeypatch.setattr(fp, "find_mentions", lambda patterns, pages, source_file, *rest: (
        searched.append(source_file), real(patterns, pages, source_file, *rest))[1])
    records = synthetic_run()
    absent = [r for r in records if r["status"] == "absent"]
    assert {r["year"] for r in absent} == {2021, 2022, 2023}
    assert len(searched) == len({r["field_id"] for r in absent})  # one search per absent field
    assert all(r["evidence"] for r in absent)


def test_arrests_not_covered_when_the_only_edition_for_the_year_is_missing():
    r = verdicts(synthetic_run(), "arrests")[2024]
    assert r["status"] == "not_covered" and r["value"] is None
    assert r["reason"] == ("no document that would print it was available for 2024: ojjdp-2024 (OJJDP-2024.pdf) "
                           "is missing: OJJDP-2024.pdf is not in the mirror")
    assert r["source_file"] == OJJDP_2024


def test_an_edition_that_prints_an_arrest_count_flips_the_verdict_to_present():
    outcomes = [cell("le_feedback_outcomes", "Arrest", 2023, 4321, page=11, measure="reports")]
    arrests = verdicts(synthetic_run(outcomes), "arrests")
    assert arrests[2023]["status"] == "present"
    assert (arrests[2023]["value"], arrests[2023]["page"], arrests[2023]["source_file"]) == (4321, 11, OJJDP_2023)
    assert arrests[2023]["table"] == "ojjdp_cells:le_feedback_outcomes"
    assert arrests[2023]["evidence"] == f"{OJJDP_2023} p.11 (ojjdp_cells:le_feedback_outcomes): 4,321"
    assert arrests[2022]["status"] == "absent"          # printed for 2023 only


def test_feedback_instances_present_with_their_values():
    r = verdicts(synthetic_run(), "le_feedback_instances")[2021]
    assert r["status"] == "present" and r["value"] is None and r["n_values"] == 2
    assert r["values"] == "Internet Crimes Against Children (ICACs) Units: 1,000; Local Law Enforcement: 10"
    assert (r["table"], r["page"]) == ("ojjdp_cells:le_feedback_instances", 3)


def test_no_document_of_the_family_means_not_covered_with_that_reason():
    records = synthetic_run()
    r = verdicts(records, "reports_by_esp")[2023]
    assert r["status"] == "not_covered"
    assert r["reason"] == "no reports_by_esp document among this run's documents covers 2023"


def test_a_failed_document_is_not_read_unless_its_last_good_rows_were_kept():
    failed = doc("ojjdp-2023", "ojjdp_transparency", 2023, OJJDP_2023, status="failed",
                 message="OJJDP-2023.pdf: total does not reconcile")
    records = fp.field_presence(fp.load_catalog(), [failed], {"ojjdp_cells": []}, {OJJDP_2023: PAGES})
    r = verdicts(records, "arrests")[2023]
    assert r["status"] == "not_covered" and "is failed: OJJDP-2023.pdf: total does not reconcile" in r["reason"]
    kept = {**failed, "rows": 6}
    records = fp.field_presence(fp.load_catalog(), [kept], {"ojjdp_cells": feedback_cells()}, {OJJDP_2023: PAGES})
    assert verdicts(records, "arrests")[2023]["status"] == "absent"


def test_the_latest_edition_gives_the_value_and_a_restatement_is_noted():
    older = [cell("new_esps_registered", "New ESPs Registered by NCMEC", 2022, 60, page=8, measure="esps",
                  edition=2022, source_file="OJJDP-2022.pdf")]
    newer = [cell("new_esps_registered", "New ESPs Registered by NCMEC", 2022, 68, page=8, measure="esps")]
    documents = [doc("ojjdp-2022", "ojjdp_transparency", 2022, "OJJDP-2022.pdf"),
                 doc("ojjdp-2023", "ojjdp_transparency", 2023, OJJDP_2023)]
    records = fp.field_presence(fp.load_catalog(), documents, {"ojjdp_cells": older + newer}, {})
    r = verdicts(records, "new_esps_registered")[2022]
    assert (r["status"], r["value"], r["source_file"]) == ("present", 68, OJJDP_2023)
    assert "printed differently elsewhere" in r["reason"] and "OJJDP-2022.pdf p.8: 60" in r["reason"]


def test_a_dash_is_present_without_a_number_and_never_zero():
    dash = [cell("ncmec_md5_exploitative", None, 2023, None, page=12, measure="hashes")]
    r = verdicts(synthetic_run(dash), "hashes_ncmec_exploitative")[2023]
    assert (r["status"], r["value"], r["values"]) == ("present", None, "CY 2023: -")
    assert r["reason"] == "printed as '-': no number"


def test_two_numbers_for_a_one_number_field_are_reported_as_ambiguous_not_guessed():
    two = [cell("new_esps_registered", "New ESPs", 2023, 5, page=8, measure="esps"),
           cell("new_esps_registered", "New ESPs (revised)", 2023, 6, page=8, measure="esps")]
    r = verdicts(synthetic_run(two), "new_esps_registered")[2023]
    assert r["status"] == "present" and r["value"] is None and r["n_values"] == 2
    assert r["reason"].startswith("ambiguous: 2 printed numbers match")


def test_presence_is_deterministic_and_stores_byte_identical(tmp_path):
    first, second = synthetic_run(), synthetic_run()
    assert first == second
    a = store.write_records("field_presence", first, tmp_path / "a")
    b = store.write_records("field_presence", list(reversed(second)), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert pq.read_schema(a).field("status").metadata[b"description"].startswith(b"present")


def test_page_texts_are_read_once_then_cached_and_a_changed_file_is_not_read(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="letter")
    for text in ("First page.", "Case Status (Conviction; Arrest)"):
        pdf.add_page()
        pdf.set_font("helvetica", "", 11)
        pdf.text(72, 72, text)
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "ed.pdf"
    pdf.output(str(path))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    documents = [{**doc("ojjdp-2023", "ojjdp_transparency", 2023, "ed.pdf"), "sha256": sha}]
    pages = PageTexts(documents, raw, tmp_path / "cache")
    assert pages["ed.pdf"] == ["First page.", "Case Status (Conviction; Arrest)"]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"{sha}-v{PAGE_TEXT_VERSION}.json"]
    path.unlink()                                             # the cache answers from now on
    assert PageTexts(documents, raw, tmp_path / "cache")["ed.pdf"][1] == "Case Status (Conviction; Arrest)"
    other = [{**documents[0], "sha256": "b" * 64}]
    path.write_bytes(b"%PDF-1.4 not the file the run published")
    assert PageTexts(other, raw, tmp_path / "cache").get("ed.pdf") is None


# --- rendering and the command, synthetic --------------------------------------------------------

def test_matrix_renderings():
    records, catalog = synthetic_run(), fp.load_catalog()
    text = fp.render_matrix(records, catalog)
    counts = fp.status_counts(records)
    assert f"present {counts['present']}, absent {counts['absent']}, not_covered {counts['not_covered']}" in text
    assert text.splitlines()[0].split() == ["field", "2021", "2022", "2023", "2024"]
    arrests_line = next(line for line in text.splitlines() if line.startswith("arrests "))
    assert arrests_line.split() == ["arrests", "absent", "absent", "absent", "n/c"]
    assert "\x1b[" in fp.render_matrix(records, catalog, color=True)
    assert len(json.loads(fp.render_matrix(records, catalog, "json"))) == len(records)
    rows = list(csv.DictReader(io.StringIO(fp.render_matrix(records, catalog, "csv"))))
    assert rows[0]["field_id"] == "total_reports" and len(rows) == len(records)
    assert "| `arrests` | absent | absent | absent | n/c |" in fp.render_matrix(records, catalog, "markdown")


def write_presence(tmp_path, records):
    store.write_records("field_presence", records, tmp_path / "processed")
    return tmp_path


def test_fields_command_on_synthetic_outputs(tmp_path):
    data = write_presence(tmp_path, synthetic_run())
    runner = CliRunner()
    result = runner.invoke(main, ["fields", "arrests", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "2023  absent" in result.output and "2024  not_covered" in result.output
    assert "«Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)»" in result.output
    as_json = json.loads(runner.invoke(main, ["fields", "arrests", "--format", "json", "--data-dir", str(data)]).output)
    assert [y["status"] for y in as_json[0]["years"]] == ["absent", "absent", "absent", "not_covered"]
    unknown = runner.invoke(main, ["fields", "zebra", "--data-dir", str(data)])
    assert unknown.exit_code == 2 and "no field id, title or alias matches 'zebra'" in unknown.output
    missing = runner.invoke(main, ["fields", "--data-dir", str(tmp_path / "nothing")])
    assert missing.exit_code == 1 and "run `ncmec-pipeline run" in missing.output


# --- the real corpus -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_presence(pipeline_run):
    paths, _ = pipeline_run
    return pq.read_table(paths.processed / "field_presence.parquet").to_pylist()


OJJDP_2022_FILE = "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf"
OJJDP_2023_FILE = "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf"


def test_real_arrests_absent_2020_to_2023_with_the_feedback_form_and_table_pages(real_presence):
    arrests = verdicts(real_presence, "arrests")
    assert {y: r["status"] for y, r in arrests.items()} == {
        2019: "not_covered", 2020: "absent", 2021: "absent", 2022: "absent", 2023: "absent", 2024: "not_covered"}
    form = "«Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)»"
    # The 2022 edition prints the form on p.9 and the instances table on p.10; the 2023 edition both on p.10.
    assert f"{OJJDP_2022_FILE} p.9: {form}" in arrests[2020]["evidence"]
    assert f"printed instead: le_feedback_instances {OJJDP_2022_FILE} p.10" in arrests[2020]["evidence"]
    for year in (2021, 2022, 2023):
        assert f"{OJJDP_2023_FILE} p.10: {form}" in arrests[year]["evidence"]
        assert f"printed instead: le_feedback_instances {OJJDP_2023_FILE} p.10" in arrests[year]["evidence"]
        assert (arrests[year]["source_file"], arrests[year]["page"]) == (OJJDP_2023_FILE, 10)
    assert "Internet Crimes Against Children (ICACs) Units: 312,343" in arrests[2023]["evidence"]
    assert arrests[2024]["reason"].startswith(
        "no document that would print it was available for 2024: ojjdp-2024 (OJJDP-NCMEC-Transparency-CY-2024.pdf) is missing")
    assert all(r["value"] is None for r in arrests.values())


def test_real_feedback_instances_present_2020_to_2023_with_values(real_presence):
    feedback = verdicts(real_presence, "le_feedback_instances")
    assert [y for y, r in feedback.items() if r["status"] == "present"] == [2020, 2021, 2022, 2023]
    assert feedback[2020]["values"] == ("Federal Law Enforcement: 336; International Law Enforcement: 46,583; "
                                        "Internet Crimes Against Children (ICACs) Units: 186,528; "
                                        "Local Law Enforcement: 816")
    assert (feedback[2020]["source_file"], feedback[2020]["page"]) == (OJJDP_2022_FILE, 10)
    assert "Internet Crimes Against Children (ICACs) Units: 312,343" in feedback[2023]["values"]
    assert (feedback[2023]["source_file"], feedback[2023]["page"]) == (OJJDP_2023_FILE, 10)


def test_real_outcome_fields_are_absent_and_published_figures_present(real_presence):
    for field_id in ("convictions", "prosecutions", "children_identified_from_reports"):
        assert {r["status"] for r in real_presence if r["field_id"] == field_id and 2020 <= r["year"] <= 2023} \
            == {"absent"}
    total = verdicts(real_presence, "total_reports")
    assert (total[2019]["status"], total[2019]["value"]) == ("present", 16_987_361)   # Appendix A only
    assert (total[2023]["value"], total[2023]["page"]) == (36_210_368, 4)
    assert verdicts(real_presence, "reports_by_esp")[2021]["n_values"] == 230
    assert verdicts(real_presence, "cvip_identified_victims")[2022]["value"] == 4_464


def test_real_presence_never_encodes_not_published_as_zero(real_presence):
    assert {r["status"] for r in real_presence} <= set(fp.STATUSES)
    assert all(r["value"] is None for r in real_presence if r["status"] != "present")
    assert len(real_presence) == len({(r["field_id"], r["year"]) for r in real_presence})


def test_real_fields_command(pipeline_run):
    paths, _ = pipeline_run
    runner = CliRunner()
    matrix = runner.invoke(main, ["fields", "--data-dir", str(paths.root)])
    assert matrix.exit_code == 0, matrix.output
    assert "arrests" in matrix.output and "not_covered" in matrix.output
    arrests = runner.invoke(main, ["fields", "arrests", "--data-dir", str(paths.root)])
    assert arrests.exit_code == 0
    assert f"{OJJDP_2023_FILE} p.10: «Case Status (Conviction; Arrest;" in arrests.output
    for fmt in ("csv", "markdown", "json"):
        assert runner.invoke(main, ["fields", "feedback", "--format", fmt, "--data-dir", str(paths.root)]).exit_code == 0


def test_an_unsupported_document_covers_no_year_and_its_verdicts_say_so():
    """A by-state list discovered on NCMEC's page: no reader, so 2025 is listed but not covered,
    and a 2023 verdict names the 2023 by-state list as published but not read."""
    state = {**doc("state-2025", "reports_by_state", 2025, "2025-reports-by-state.pdf", status="unsupported",
                   message="no reader for the reports_by_state family (linked as '2025 Reports by U.S. State')"),
             "rows": 0}
    state_2023 = {**state, "doc_id": "state-2023", "year": 2023, "source_file": "2023-reports-by-state.pdf"}
    documents = [doc("ojjdp-2023", "ojjdp_transparency", 2023, OJJDP_2023), state, state_2023]
    records = fp.field_presence(fp.load_catalog(), documents, {"ojjdp_cells": feedback_cells()}, {OJJDP_2023: PAGES})
    esp_2025 = verdicts(records, "reports_by_esp")[2025]
    assert esp_2025["status"] == "not_covered"
    assert esp_2025["reason"] == (
        "no reports_by_esp document among this run's documents covers 2025; published for 2025 but not read: "
        "state-2025 (2025-reports-by-state.pdf) is unsupported: no reader for the reports_by_state family "
        "(linked as '2025 Reports by U.S. State')")
    arrests_2023 = verdicts(records, "arrests")[2023]
    assert arrests_2023["status"] == "absent"
    assert arrests_2023["reason"].endswith("; published for 2023 but not read: state-2023 (2023-reports-by-state.pdf) "
                                           "is unsupported: no reader for the reports_by_state family "
                                           "(linked as '2025 Reports by U.S. State')")
    assert not any(r["status"] == "present" for r in records if r["year"] == 2025)
def test_fields_by_year_compact_with_suggestions(tmp_path):
    """`fields arrests --year 2024` answers in one line per year asked; the evidence is printed
    once per document, not once per year (--evidence: all of it); a misspelling gets a suggestion."""
    data = write_presence(tmp_path, synthetic_run())
    runner = CliRunner()
    two = runner.invoke(main, ["fields", "arrests", "--year", "2023", "--year", "2024", "--data-dir", str(data)])
    assert two.exit_code == 0, two.output
    year_lines = [line for line in two.output.splitlines() if line.split()[:1] in (["2022"], ["2023"], ["2024"])]
    assert [line.split()[:2] for line in year_lines] == [["2023", "absent"], ["2024", "not_covered"]]
    assert year_lines[0].split(None, 2)[2].startswith("not printed in ")
    form = "«Case Status (Conviction; Arrest; Ongoing Investigation; Referred; Closed)»"
    every = runner.invoke(main, ["fields", "arrests", "--data-dir", str(data)])
    assert every.exit_code == 0 and every.output.count(form) == 1
    full = runner.invoke(main, ["fields", "arrests", "--evidence", "--data-dir", str(data)])
    assert full.exit_code == 0 and full.output.count(form) == 3            # 2021, 2022, 2023
    assert len(every.output.splitlines()) < len(full.output.splitlines())
    typo = runner.invoke(main, ["fields", "arests", "--data-dir", str(data)])
    assert typo.exit_code == 2 and "did you mean arrests?" in typo.output
    outside = runner.invoke(main, ["fields", "arrests", "--year", "2031", "--data-dir", str(data)])
    assert outside.exit_code == 2 and "no document of this run covers 2031; covered years: 2021, 2022, 2023, 2024" \
        in outside.output


def test_catalog_patterns_are_said_in_words():
    assert fp.pattern_in_words(r"\barrest") == "with a word starting “arrest”"
    assert fp.pattern_in_words("^total") == "starting “total”"
    assert fp.pattern_in_words(r"\bcharg(ed|es)\b") == "with the word “charged” or with the word “charges”"
    assert fp.pattern_in_words("(?!cvip_).*") == "not starting “cvip_”"
    assert fp.pattern_in_words(r"^U\.?\s?S\.?$") == r"matching the pattern /^U\.?\s?S\.?$/"  # no words for it
    arrests = fp.load_catalog().fields[[f.id for f in fp.load_catalog().fields].index("arrests")]
    assert arrests.sources[0].describe() == "any OJJDP table, a row or column label with a word starting “arrest”"


def test_the_packaged_catalog_is_read_once_a_process(monkeypatch):
    """A run asks for the catalog as each document publishes: it is parsed once, not each time."""
    import tomllib

    parsed, real_loads = [], tomllib.loads
    monkeypatch.setattr(fp.tomllib, "loads", lambda text: parsed.append(1) or real_loads(text))
    fp._packaged_catalog.cache_clear()
    try:
        assert fp.load_catalog() is fp.load_catalog() is fp.load_catalog()
        assert len(parsed) == 1
    finally:
        fp._packaged_catalog.cache_clear()  # later tests parse the real file again

"""Diffs: two years, two OJJDP editions, two runs; the `diff` command and its exit codes.

Synthetic tests feed tiny records to the pure builders; the real-corpus tests diff the outputs of
the shared `pipeline_run` (and a copy of them, changed on purpose).
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import diff as d
from pipeline import store
from pipeline.cli import main

# --- small pieces ----------------------------------------------------------------------------------


def test_change_is_absolute_and_relative_and_none_without_two_numbers():
    assert d.change(100, 150) == {"absolute": 50, "relative": 0.5}
    assert d.change(3, 1) == {"absolute": -2, "relative": -0.6667}
    assert d.change(0, 5) == {"absolute": 5, "relative": None}
    assert d.change(None, 5) == {"absolute": None, "relative": None}   # not published is not 0


def test_label_kind_ignores_years_and_punctuation():
    assert d.label_kind("CY 2021 | Unique Images/Videos (based on MD5 hash)") == \
        d.label_kind("CY 2022 | Unique Images/Videos (based on MD5 hash") == "unique images/videos based on md5 hash"
    assert d.label_kind("CY2022 (1/1/22-12/31/22)") == d.label_kind("CY2023 (1/1/23-12/31/23)") == ""
    assert d.label_kind("CY 2021– Unique Images and Videos") == "unique images and videos"


# --- years, synthetic ------------------------------------------------------------------------------

def presence(field_id, year, status, value=None, values=None, n_values=0):
    return {"field_id": field_id, "year": year, "title": field_id, "status": status, "value": value,
            "values": values, "n_values": n_values}


def esp(year, key, reports):
    return {"year": year, "esp": key.title(), "esp_key": key, "reports": reports}


def country(year, name, iso3, reports, status="country"):
    return {"year": year, "country": name, "iso3": iso3, "iso3_status": status, "iso3_duplicate": False,
            "reports": reports}


def ocell(edition, table_id, row, year, value, column=None, measure="reports", page=4, percent=None):
    return {"edition": edition, "table_id": table_id, "row_label": row, "footnote": None,
            "column_label": column or f"CY {year}", "year": year, "measure": measure, "value": value,
            "percent": percent, "value_text": f"{value:,}" if value is not None else f"{percent}%", "page": page,
            "source_file": f"ed{edition}.pdf", "source_sha256": "0" * 64}


def test_year_diff_side_by_side_with_appearing_and_disappearing_rows():
    result = d.year_diff(
        presence=[presence("total_reports", 2022, "present", 100), presence("total_reports", 2023, "present", 130),
                  presence("arrests", 2022, "absent"), presence("arrests", 2023, "present", 7)],
        cells=[ocell(2023, "reports_by_submitter", "Total CyberTipline Reports", 2022, 100),
               ocell(2023, "reports_by_submitter", "Total CyberTipline Reports", 2023, 130),
               ocell(2022, "reports_by_submitter", "Total CyberTipline Reports", 2022, 99)],
        esp=[esp(2022, "gone", 5), esp(2022, "kept", 10), esp(2023, "kept", 12), esp(2023, "new", 1)],
        countries=[country(2022, "France", "FRA", 3), country(2023, "France", "FRA", 3),
                   country(2023, "No Country Listed", None, 9, status="no_country")],
        year_a=2022, year_b=2023, field_order=["total_reports", "arrests"])
    total, arrests = result["fields"]
    assert (total["a"], total["b"], total["absolute"], total["relative"]) == (100, 130, 30, 0.3)
    assert (arrests["status_a"], arrests["status_b"], arrests["absolute"]) == ("absent", "present", None)
    assert [f["field_id"] for f in result["status_changed"]] == ["arrests"]
    ojjdp = result["tables"]["ojjdp_cells"]
    assert (ojjdp["edition_a"], ojjdp["edition_b"]) == (2023, 2023)     # the latest edition printing each year
    assert [(c["a"], c["b"]) for c in ojjdp["changed"]] == [(100, 130)]
    esps = result["tables"]["esp_reports"]
    assert [e["esp_key"] for e in esps["only_b"]] == ["new"] and [e["esp_key"] for e in esps["only_a"]] == ["gone"]
    assert [(e["esp_key"], e["absolute"]) for e in esps["changed"]] == [("kept", 2)]
    assert [c["key"] for c in result["tables"]["country_reports"]["only_b"]] == ["(no country listed)"]
    assert result["differences"] == 2 + 1 + 3 + 1                    # fields, ojjdp, esps, countries
    text = d.render(result)
    assert "  total_reports  100     130     +30 (+30.0%)".split() in [line.split() for line in text.splitlines()]
    assert "arrests: absent → present" in text
    assert "appeared in 2023: New (1)" in text and "disappeared in 2023: Gone (5)" in text


def test_year_diff_does_not_call_a_missing_documents_rows_disappeared():
    """With the 2024 PDFs missing, `diff --years 2023 2024` reported every ESP and country as
    disappeared, and the OJJDP numbers as coming "from the None edition"."""
    result = d.year_diff(
        presence=[presence("total_reports", 2023, "present", 130), presence("total_reports", 2024, "not_covered")],
        cells=[ocell(2023, "reports_by_submitter", "Total CyberTipline Reports", 2023, 130)],
        esp=[esp(2023, "kept", 12)], countries=[country(2023, "France", "FRA", 3)],
        year_a=2023, year_b=2024)
    for name in ("ojjdp_cells", "esp_reports", "country_reports"):
        table = result["tables"][name]
        assert table["unavailable"] == [2024] and not table["only_a"] and not table["only_b"]
    assert result["differences"] == 1                                 # the field's status only
    text = d.render(result)
    assert "ESPs: not compared" in text and "no esp_reports rows for 2024" in text
    assert "None edition" not in text and "disappeared" not in text


def test_year_diff_refuses_a_year_no_document_covers():
    with pytest.raises(d.DiffError, match="expected year 2031 among the covered years 2022"):
        d.year_diff([presence("total_reports", 2022, "present", 1)], [], [], [], 2022, 2031)


# --- editions, synthetic ---------------------------------------------------------------------------

def test_edition_diff_restated_relabelled_and_added():
    cells = [
        ocell(2022, "new_esps_registered", "New ESPs", 2021, 149, measure="esps"),
        ocell(2023, "new_esps_registered", "New ESPs", 2021, 150, measure="esps"),           # restated
        ocell(2022, "reports_by_user_location", "Unknown", 2022, 1_312_655),
        ocell(2023, "reports_by_user_location", "Unknown Location", 2022, 1_312_655),      # relabelled
        ocell(2022, "reports_by_user_location", "Unknown", 2022, None, measure="percent", percent=Decimal("4.1")),
        ocell(2023, "reports_by_user_location", "Unknown Location", 2022, None, measure="percent",
              percent=Decimal("4.1")),
        ocell(2023, "cvip_le_submissions", "Department of Defense", 2022, 0, measure="files"),  # new row
        ocell(2022, "new_esps_registered", "New ESPs", 2022, 68, measure="esps"),
        ocell(2023, "new_esps_registered", "New ESPs", 2022, 68, measure="esps"),            # unchanged
        ocell(2023, "new_esps_registered", "New ESPs", 2023, 192, measure="esps"),           # new year: not a diff
    ]
    result = d.edition_diff(cells)
    (pair,) = result["pairs"]
    assert [(r["year"], r["old"], r["new"], r["absolute"]) for r in pair["restated"]] == [(2021, "149", "150", 1)]
    assert sorted((r["old_row_label"], r["new_row_label"], r["printed"]) for r in pair["relabelled"]) == [
        ("Unknown", "Unknown Location", "1,312,655"), ("Unknown", "Unknown Location", "4.1%")]
    assert [(r["row_label"], r["printed"]) for r in pair["only_in_new"]] == [("Department of Defense", "0")]
    assert pair["only_in_old"] == []
    assert result["differences"] == 4
    text = d.render(result)
    assert "same number, new label (2):" in text and "Unknown | CY 2022 (p.4) → Unknown Location" in text
    markdown = d.render(result, "markdown")
    assert "| new_esps_registered | 2021 | New ESPs | CY 2021 | esps | 149 (p.4) | 150 (p.4) | +1 (+0.7%) |" in markdown


def test_edition_diff_with_one_edition_has_nothing_to_compare():
    result = d.edition_diff([ocell(2023, "new_esps_registered", "New ESPs", 2023, 1, measure="esps")])
    assert result["pairs"] == [] and result["differences"] == 0
    assert "nothing to compare" in d.render(result)


# --- runs, synthetic -------------------------------------------------------------------------------

ESP_ROW = {"year": 2023, "esp": "A", "esp_key": "a", "footnote": None, "reports": 3, "page": 1,
           "source_file": "x.pdf", "source_sha256": "0" * 64}


def test_compare_tables_keyed_rows_added_removed_changed():
    old = store.to_table("esp_reports", [ESP_ROW, {**ESP_ROW, "esp": "B", "esp_key": "b"}])
    new = store.to_table("esp_reports", [{**ESP_ROW, "reports": 4}, {**ESP_ROW, "esp": "C", "esp_key": "c"}])
    result = d.compare_tables("esp_reports", old, new)
    assert result["key"] == ["year", "esp_key", "esp", "page"]
    assert result["added"] == [{"year": 2023, "esp_key": "c", "esp": "C", "page": 1}]
    assert result["removed"] == [{"year": 2023, "esp_key": "b", "esp": "B", "page": 1}]
    assert result["changed"] == [{"key": {"year": 2023, "esp_key": "a", "esp": "A", "page": 1},
                                  "columns": {"reports": [3, 4]}}]
    assert result["differences"] == 3


def test_compare_tables_reports_schema_changes_and_keeps_duplicate_keys():
    old = pa.table({"k": [1, 1], "v": [1, 2]})
    new = pa.table({"k": [1, 1], "v": [1, 3], "extra": ["x", "y"]})
    result = d.compare_tables("t", old, new)
    assert result["schema"]["columns_added"] == ["extra"]
    assert result["key"] == ["k", "v"]                 # no primary key in the metadata: a row is its values
    assert result["added"] == [{"k": 1, "v": 3}] and result["removed"] == [{"k": 1, "v": 2}]


# --- the real corpus -------------------------------------------------------------------------------

def invoke(*args):
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def test_real_diff_years_2022_2023(pipeline_run):
    paths, _ = pipeline_run
    result = invoke("--years", 2022, 2023, "--data-dir", paths.root, "--format", "json", "--exit-code")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.output)
    fields = {f["field_id"]: f for f in payload["fields"]}
    assert (fields["total_reports"]["a"], fields["total_reports"]["b"]) == (32_059_029, 36_210_368)
    assert fields["total_reports"]["absolute"] == 4_151_339 and fields["total_reports"]["relative"] == 0.1295
    assert (fields["arrests"]["status_a"], fields["arrests"]["status_b"]) == ("absent", "absent")
    assert fields["arrests"]["absolute"] is None
    assert payload["status_changed"] == []
    esps = payload["tables"]["esp_reports"]
    assert "x corp" in {e["esp_key"] for e in esps["only_b"]} or "X Corp" in {e["esp"] for e in esps["only_b"]}
    assert len(esps["only_b"]) == 53 and len(esps["only_a"]) == 42
    countries = payload["tables"]["country_reports"]
    assert {c["country"] for c in countries["only_a"]} >= {"Netherlands Antilles", "Europe"}
    ojjdp = payload["tables"]["ojjdp_cells"]
    assert (ojjdp["edition_a"], ojjdp["edition_b"]) == (2023, 2023)
    feedback = [c for c in ojjdp["compared"] if c["table_id"] == "le_feedback_instances"
                and c["row_label"].startswith("Internet Crimes")]
    assert [(c["a"], c["b"]) for c in feedback] == [(204_517, 312_343)]
    text = invoke("--years", 2022, 2023, "--data-dir", paths.root)
    assert text.exit_code == 0                          # without --exit-code, differences are not an error
    assert "total_reports" in text.output and "+4,151,339 (+13.0%)" in text.output
    assert "Instagram, Inc." in text.output             # the largest ESP change
    assert invoke("--years", 2022, 2023, "--data-dir", paths.root, "--format", "markdown").output.startswith("# ")


def test_real_diff_editions(pipeline_run):
    paths, _ = pipeline_run
    result = invoke("--editions", "--data-dir", paths.root, "--format", "json", "--exit-code")
    assert result.exit_code == 1, result.output
    (pair,) = json.loads(result.output)["pairs"]
    assert (pair["old"], pair["new"]) == (2022, 2023)
    assert pair["restated"] == []                       # NCMEC restated no number between these editions
    # 2022 ed. p.4 prints "Unknown", 2023 ed. p.4 "Unknown Location", over the same numbers.
    assert {(r["old_row_label"], r["new_row_label"], r["year"], r["printed"]) for r in pair["relabelled"]} >= {
        ("Unknown", "Unknown Location", 2021, "1,193,266"), ("Unknown", "Unknown Location", 2022, "1,312,655")}
    assert {r["row_label"] for r in pair["only_in_new"]} == {"Department of Defense"}
    text = invoke("--editions", "--data-dir", paths.root)
    assert text.exit_code == 0 and "0 restated" in text.output


def test_real_diff_runs_identical_then_changed(pipeline_run, tmp_path):
    paths, _ = pipeline_run
    n_tables = len(list(paths.processed.glob("*.parquet")))
    same = invoke("--runs", paths.processed, paths.root, "--exit-code")
    assert same.exit_code == 0, same.output
    assert f"0 of {n_tables} tables differ" in same.output

    # Tonight's run: a re-store from the same extractions gives the same bytes ...
    tonight = tmp_path / "tonight"
    shutil.copytree(paths.root, tonight, ignore=shutil.ignore_patterns(".lock"))
    stored = CliRunner().invoke(main, ["store", "--data-dir", str(tonight), "-q"])
    assert stored.exit_code == 3, stored.output
    for name in ("esp_reports", "ojjdp_cells", "field_presence"):
        assert (tonight / "processed" / f"{name}.parquet").read_bytes() == \
            (paths.processed / f"{name}.parquet").read_bytes()
    assert invoke("--runs", paths.root, tonight, "--exit-code").exit_code == 0

    # ... then NCMEC changes things: one ESP row gone, one count revised, one verdict flipped.
    esp_rows = pq.read_table(tonight / "processed" / "esp_reports.parquet").to_pylist()
    removed, revised = esp_rows[0], esp_rows[1]
    esp_rows = [{**r, "reports": r["reports"] + 1} if r is revised else r for r in esp_rows[1:]]
    store.write_records("esp_reports", esp_rows, tonight / "processed")
    presence = pq.read_table(tonight / "processed" / "field_presence.parquet").to_pylist()
    presence = [{**r, "status": "present", "value": 42} if (r["field_id"], r["year"]) == ("arrests", 2023) else r
                for r in presence]
    store.write_records("field_presence", presence, tonight / "processed")

    result = invoke("--runs", paths.processed, tonight / "processed", "--exit-code", "--format", "json")
    assert result.exit_code == 1, result.output
    tables = {t["table"]: t for t in json.loads(result.output)["tables"]}
    assert tables["esp_reports"]["removed"] == [{k: removed[k] for k in ("year", "esp_key", "esp", "page")}]
    assert [c["columns"] for c in tables["esp_reports"]["changed"]] == [
        {"reports": [revised["reports"], revised["reports"] + 1]}]
    assert tables["field_presence"]["changed"][0]["key"] == {"field_id": "arrests", "year": 2023}
    assert tables["field_presence"]["changed"][0]["columns"]["status"] == ["absent", "present"]
    assert tables["ojjdp_cells"]["status"] == "identical"
    text = invoke("--runs", paths.processed, tonight / "processed")
    assert text.exit_code == 0 and f"2 of {n_tables} tables differ" in text.output
    assert "~ field_id=arrests year=2023: status: absent → present; value: — → 42" in text.output
    assert invoke("--runs", paths.processed, tonight, "--format", "markdown").output.startswith("# ")


def test_diff_errors_exit_2(pipeline_run, tmp_path):
    paths, _ = pipeline_run
    missing = invoke("--runs", paths.processed, tmp_path / "nowhere", "--exit-code")
    assert missing.exit_code == 2 and "expected a folder of Parquet outputs" in missing.output
    assert invoke("--data-dir", paths.root).exit_code == 2                        # no mode chosen
    assert invoke("--editions", "--years", 2022, 2023, "--data-dir", paths.root).exit_code == 2
    empty = invoke("--editions", "--data-dir", tmp_path, "--exit-code")
    assert empty.exit_code == 2 and "run `ncmec-pipeline run` first" in empty.output
    bad_year = invoke("--years", 2022, 2031, "--data-dir", paths.root, "--exit-code")
    assert bad_year.exit_code == 2 and "expected year 2031" in bad_year.output


def test_year_diff_shows_the_split_where_an_edition_prints_it():
    """From 2024 the lists split reports into referrals and informational: `diff --years` gives
    the split of the year that prints it, and nothing (not zeros) for the year that does not."""
    split = [{**esp(2024, "kept", 12), "referrals": 9, "informational": 3},
             {**esp(2024, "new", 4), "referrals": 1, "informational": 3}]
    result = d.year_diff(
        presence=[presence("total_reports", 2023, "present", 130), presence("total_reports", 2024, "present", 140)],
        cells=[], esp=[esp(2023, "kept", 12), *split], countries=[country(2023, "France", "FRA", 3)],
        year_a=2023, year_b=2024)
    assert result["tables"]["esp_reports"]["split"] == {"2024": {"referrals": 10, "informational": 6, "reports": 16}}
    assert result["tables"]["country_reports"]["split"] == {}
    text = d.render(result)
    assert "2024 splits its reports: referrals 10 (62.5%), informational 6 (37.5%) of 16" in text
    assert "2023 splits" not in text

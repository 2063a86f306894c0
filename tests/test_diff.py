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
from pipeline.families.ojjdp import revision_records

# --- small pieces ----------------------------------------------------------------------------------


def test_change_is_absolute_and_relative_and_none_without_two_numbers():
    assert d.change(100, 150) == {"absolute": 50, "relative": 0.5}
    assert d.change(3, 1) == {"absolute": -2, "relative": -2 / 3}      # unrounded: rounding is for display
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
    result = d.edition_diff(cells, revision_records(cells))
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
    cells = [ocell(2023, "new_esps_registered", "New ESPs", 2023, 1, measure="esps")]
    result = d.edition_diff(cells, revision_records(cells))
    assert result["pairs"] == [] and result["differences"] == 0
    assert "nothing to compare" in d.render(result)


# --- runs, synthetic -------------------------------------------------------------------------------

ESP_ROW = {"year": 2023, "esp": "A", "esp_key": "a", "footnote": None, "reports": 3, "page": 1,
           "source_file": "x.pdf", "source_sha256": "0" * 64}


def test_compare_tables_keyed_rows_added_removed_changed():
    old = store.to_table("esp_reports", [ESP_ROW, {**ESP_ROW, "esp": "B", "esp_key": "b"}])
    new = store.to_table("esp_reports", [{**ESP_ROW, "reports": 4}, {**ESP_ROW, "esp": "C", "esp_key": "c"}])
    result = d.compare_tables("esp_reports", old, new)
    assert result["key"] == ["year", "esp_key", "esp"]
    assert result["added"] == [{"year": 2023, "esp_key": "c", "esp": "C"}]
    assert result["removed"] == [{"year": 2023, "esp_key": "b", "esp": "B"}]
    assert result["changed"] == [{"key": {"year": 2023, "esp_key": "a", "esp": "A"},
                                  "columns": {"reports": [3, 4]}}]
    assert result["differences"] == 3


def test_compare_tables_reports_schema_changes_and_keeps_duplicate_keys():
    old = pa.table({"k": [1, 1], "v": [1, 2]})
    new = pa.table({"k": [1, 1], "v": [1, 3], "extra": ["x", "y"]})
    result = d.compare_tables("t", old, new)
    assert result["schema"]["columns_added"] == ["extra"]
    assert result["key"] == ["k", "v"]                 # no primary key in the metadata: a row is its values
    assert result["added"] == [{"k": 1, "v": 3}] and result["removed"] == [{"k": 1, "v": 2}]


def write_run(folder, **tables):
    for name, records in tables.items():
        store.write_records(name, records, folder)
    return folder


def presence_row(evidence, **extra):
    return {"field_id": "arrests", "year": 2023, "title": "Arrests", "status": "absent", "value": None,
            "values": None, "n_values": 0, "table": None, "page": 9, "source_file": "x.pdf",
            "source_sha256": "0" * 64, "evidence": evidence, "reason": "read x.pdf", **extra}


CHECK_ROW = {"source_file": "x.pdf", "check": "total_reconciles", "blocking": True, "passed": True,
             "in_source": False, "expected": 3.0, "actual": 3.0, "page": 2, "message": "3 rows sum to 3"}


def test_diff_runs_matches_rows_on_what_identifies_them(tmp_path):
    """A row that moved page, a check whose message changed and a number printed anew are the
    same rows changed, not one removed and one added (the sort key holds page, message, value_text)."""
    cell = ocell(2023, "le_recipients", "ICAC", 2023, 10)
    old = write_run(tmp_path / "old", esp_reports=[ESP_ROW], checks=[CHECK_ROW], ojjdp_cells=[cell])
    new = write_run(tmp_path / "new", esp_reports=[{**ESP_ROW, "page": 2}],
                    checks=[{**CHECK_ROW, "message": "3 rows sum to 3 (printed total, page 2)"}],
                    ojjdp_cells=[{**cell, "value": 11, "value_text": "11"}])
    result = invoke("--runs", old, new, "--format", "json", "--exit-code")
    assert result.exit_code == 1, result.output
    tables = {t["table"]: t for t in json.loads(result.output)["tables"]}
    for name in ("esp_reports", "checks", "ojjdp_cells"):
        assert (tables[name]["added"], tables[name]["removed"], len(tables[name]["changed"])) == ([], [], 1), name
    assert tables["esp_reports"]["changed"][0]["columns"] == {"page": [1, 2]}
    assert tables["ojjdp_cells"]["changed"][0]["columns"] == {"value": [10, 11], "value_text": ["10", "11"]}
    text = invoke("--runs", old, new)
    assert text.exit_code == 0
    lines = [line.split() for line in text.output.splitlines()]
    assert ["column", "before", "after"] in lines and ["page", "1", "2"] in lines


def test_diff_runs_shows_the_lines_of_a_long_cell_that_differ_cut_unless_full(tmp_path):
    """One changed evidence line of a multi-line cell filled dozens of lines as 'old → new'."""
    sentence = "x.pdf p.{}: «" + "a long sentence about arrests and feedback " * 4 + "»"
    lines = [sentence.format(page) for page in range(1, 21)]
    old = write_run(tmp_path / "old", field_presence=[presence_row("\n".join(lines))])
    new = write_run(tmp_path / "new", field_presence=[presence_row("\n".join(lines[:5] + ["x.pdf p.99: «new»"]
                                                                           + lines[6:]))])
    text = invoke("--runs", old, new)
    assert text.exit_code == 0, text.output
    body = text.output.splitlines()
    diff_lines = [line.strip() for line in body if line.strip()[:2] in ("- ", "+ ")]
    assert diff_lines[1] == "+ x.pdf p.99: «new»"
    assert diff_lines[0].startswith("- x.pdf p.6: «a long") and diff_lines[0].endswith("…")
    assert len(diff_lines[0]) == d.CELL_WIDTH + 2 and len(diff_lines) == 2   # 19 unchanged lines left out
    assert "--full shows them whole" in text.output
    detail = body[body.index("field_presence (key: field_id, year)"):]
    assert len(detail) < 10 and max(map(len, detail)) < 120
    full = invoke("--runs", old, new, "--full")
    assert full.exit_code == 0 and f"- {lines[5]}" in full.output and "…" not in full.output.replace("(", "")
    markdown = invoke("--runs", old, new, "--format", "markdown")
    assert "| evidence | x.pdf p.6: «a long" in markdown.output and "| x.pdf p.99: «new» |" in markdown.output


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
    assert fields["total_reports"]["absolute"] == 4_151_339
    assert fields["total_reports"]["relative"] == 4_151_339 / 32_059_029   # 0.12949…, never rounded in JSON
    assert (fields["arrests"]["status_a"], fields["arrests"]["status_b"]) == ("absent", "absent")
    assert fields["arrests"]["absolute"] is None
    assert payload["status_changed"] == []
    esps = payload["tables"]["esp_reports"]
    assert {"esp_key": "x", "esp": "X Corp", "b": 273_416} in esps["only_b"]    # 2023 prints X Corp beside Twitter
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
    assert "total_reports" in text.output and "+4,151,339 (+12.9%)" in text.output   # was +13.0%: rounded twice
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
    assert tables["esp_reports"]["removed"] == [{k: removed[k] for k in ("year", "esp_key", "esp")}]
    assert [c["columns"] for c in tables["esp_reports"]["changed"]] == [
        {"reports": [revised["reports"], revised["reports"] + 1]}]
    assert tables["field_presence"]["changed"][0]["key"] == {"field_id": "arrests", "year": 2023}
    assert tables["field_presence"]["changed"][0]["columns"]["status"] == ["absent", "present"]
    assert tables["ojjdp_cells"]["status"] == "identical"
    text = invoke("--runs", paths.processed, tonight / "processed")
    assert text.exit_code == 0 and f"2 of {n_tables} tables differ" in text.output
    assert "~ field_id=arrests year=2023" in text.output
    assert [line.split() for line in text.output.splitlines()
            if line.split()[:1] in (["status"], ["value"])] == [["status", "absent", "present"], ["value", "—", "42"]]
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


def test_country_printed_twice_is_one_country_and_the_no_country_row_no_country_named_null():
    """2021 → 2022 listed "French Guiana" as both appeared and disappeared (2021 prints it twice,
    as "French Guiana" and "Guiana, French"), and the no-country row as a country named "null"."""
    twice = [{**country(2021, "French Guiana", "GUF", 313), "iso3_duplicate": True},
             {**country(2021, "Guiana, French", "GUF", 2), "iso3_duplicate": True},
             country(2021, "No Country Listed", None, 9, status="no_country")]
    once = [country(2022, "French Guiana", "GUF", 612), country(2022, "null", None, 11, status="no_country")]
    result = d.year_diff([presence("total_reports", 2021, "present", 1), presence("total_reports", 2022, "present", 2)],
                         [], [esp(2021, "a", 1), esp(2022, "a", 1)], twice + once, 2021, 2022)
    countries = result["tables"]["country_reports"]
    assert countries["only_a"] == [] and countries["only_b"] == []
    assert [(c["key"], c["country"], c["a"], c["b"]) for c in countries["changed"]] == [
        ("(no country listed)", "(no country listed: printed 'null')", 9, 11), ("GUF", "French Guiana", 315, 612)]
    text = d.render(result)
    assert "Countries: 0 appeared, 0 disappeared, 2 changed" in text
    assert not [line for line in text.splitlines() if line.split()[:1] == ["null"]]


def test_real_country_diff_2021_2022_does_not_contradict_itself(pipeline_run):
    paths, _ = pipeline_run
    result = invoke("--years", 2021, 2022, "--data-dir", paths.root)
    assert result.exit_code == 0, result.output
    appeared = next(line for line in result.output.splitlines() if line.startswith("  appeared in 2022: Norfolk"))
    disappeared = next(line for line in result.output.splitlines() if line.startswith("  disappeared in 2022: Bouvet"))
    assert "Guiana" not in appeared + disappeared
    assert "(no country listed: printed 'Null')  1,193,266  1,662,916" in result.output


def test_real_year_diff_ojjdp_section_fits_the_terminal_keeps_labels_and_summarises(pipeline_run):
    """It ran to ~220 characters a line, lowercased labels, said "157 compared, 157 changed", and
    for 2020 vs 2023 put Appendix A's "CY2023 (1/1/23-12/31/23)" beside the 2020 number."""
    paths, _ = pipeline_run
    result = CliRunner().invoke(main, ["diff", "--years", "2022", "2023", "--data-dir", str(paths.root)],
                                env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 100
    payload = json.loads(invoke("--years", 2022, 2023, "--data-dir", paths.root, "--format", "json").output)
    changed = payload["tables"]["ojjdp_cells"]["changed"]
    up = sum(c["absolute"] > 0 for c in changed if c["absolute"] is not None)
    down = sum(c["absolute"] < 0 for c in changed if c["absolute"] is not None)
    assert f"157 numbers printed for both years: {up} up, {down} down, 0 equal" in result.output
    assert "files_by_type · Videos" in result.output and "Total Images/Videos" in result.output   # as printed
    assert "total images/videos" not in result.output
    old = CliRunner().invoke(main, ["diff", "--years", "2020", "2023", "--data-dir", str(paths.root)],
                             env={"COLUMNS": "100"})
    ojjdp = old.output[old.output.index("OJJDP tables"):old.output.index("ESPs:")]
    assert "CY2023" not in ojjdp and "1/1/23" not in ojjdp
    assert "appendix_a_reports_per_year · Total Number of" in ojjdp and "21,751,085  36,210,368" in ojjdp


def test_diff_runs_last_and_by_run_id_after_two_runs(corpus_dir, tmp_path):
    """Each run keeps its outputs (data/runs/<run id>/); `--runs last` compares the two newest,
    `--runs RUN_ID RUN_ID` named ones, `--runs RUN_ID` one against the current outputs."""
    runner = CliRunner()
    common = ["run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir), "--jobs", "1", "-q"]
    assert runner.invoke(main, [*common, "--only", "esp-2022"]).exit_code == 0
    one = invoke("--runs", "last", "--data-dir", tmp_path)
    assert one.exit_code == 2 and "needs the outputs of two runs, found 1 kept" in one.output
    assert runner.invoke(main, [*common, "--only", "esp-2023"]).exit_code == 0
    last = invoke("--runs", "last", "--data-dir", tmp_path, "--format", "json", "--exit-code")
    assert last.exit_code == 1, last.output
    tables = {t["table"]: t for t in json.loads(last.output)["tables"]}
    assert len(tables["esp_reports"]["added"]) == 247 and tables["esp_reports"]["removed"] == []
    assert {c["key"]["doc_id"] for c in tables["documents"]["changed"]} == {"esp-2023"}
    first, second = sorted(p.stem for p in (tmp_path / "runs").glob("*.json"))
    named = invoke("--runs", first, second, "--data-dir", tmp_path, "--format", "json")
    assert named.exit_code == 0 and json.loads(named.output)["tables"] == json.loads(last.output)["tables"]
    against_now = invoke("--runs", second, "--data-dir", tmp_path, "--exit-code")
    assert against_now.exit_code == 0, against_now.output                    # the newest set is the current outputs
    unknown = invoke("--runs", "20000101T000000Z-1", "--data-dir", tmp_path)
    assert unknown.exit_code == 2 and f"kept: {first}, {second}" in unknown.output
    assert invoke("--years", 2022, 2023, "extra", "--data-dir", tmp_path).exit_code == 2


def test_only_the_newest_output_sets_are_kept(tmp_path):
    from pipeline.history import keep_output_set, output_sets

    written = tmp_path / "processed" / "documents.parquet"
    written.parent.mkdir()
    written.write_bytes(b"PAR1")
    for run_id in ("20260101T000000Z-1", "20260102T000000Z-1", "20260103T000000Z-1"):
        keep_output_set(tmp_path / "runs", run_id, [str(written)], keep=2)
    assert [p.name for p in output_sets(tmp_path / "runs")] == ["20260102T000000Z-1", "20260103T000000Z-1"]
    assert (tmp_path / "runs" / "20260103T000000Z-1" / "documents.parquet").stat().st_ino == written.stat().st_ino


def test_one_count_of_edition_differences_everywhere(pipeline_run, tmp_path):
    """`diff --editions` said 8 where ojjdp_revisions, the notebook and the report said 12: a number
    printed under a new label is two rows of ojjdp_revisions but one difference."""
    import pandas as pd

    from pipeline.revisions import difference_counts

    paths, _ = pipeline_run
    revisions = pd.read_parquet(paths.processed / "ojjdp_revisions.parquet")
    counts = difference_counts(revisions)
    assert len(revisions) == 12
    assert counts == {"restated": 0, "relabelled": 4, "only_in_old": 0, "only_in_new": 4, "differences": 8}
    result = invoke("--editions", "--data-dir", paths.root)
    assert result.exit_code == 0
    assert result.output.startswith("OJJDP editions 2022, 2023: 8 differences (0 restated, 4 relabelled, 4 printed")
    assert json.loads(invoke("--editions", "--data-dir", paths.root, "--format", "json").output)["differences"] == 8
    report = CliRunner().invoke(main, ["report", "--data-dir", str(paths.root), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert "<b>8</b> differences: 0 restated, 4 printed under a new label" in (tmp_path / "r.html").read_text()

"""The command line, driven through click's CliRunner: exit codes, output, documentation."""

import pandas as pd
from click.testing import CliRunner

from pipeline.cli import main


def test_every_command_has_help_text():
    runner = CliRunner()
    for name, command in main.commands.items():
        assert command.help, f"command {name} has no help text"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "ncmec-pipeline" in result.output


def test_unknown_document_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["fetch", "--data-dir", str(tmp_path), "--only", "esp-1999"])
    assert result.exit_code == 2
    assert "not in the manifest: esp-1999" in result.output


def test_stages_run_alone_and_store_writes_the_outputs(corpus_dir, tmp_path):
    runner = CliRunner()
    common = ["--data-dir", str(tmp_path), "--only", "esp-2021", "--only", "esp-2019"]
    fetched = runner.invoke(main, ["fetch", *common, "--mirror", str(corpus_dir)])
    assert fetched.exit_code == 3, fetched.output          # esp-2019 is not in the corpus
    assert "missing" in fetched.output and "ok" in fetched.output
    extracted = runner.invoke(main, ["extract", *common])
    assert extracted.exit_code == 3, extracted.output
    assert "230 rows" in extracted.output
    validated = runner.invoke(main, ["validate", *common])
    assert "PASS 2021-reports-by-esp.pdf total_reconciles: 2021-reports-by-esp.pdf: 230 rows sum to 29,157,083" in validated.output
    assert not (tmp_path / "processed").exists()           # validate writes nothing
    stored = runner.invoke(main, ["store", *common])
    assert stored.exit_code == 3
    esp = pd.read_parquet(tmp_path / "processed" / "esp_reports.parquet")
    assert len(esp) == 230 and set(esp.year) == {2021}


def test_run_with_mirror_is_partial_when_editions_are_missing(corpus_dir, tmp_path):
    result = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                       "--only", "country-2020", "--only", "country-2024"])
    assert result.exit_code == 3, result.output
    assert "1/2 documents ok" in result.output
    for name in ("esp_reports", "country_reports", "documents", "checks"):
        assert (tmp_path / "processed" / f"{name}.parquet").is_file()


def test_run_with_every_document_ok_exits_zero(corpus_dir, tmp_path):
    result = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                       "--only", "esp-2022", "-q"])
    assert result.exit_code == 0, result.output


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"| `{name}" not in readme]
    assert not missing, f"commands missing from the README's command table: {missing}"


def test_json_logs_carry_the_stage_and_document():
    import json
    import logging

    from pipeline.cli import JsonFormatter

    record = logging.LogRecord("pipeline", logging.INFO, __file__, 1, "extract %s: ok", ("esp-2020",), None)
    record.stage, record.doc_id, record.status = "extract", "esp-2020", "ok"
    record.created = 1764621948.5
    entry = json.loads(JsonFormatter().format(record))
    assert entry == {"time": "2025-12-01T20:45:48.500Z", "level": "info", "logger": "pipeline",
                     "message": "extract esp-2020: ok", "stage": "extract", "doc_id": "esp-2020", "status": "ok"}


def test_json_log_lines_carry_time_and_end_with_a_run_summary(corpus_dir, tmp_path):
    """For cron: every line has an ISO `time`, the last one is the `run_summary` with counts and
    the exit code; --quiet prints no table (a clean night prints nothing at all)."""
    import json
    import re

    result = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                       "--only", "esp-2022", "--only", "esp-2024", "--log-format", "json"])
    assert result.exit_code == 3, result.output
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert entries and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) for e in entries)
    summary = entries[-1]
    assert (summary["event"], summary["command"], summary["exit_code"]) == ("run_summary", "run", 3)
    assert summary["documents"] == {"missing": 1, "ok": 1} and summary["blocking_failures"] == 0
    assert sum(e.get("event") == "run_summary" for e in entries) == 1
    quiet = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                      "--only", "esp-2022", "-q"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    partial = CliRunner().invoke(main, ["fetch", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                        "--only", "esp-2024", "-q"])
    assert partial.exit_code == 1 and partial.stdout == ""
    assert partial.stderr.splitlines()[-1].startswith("ERROR run_summary: fetch exited 1: 1 missing")
    both = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "-q", "-v"])
    assert both.exit_code == 2 and "--quiet and --verbose contradict each other" in both.output


def test_no_color_is_honoured(tmp_path):
    from pipeline import store
    from pipeline.fields import load_catalog

    field = load_catalog().fields[0].id
    store.write_records("field_presence", [{"field_id": field, "year": 2023, "title": "t", "status": "absent",
                                            "n_values": 0}], tmp_path / "processed")
    args = ["fields", "--data-dir", str(tmp_path)]
    assert "\x1b[" in CliRunner().invoke(main, args, color=True).output
    plain = CliRunner().invoke(main, args, color=True, env={"NO_COLOR": "1"})
    assert plain.exit_code == 0 and "\x1b[" not in plain.output and "absent" in plain.output


def test_quiet_still_warns_of_missing_documents_and_verbose_says_where_files_came_from(corpus_dir, tmp_path):
    """--quiet hid missing documents (logged at INFO), and --verbose printed nothing more than the
    default."""
    import subprocess
    import sys

    def run(*flags):
        command = [sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path), "--mirror",
                   str(corpus_dir), "--only", "esp-2022", "--only", "esp-2024", *flags]
        return subprocess.run(command, capture_output=True, text=True, timeout=300)

    quiet = run("-q")
    assert quiet.returncode == 3
    assert "WARNING fetch esp-2024: missing (2024-reports-by-esp.pdf is not in the mirror)" in quiet.stderr
    assert "INFO" not in quiet.stderr
    verbose = run("-v")
    assert "DEBUG extract esp-2022: from the cache" in verbose.stderr
    assert "DEBUG fetch esp-2022:" in verbose.stderr and "from mirror" in verbose.stderr


def test_datasets_and_validate_speak_json_csv_and_markdown(pipeline_run):
    """Machine-readable everywhere: datasets and validate take --format json|csv|markdown;
    validate --failures-only drops the passing checks."""
    import csv
    import io
    import json

    paths, report = pipeline_run
    runner = CliRunner()
    listed = runner.invoke(main, ["datasets", "--data-dir", str(paths.root), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    tables = {t["name"]: t for t in json.loads(listed.output)}
    from pipeline.store import SCHEMA_VERSION

    assert tables["documents"]["rows"] == 15 and tables["esp_reports"]["schema_version"] == SCHEMA_VERSION
    columns = list(csv.DictReader(io.StringIO(runner.invoke(
        main, ["datasets", "esp_reports", "--data-dir", str(paths.root), "--format", "csv"]).output)))
    assert [c["column"] for c in columns][:3] == ["year", "esp", "esp_key"]
    common = ["validate", "--data-dir", str(paths.root), "--only", "ojjdp-2023"]
    every = json.loads(runner.invoke(main, [*common, "--format", "json"]).stdout)
    failures = json.loads(runner.invoke(main, [*common, "--format", "json", "--failures-only"]).stdout)
    assert failures and all(not c["passed"] for c in failures)
    assert len(failures) == sum(not c["passed"] for c in every) < len(every)
    text = runner.invoke(main, [*common, "--failures-only"])
    check_lines = [line for line in text.stdout.splitlines()
                   if line.split(" ")[1:2] == ["OJJDP-NCMEC-Transparency-CY-2023-Report.pdf"]]
    assert text.exit_code == 0 and len(check_lines) == len(failures)
    assert not any(line.startswith("PASS ") for line in text.stdout.splitlines())
    markdown = runner.invoke(main, [*common, "--format", "markdown", "--failures-only"]).stdout
    assert markdown.startswith("| result | document | check |") and len(markdown.splitlines()) == len(failures) + 2


def test_data_dictionary_lists_every_table_and_column_from_the_schemas(pipeline_run):
    from pipeline.store import TABLES

    paths, _ = pipeline_run
    result = CliRunner().invoke(main, ["datasets", "--data-dir", str(paths.root), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    text = result.output
    for name, (schema, _) in TABLES.items():
        assert f"## `{name}`" in text
        for field in schema:
            assert f"| `{field.name}` | " in text[text.index(f"## `{name}`"):], (name, field.name)
    assert "| `esp_key` | string | no (0 null) | identity | stable key grouping" in text
    assert "| `footnote` | string | yes (870 null) |  | footnote marker" in text
    assert "identified by year, esp_key, esp; sorted by year, esp_key, esp, page; 881 rows" in text
    one = CliRunner().invoke(main, ["datasets", "checks", "--data-dir", str(paths.root), "--format", "markdown"])
    assert "## `checks`" in one.output and "## `esp_reports`" not in one.output


def test_small_things_an_operator_trips_over(corpus_dir, tmp_path):
    """--dry-run exits with the code the run would have; run --help names $NCMEC_DATA_DIR;
    an unknown --only lists the valid ids; report -o into a folder that does not exist is refused."""
    runner = CliRunner()
    dry = runner.invoke(main, ["run", "--dry-run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                               "--only", "esp-2022", "--only", "esp-2024"])
    assert dry.exit_code == 3, dry.output                                   # esp-2024 is not in the mirror
    assert runner.invoke(main, ["run", "--dry-run", "--data-dir", str(tmp_path), "--mirror", str(corpus_dir),
                                "--only", "esp-2022"]).exit_code == 0
    assert not (tmp_path / "processed").exists()
    assert "NCMEC_DATA_DIR" in runner.invoke(main, ["run", "--help"]).output
    unknown = runner.invoke(main, ["run", "--data-dir", str(tmp_path), "--only", "esp-2030"])
    assert unknown.exit_code == 2 and "valid ids: esp-2019, esp-2020" in unknown.output
    from pipeline import store

    store.write_records("documents", [], tmp_path / "processed")
    nowhere = tmp_path / "no" / "such" / "dir" / "x.html"
    report = runner.invoke(main, ["report", "--data-dir", str(tmp_path), "-o", str(nowhere)])
    assert report.exit_code == 2 and "found no folder" in report.output and not (tmp_path / "no").exists()

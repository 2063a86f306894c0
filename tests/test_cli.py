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
    common = ["--data-dir", str(tmp_path), "--only", "esp-2021", "--only", "esp-2019", "-q"]
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
                                       "--only", "country-2020", "--only", "country-2024", "-q"])
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
    entry = json.loads(JsonFormatter().format(record))
    assert entry == {"level": "info", "logger": "pipeline", "message": "extract esp-2020: ok",
                     "stage": "extract", "doc_id": "esp-2020", "status": "ok"}


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

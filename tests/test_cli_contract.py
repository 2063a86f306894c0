"""The command line's promises: a fast start, an example in every help, named exit codes that
the README lists, and `validate` writing nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from pipeline import exits
from pipeline.cli import CouldNotWrite, DiffFailed, Locked, main

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "pyarrow", "pdfplumber", "pdfminer", "numpy")


def _modules_loaded_by(*args: str) -> list[str]:
    """The heavy libraries imported by `ncmec-pipeline ARGS`, run in a fresh interpreter."""
    code = ("import sys\nfrom pipeline.cli import main\ntry:\n    main(%r, prog_name='ncmec-pipeline')\n"
            "except SystemExit:\n    pass\nprint(' '.join(m for m in %r if m in sys.modules))" % (list(args), HEAVY))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.splitlines()[-1].split()


def test_help_and_version_import_no_pdf_table_or_dataframe_library():
    """`--help` took ~0.3 s, most of it importing pandas and pyarrow it never used."""
    assert _modules_loaded_by("--help") == []
    assert _modules_loaded_by("--version") == []
    assert _modules_loaded_by("run", "--help") == []


def test_every_commands_help_ends_with_an_example_of_it():
    runner = CliRunner()
    for name in ["", *main.commands]:
        result = runner.invoke(main, [*([name] if name else []), "--help"])
        assert result.exit_code == 0, result.output
        last = result.output.rstrip().splitlines()[-1].strip()
        assert last.startswith(f"Example: ncmec-pipeline {name}".rstrip()), (name, last)


def test_errors_are_click_exceptions_with_the_named_exit_codes():
    assert issubclass(Locked, click.ClickException) and Locked("x").exit_code == exits.EXIT_LOCKED == 4
    assert CouldNotWrite("x").exit_code == exits.EXIT_FAILED == 1
    assert DiffFailed("x").exit_code == exits.EXIT_USAGE == 2
    assert exits.EXIT_PARTIAL == 3 and exits.EXIT_OK == 0


def test_the_readme_documents_every_exit_code_by_name():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Exit codes"):]
    table = table[:table.index("\n## ")]
    rows = dict(re.findall(r"^\| (\d) \| `(EXIT_[A-Z]+)`", table, re.M))
    named = {name: value for name, value in vars(exits).items() if name.startswith("EXIT_")}
    documented = {name for line in re.findall(r"^\| \d \| (.*?) \|", table, re.M) for name in re.findall(r"`(EXIT_[A-Z]+)`", line)}
    assert documented == set(named), f"README exit codes {sorted(documented)}, pipeline.exits {sorted(named)}"
    for line in re.findall(r"^\| (\d) \| (.*?) \|", table, re.M):
        for name in re.findall(r"`(EXIT_[A-Z]+)`", line[1]):
            assert named[name] == int(line[0]), name
    assert rows  # the table is there


def test_validate_writes_nothing(pipeline_run):
    """`validate` said it wrote nothing but extracted what was not cached and cached page texts."""
    paths, _ = pipeline_run

    def tree():
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in paths.root.rglob("*") if p.is_file()}

    before = tree()
    result = CliRunner().invoke(main, ["validate", "--data-dir", str(paths.root), "--only", "esp-2023", "-q"])
    assert result.exit_code == exits.EXIT_OK, result.output
    assert tree() == before

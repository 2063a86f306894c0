"""What an installed copy needs beside the Python modules: every data file the package reads
(rules files, the report's stylesheet) must be matched by pyproject's package-data, or a wheel
would install a pipeline that fails the first time it opens one."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_file_the_package_reads_is_declared_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["pipeline"]
    resources = [path.relative_to(ROOT / "pipeline").as_posix() for path in (ROOT / "pipeline").rglob("*")
                 if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts]
    assert "report/report.css" in resources
    unpackaged = [name for name in resources if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert unpackaged == []

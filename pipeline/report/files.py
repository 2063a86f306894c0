"""The report's two edges: reading the output tables, writing the HTML file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


REQUIRED_TABLES = ("documents",)
REPORT_TABLES = ("documents", "checks", "esp_reports", "country_reports", "ojjdp_cells",
                 "ojjdp_revisions", "field_presence")


def read_tables(data_dir) -> dict[str, pd.DataFrame | None]:
    """Every table the report uses, None for those this run did not produce.
    Raises FileNotFoundError when even `documents` is missing (nothing has run there)."""
    from pipeline.load import available_names, load, processed_dir
    from pipeline.store import read_consistent

    present = set(available_names(data_dir))
    for name in REQUIRED_TABLES:
        if name not in present:
            load(name, data_dir=data_dir)  # raises with a message naming the folder and what is there
    # All tables of one output set (store.read_consistent): never a documents table beside
    # another run's rows.
    return read_consistent(processed_dir(data_dir), lambda _: {
        name: load(name, data_dir=data_dir) if name in present else None for name in REPORT_TABLES})


def latest_run(data_dir) -> dict | None:
    """The newest run manifest that wrote outputs (runs that published nothing are skipped).
    Newest by the run's sequence number, not its clock time (manifests from before sequences
    count as 0, then by name)."""
    from pipeline.workspace import Workspace

    runs_dir = Workspace(data_dir).runs
    manifests = []
    for path in runs_dir.glob("*.json") if runs_dir.is_dir() else []:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("written"):
            sequence = manifest.get("sequence")
            manifests.append((sequence if isinstance(sequence, int) else 0, path.name, manifest))
    return max(manifests, key=lambda m: m[:2])[2] if manifests else None


def write_report(text: str, path: Path) -> Path:
    """Write atomically (`workspace.write_text_atomic`), so a reader never opens half a report."""
    from pipeline.workspace import write_text_atomic

    return write_text_atomic(Path(path), text)


def make_report(data_dir, output: Path | None = None) -> tuple[Path, list[str]]:
    """`ncmec-pipeline report`: the outputs of `data_dir` read as one set (a commit a killed run
    left pending completed first: call under the lock), the page built and written to `output`
    (default processed/report.html). Returns the file and the tables this run did not produce."""
    from pipeline.report.page import build_report
    from pipeline.store import recover
    from pipeline.workspace import Workspace

    workspace = Workspace(data_dir)
    recover(workspace.processed)
    tables = read_tables(data_dir)
    path = write_report(build_report(tables, run=latest_run(data_dir)), output or workspace.processed / "report.html")
    return path, [name for name, frame in tables.items() if frame is None]

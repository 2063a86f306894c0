"""The report's two edges: reading the output tables, writing the HTML file."""

from __future__ import annotations

import json
import os
import tempfile
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
    runs_dir = Path(data_dir) / "runs"
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
    """Write atomically (temp file + rename), so a reader never opens half a report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path

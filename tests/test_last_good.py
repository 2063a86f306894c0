"""The last good copy keeps the rows and checks it published (pipeline/last_good.py): a failed
new copy publishes them as they were, without the extraction they came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.manifest import load_manifest
from pipeline.run import code_digest, run_pipeline
from pipeline.workspace import Workspace

ESP_2022 = "2022-reports-by-esp.pdf"


def _esp_2022():
    return [d for d in load_manifest() if d.doc_id == "esp-2022"]


def _good_then_failed(corpus_dir, tmp_path) -> tuple[Workspace, bytes, dict]:
    """esp-2022 published; then its file replaced by the by-country list (another edition: the
    edition check fails it) and the extraction cache cleared."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copyfile(corpus_dir / ESP_2022, mirror / ESP_2022)
    paths = Workspace(tmp_path / "data")
    assert run_pipeline(_esp_2022(), paths, mirror=mirror).exit_code == 0
    published = paths.table("esp_reports").read_bytes()
    kept = paths.last_good_rows / "esp-2022"
    copy = json.loads((kept / "copy.json").read_text())
    checks = pq.read_table(kept / "checks.parquet").to_pylist()
    assert {c["source_file"] for c in checks} == {ESP_2022} and "total_reconciles" in {c["check"] for c in checks}
    shutil.copyfile(corpus_dir / "2022-reports-by-country.pdf", mirror / ESP_2022)
    shutil.rmtree(paths.cache)
    return paths, published, copy


def test_a_failed_copy_publishes_the_kept_rows_without_their_extraction(corpus_dir, tmp_path):
    """The rows came from normalizing the last good copy's cached extraction again: with the
    cache cleared they were lost, and the document published nothing."""
    paths, published, copy = _good_then_failed(corpus_dir, tmp_path)
    assert copy["code"] == code_digest()
    report = run_pipeline(_esp_2022(), paths, mirror=paths.root.parent / "mirror")
    [doc] = report.documents
    assert doc["status"] == "failed" and doc["rows"] > 200
    assert f"kept the {doc['rows']} rows published from the last good copy (sha256 {copy['sha256'][:12]}…)" in doc["message"]
    assert paths.table("esp_reports").read_bytes() == published


def test_rows_kept_by_other_code_are_not_taken(corpus_dir, tmp_path):
    """Rows a different normalizer published are normalized again (here: no extraction is left,
    so none are published) instead of served as they were."""
    paths, _, copy = _good_then_failed(corpus_dir, tmp_path)
    (paths.last_good_rows / "esp-2022" / "copy.json").write_text(json.dumps({**copy, "code": "0" * 64}))
    [doc] = run_pipeline(_esp_2022(), paths, mirror=paths.root.parent / "mirror").documents
    assert doc["status"] == "failed" and doc["rows"] == 0


def test_the_code_digest_follows_a_changed_file_though_it_is_reused(tmp_path, monkeypatch):
    """A run asks for the code digest once per document; it is reused while no file of the
    package changes, and a changed data file changes it (a copy of the package, edited)."""
    from pipeline import run

    package = tmp_path / "pipeline"
    shutil.copytree(Path(run.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(run, "__file__", str(package / "run.py"))
    first = run.code_digest()
    assert run.code_digest() == first
    with open(package / "data" / "esp_aliases.csv", "a") as handle:
        handle.write("# a reviewed change\n")
    assert run.code_digest() != first

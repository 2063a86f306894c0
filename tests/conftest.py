"""Shared fixtures. The real corpus is NCMEC's PDFs in ../shared/ncmec (or $NCMEC_MIRROR); it is
never copied into the repository. Under CI (CI=true) a missing corpus fails, never skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _corpus_dir() -> Path:
    return Path(os.environ.get("NCMEC_MIRROR") or REPO.parent / "shared" / "ncmec").resolve()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = _corpus_dir()
    if not (path / "SOURCES.csv").is_file():
        message = f"the NCMEC corpus is not at {path} (set NCMEC_MIRROR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pipeline_run(corpus_dir, tmp_path_factory):
    """One full pipeline run over the shared corpus, shared by the tests that read its outputs."""
    from pipeline.manifest import load_manifest
    from pipeline.run import DataPaths, run_pipeline

    paths = DataPaths(tmp_path_factory.mktemp("data"))
    report = run_pipeline(load_manifest(), paths, mirror=corpus_dir, jobs=2)
    return paths, report


@pytest.fixture
def copy_of_corpus(corpus_dir, tmp_path):
    """A writable copy of the corpus for tests that change files (the copy lives in tmp_path)."""
    target = tmp_path / "mirror"
    shutil.copytree(corpus_dir, target)
    return target

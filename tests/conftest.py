"""Shared fixtures. The real corpus is NCMEC's PDFs in ../shared/ncmec (or $NCMEC_MIRROR); it is
never copied into the repository. Under CI (CI=true) a missing corpus fails, never skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items) -> None:
    """Every test that reads the real corpus (through `corpus_dir`, directly or by a fixture that
    uses it) is marked `corpus`, so `pytest -m "not corpus and not slow"` is the fast unit set."""
    for item in items:
        if "corpus_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)


def _corpus_dir() -> Path:
    return Path(os.environ.get("NCMEC_MIRROR") or REPO.parent / "shared" / "ncmec").resolve()


@pytest.fixture(scope="session")
def corpus_dir() -> Iterator[Path]:
    """The real corpus, each PDF parsed once for the whole session (see `_parse_corpus_once`)."""
    path = _corpus_dir()
    if not (path / "SOURCES.csv").is_file():
        message = f"the NCMEC corpus is not at {path} (set NCMEC_MIRROR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as session_patch:
        _parse_corpus_once(path, session_patch)
        yield path


@pytest.fixture(scope="session")
def pipeline_run(corpus_dir, tmp_path_factory):
    """One full pipeline run over the shared corpus, shared by the tests that read its outputs."""
    from pipeline.manifest import load_manifest
    from pipeline.run import run_pipeline
    from pipeline.workspace import Workspace

    paths = Workspace(tmp_path_factory.mktemp("data"))
    report = run_pipeline(load_manifest(), paths, mirror=corpus_dir, jobs=2)
    return paths, report


@pytest.fixture(scope="session")
def chromium_lists(tmp_path_factory):
    """The Chromium-printed lists, made once per session where Debian's `chromium` is installed.
    No PDF is committed; reportlab and the hand-written PDF cover the other producers everywhere."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install chromium): the Chromium-printed lists are not made")
    from tests.fixtures.make_chromium_fixtures import print_fixtures

    return {p.stem: p for p in print_fixtures(tmp_path_factory.mktemp("chromium"))}


@pytest.fixture
def copy_of_corpus(corpus_dir, tmp_path):
    """A writable copy of the corpus for tests that change files (the copy lives in tmp_path)."""
    target = tmp_path / "mirror"
    shutil.copytree(corpus_dir, target)
    return target


# --- each real PDF parsed once per session ------------------------------------------------------

_PARSED: dict[str, list] = {}  # sha256 of a corpus PDF -> its pages, parsed once (pipeline.pages)


def _parse_corpus_once(corpus: Path, monkeypatch_session: pytest.MonkeyPatch) -> None:
    """Parse every corpus PDF once, before any test runs a reader on it, and hand the same pages
    to every later `pipeline.pages.open_pages` of the same bytes (a copy of the corpus included).
    The readers still run every time on these pages; only the PDF parse is shared. Worker
    processes forked by a pipeline run inherit the parsed pages. Other PDFs (synthetic, or a
    corpus file a test has changed) are parsed as usual."""
    import hashlib

    from pipeline import pages

    real_open_pages = pages.open_pages
    for pdf in sorted(corpus.glob("*.pdf")):
        _PARSED[hashlib.sha256(pdf.read_bytes()).hexdigest()] = [p.detached() for p in real_open_pages(pdf)]

    def open_pages(pdf_path):
        parsed = _PARSED.get(hashlib.sha256(Path(pdf_path).read_bytes()).hexdigest())
        if parsed is None:
            yield from real_open_pages(pdf_path)
        else:
            yield from parsed

    monkeypatch_session.setattr(pages, "open_pages", open_pages)

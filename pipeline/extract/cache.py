"""The extraction's caches: each document's extraction, and each PDF's page texts.

Both are derived from the raw file and the code, keyed by what they are a function of, and
written by the extract stage (`pipeline.run.extract_all`); the other stages only read them.

  cache/extract/<doc_id>-<family>-<year>-<sha256>-v<EXTRACTOR_VERSION>.json   an extraction
  cache/pages/<sha256>-v<PAGE_TEXT_VERSION>.json                              the page texts

The page texts are kept apart from the extraction: the edition check (`pipeline.identify`), the
field-presence mention search and the running-text statements read them for any published file.
Never committed: they are NCMEC's text.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.state import read_json_state
from pipeline.workspace import Workspace, write_json_atomic

log = logging.getLogger("pipeline.fields")

# Bump when an extractor's output can change for the same PDF: cached extractions are then redone.
EXTRACTOR_VERSION = "4"
# Bump when page-text extraction changes, so cached page texts are redone.
PAGE_TEXT_VERSION = "1"


def extraction_path(workspace: Workspace, doc, sha256: str) -> Path:
    """Keyed by everything the extraction is a function of: the same bytes read as another
    document, family or edition (the OJJDP reader takes the edition) are another extraction."""
    return workspace.cache / f"{doc.doc_id}-{doc.family}-{doc.year}-{sha256}-v{EXTRACTOR_VERSION}.json"


def cached_extraction(workspace: Workspace, doc, sha256: str) -> dict | None:
    """The cached extraction of `doc` read from the file with `sha256`, or None."""
    return read_json_state(extraction_path(workspace, doc, sha256))


def cache_extraction(workspace: Workspace, doc, sha256: str, extraction: dict) -> None:
    """Compact JSON: read by the pipeline only, and an OJJDP edition's cells indented cost a
    cold run more to write than to read."""
    write_json_atomic(extraction_path(workspace, doc, sha256), extraction, durable=False, indent=None,
                      separators=(",", ":"))


def cached_page_texts(workspace: Workspace, sha256: str | None) -> list[str] | None:
    """A file's page texts as the extraction cached them, or None."""
    return read_json_state(page_texts_path(workspace.page_texts, sha256), list) if sha256 else None


def read_page_texts(pdf_path: Path) -> list[str]:
    """Each page's plain text, for a PDF whose extraction did not return them (`pipeline.pages`)."""
    from pipeline.pages import page_texts

    return page_texts(pdf_path)


def page_texts_path(cache_dir: Path, sha256: str) -> Path:
    return Path(cache_dir) / f"{sha256}-v{PAGE_TEXT_VERSION}.json"


def cache_page_texts(cache_dir: Path, sha256: str, pages: list[str]) -> None:
    """Store a file's page texts (atomically) so the mention search never re-reads the PDF."""
    write_json_atomic(page_texts_path(cache_dir, sha256), pages, durable=False, indent=None, sort_keys=False,
                      ensure_ascii=False)


class PageTexts(Mapping):
    """source_file -> page texts, read lazily from the raw PDFs and cached in
    `cache_dir/<sha256>-v<version>.json` (never committed: it is NCMEC's text). A file whose
    sha256 is not the one the run published is not read: its pages could differ. With
    `write=False` what is read is not cached (`validate` writes nothing)."""

    def __init__(self, documents: Sequence[dict], raw_dir: Path, cache_dir: Path, *, write: bool = True):
        self._docs = {d["source_file"]: d for d in documents if d.get("sha256")}
        self._raw, self._cache, self._write = Path(raw_dir), Path(cache_dir), write
        self._loaded: dict[str, list[str] | None] = {}

    def _load(self, source_file: str) -> list[str] | None:
        doc = self._docs.get(source_file)
        if doc is None:
            return None
        cached = read_json_state(page_texts_path(self._cache, doc["sha256"]), list)
        if cached is not None:
            return cached
        pdf = self._raw / source_file
        if not pdf.is_file() or hashlib.sha256(pdf.read_bytes()).hexdigest() != doc["sha256"]:
            log.warning("fields: %s is not in %s with sha256 %s…; its mentions are not searched",
                        source_file, self._raw, doc["sha256"][:12])
            return None
        try:
            pages = read_page_texts(pdf)
        except Exception as err:  # a PDF pdfplumber cannot open: no mentions, never a crash
            log.warning("fields: could not read the text of %s: %s: %s", source_file, type(err).__name__, err)
            return None
        if self._write:
            cache_page_texts(self._cache, doc["sha256"], pages)
        return pages

    def __getitem__(self, source_file: str) -> list[str]:
        if source_file not in self._loaded:
            self._loaded[source_file] = self._load(source_file)
        pages = self._loaded[source_file]
        if pages is None:
            raise KeyError(source_file)
        return pages

    def __iter__(self):
        return iter(sorted(self._docs))

    def __len__(self) -> int:
        return len(self._docs)

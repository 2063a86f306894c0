"""The source manifest: every document NCMEC published that the pipeline knows about.

It lives in `pipeline/data/manifest.csv` so that adding an edition is a reviewed one-line diff.
File names in `data/raw/` come from its `file` column (checked here), never from a URL.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlparse

FAMILIES = ("reports_by_esp", "reports_by_country", "ojjdp_transparency")
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pdf$")


@dataclass(frozen=True)
class Document:
    """One published PDF: which family it belongs to, the year it describes, where it lives."""

    doc_id: str
    family: str
    year: int
    file: str
    url: str
    sha256: str | None  # known published hash, when we have seen the file

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or ""


class ManifestError(ValueError):
    """The manifest file itself is malformed."""


def parse_manifest(rows: list[dict[str, str]]) -> list[Document]:
    """Turn manifest rows into documents, refusing anything unsafe or inconsistent."""
    documents: list[Document] = []
    seen: set[str] = set()
    for line_no, row in enumerate(rows, start=2):
        doc_id = row["doc_id"].strip()
        family = row["family"].strip()
        file = row["file"].strip()
        url = row["url"].strip()
        where = f"manifest line {line_no} ({doc_id or 'no id'})"
        if family not in FAMILIES:
            raise ManifestError(f"{where}: family {family!r} is not one of {', '.join(FAMILIES)}")
        if not SAFE_FILE_NAME.match(file):
            raise ManifestError(f"{where}: file name {file!r} is not a plain PDF file name")
        if urlparse(url).scheme != "https":
            raise ManifestError(f"{where}: url {url!r} is not https")
        if doc_id in seen:
            raise ManifestError(f"{where}: doc_id {doc_id!r} appears twice")
        seen.add(doc_id)
        documents.append(
            Document(
                doc_id=doc_id,
                family=family,
                year=int(row["year"]),
                file=file,
                url=url,
                sha256=(row.get("sha256") or "").strip().lower() or None,
            )
        )
    return documents


def load_manifest() -> list[Document]:
    """The manifest shipped with the package."""
    text = resources.files("pipeline.data").joinpath("manifest.csv").read_text(encoding="utf-8")
    return parse_manifest(list(csv.DictReader(text.splitlines())))


def allowed_hosts(documents: list[Document]) -> frozenset[str]:
    """Hosts the fetcher may contact (and follow redirects to): those named in the manifest."""
    return frozenset(doc.host for doc in documents)

"""The source manifest: every document NCMEC published that the pipeline knows about.

It lives in `pipeline/data/manifest.csv` so that adding an edition is a reviewed one-line diff
(`--manifest FILE` or `$NCMEC_MANIFEST` names another one). `discover` adds the editions it finds
on NCMEC's pages to a local overlay, `data/state/discovered.csv`, with the same columns; every
command reads the manifest and the overlay together (`load_documents`). File names in
`data/raw/` come from the `file` column (checked here), never from a URL.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

from pipeline.families import FAMILIES as READERS

# The families the pipeline has a reader for (the registry, pipeline/families/). Others (by U.S.
# state, notifications per ESP, …) are named in pipeline/data/discovery_patterns.csv: their
# documents are recorded as `unsupported`, never read.
FAMILIES = tuple(READERS)
UNCLASSIFIED = "unclassified"  # a PDF link no discovery pattern recognises
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pdf$")
# Plain http only to this machine (a test server, a local mirror); NCMEC serves https.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# The manifest's columns; link_text and found_on are optional (discovery fills them in the overlay).
MANIFEST_COLUMNS = ("doc_id", "family", "year", "file", "url", "sha256", "link_text", "found_on")
# doc ids name files in data/quarantine and data/cache: letters, digits and inner dashes only.
SAFE_DOC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Document:
    """One published PDF: which family it belongs to, the year it describes, where it lives."""

    doc_id: str
    family: str
    year: int | None  # None only for an unsupported document whose link names no year
    file: str
    url: str
    sha256: str | None  # known published hash, when we have seen the file
    origin: str = "manifest"  # manifest | discovered (the overlay data/state/discovered.csv)
    link_text: str = ""       # discovered: the link's text on the index page
    found_on: str = ""        # discovered: the index page that links it

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or ""

    @property
    def supported(self) -> bool:
        """Whether a reader exists for the family; an unsupported document is never fetched."""
        return self.family in FAMILIES


class ManifestError(ValueError):
    """The manifest file itself is malformed."""


def url_problem(url: str) -> str | None:
    """Why `url` may not be fetched (None when it may): https, or http to this machine only."""
    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.hostname:
        return None
    if parsed.scheme == "http" and (parsed.hostname or "") in LOOPBACK_HOSTS:
        return None
    return f"url {url!r} is not https"


@functools.cache
def known_families() -> tuple[str, ...]:
    """Families with a reader, then those the discovery patterns name (no reader), then
    `unclassified`: every family a manifest or overlay row may name."""
    text = resources.files("pipeline.data").joinpath("discovery_patterns.csv").read_text(encoding="utf-8")
    named = [row["family"].strip() for row in csv.DictReader(text.splitlines())]
    return tuple(dict.fromkeys([*FAMILIES, *named, UNCLASSIFIED]))


def parse_manifest(rows: list[dict[str, str]], *, origin: str = "manifest", where_name: str = "manifest"
                   ) -> list[Document]:
    """Turn manifest (or overlay) rows into documents, refusing anything unsafe or inconsistent.

    A family without a reader may leave `year` empty (an unclassified link need not name one)."""
    documents: list[Document] = []
    seen: set[str] = set()
    files: set[str] = set()
    for line_no, row in enumerate(rows, start=2):
        doc_id = (row.get("doc_id") or "").strip()
        family = (row.get("family") or "").strip()
        file = (row.get("file") or "").strip()
        url = (row.get("url") or "").strip()
        year_text = (row.get("year") or "").strip()
        where = f"{where_name} line {line_no} ({doc_id or 'no id'})"
        if not SAFE_DOC_ID.match(doc_id):
            raise ManifestError(f"{where}: doc_id {doc_id!r} is not lower-case letters and digits joined by dashes"
                                " (e.g. esp-2023)")
        sha256 = (row.get("sha256") or "").strip().lower() or None
        if sha256 is not None and not SHA256.match(sha256):
            raise ManifestError(f"{where}: sha256 {sha256!r} is not 64 hexadecimal digits")
        if family not in known_families():
            raise ManifestError(f"{where}: family {family!r} is not one of {', '.join(known_families())}")
        if not SAFE_FILE_NAME.match(file):
            raise ManifestError(f"{where}: file name {file!r} is not a plain PDF file name")
        problem = url_problem(url)
        if problem:
            raise ManifestError(f"{where}: {problem}")
        if doc_id in seen:
            raise ManifestError(f"{where}: doc_id {doc_id!r} appears twice")
        if file in files:
            raise ManifestError(f"{where}: file {file!r} appears twice (each document has its own file in data/raw/)")
        if not year_text.isdigit() and (family in FAMILIES or year_text):
            raise ManifestError(f"{where}: expected a year such as 2024, found {year_text!r}")
        seen.add(doc_id)
        files.add(file)
        documents.append(
            Document(
                doc_id=doc_id,
                family=family,
                year=int(year_text) if year_text else None,
                file=file,
                url=url,
                sha256=sha256,
                origin=origin,
                link_text=(row.get("link_text") or "").strip(),
                found_on=(row.get("found_on") or "").strip(),
            )
        )
    return documents


def read_manifest_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_manifest(path: Path | None = None) -> list[Document]:
    """The manifest at `path`, else `$NCMEC_MANIFEST`, else the one shipped with the package."""
    path = path or (Path(os.environ["NCMEC_MANIFEST"]) if os.environ.get("NCMEC_MANIFEST") else None)
    if path is not None:
        if not Path(path).is_file():
            raise ManifestError(f"manifest {path}: expected a CSV file, found nothing there")
        return parse_manifest(read_manifest_rows(Path(path)), where_name=str(path))
    text = resources.files("pipeline.data").joinpath("manifest.csv").read_text(encoding="utf-8")
    return parse_manifest(list(csv.DictReader(text.splitlines())))


def load_overlay(path: Path, manifest: list[Document]) -> list[Document]:
    """The discovered documents (`data/state/discovered.csv`) the manifest does not already hold.

    An overlay entry may only point at a host the manifest names, and never reuse a manifest
    document's id, URL or file: the manifest is the reviewed list and always wins."""
    if not Path(path).is_file():
        return []
    hosts = allowed_hosts(manifest)
    taken_ids = {d.doc_id for d in manifest}
    taken_urls = {d.url for d in manifest}
    taken_files = {d.file for d in manifest}
    documents = []
    for doc in parse_manifest(read_manifest_rows(Path(path)), origin="discovered", where_name=str(path)):
        if doc.host not in hosts:
            raise ManifestError(f"{path}, {doc.doc_id}: host {doc.host!r} is not one the manifest names "
                                f"({', '.join(sorted(hosts))}); remove the line")
        if doc.doc_id in taken_ids or doc.url in taken_urls or doc.file in taken_files:
            continue  # the manifest gained it since discovery found it
        documents.append(doc)
    return documents


def load_documents(manifest_path: Path | None, overlay_path: Path) -> list[Document]:
    """The manifest, then the discovered documents of the overlay: what every command works on."""
    manifest = load_manifest(manifest_path)
    return manifest + load_overlay(overlay_path, manifest)


def manifest_rows(documents: list[Document]) -> list[dict[str, str]]:
    """Documents as manifest CSV rows (the overlay's format), optional columns included."""
    return [{"doc_id": d.doc_id, "family": d.family, "year": "" if d.year is None else str(d.year), "file": d.file,
             "url": d.url, "sha256": d.sha256 or "", "link_text": d.link_text, "found_on": d.found_on}
            for d in documents]


def allowed_hosts(documents: list[Document]) -> frozenset[str]:
    """Hosts the fetcher may contact (and follow redirects to): those named in the manifest.
    (Overlay documents add none: `load_overlay` refuses any on another host.)"""
    return frozenset(doc.host for doc in documents)

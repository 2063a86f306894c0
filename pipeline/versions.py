"""Document versions: every (doc_id, sha256) the pipeline ever published, like pudl-archiver's
record of each file version with its checksum.

NCMEC replaces PDFs at the same URL without notice. `document_versions.parquet` keeps one row
per version published, with the publishing runs that first and last published it, its size,
pages and the URL's HTTP validators (ETag, Last-Modified) as fetched. A run that publishes new
bytes for a document whose last published version came from the same URL says so as a warning
(and in the document's message); `diff --versions DOC_ID` then lists the figures that changed.

Runs are numbered by publication (`first_run`, `last_run`): 1 is the first run that wrote the
outputs of this data directory, and each `run` that publishes new inputs (a new or changed
file, a changed rule) takes the next number. A no-change run writes nothing; a run rebuilding
the same inputs (an output file went missing) and `store` alone republish under the last number,
so their files are byte-identical. The number, not a timestamp, keeps the outputs deterministic;
each run manifest (`data/runs/*.json`) records its `publish_number` beside its time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq

TABLE = "document_versions"


def read_versions(processed: Path) -> list[dict]:
    """The versions published so far (none before the first run)."""
    from pipeline.workspace import table_file

    path = table_file(processed, TABLE)
    return pq.read_table(path).to_pylist() if path.is_file() else []


def next_publish_number(previous: Sequence[dict]) -> int:
    """The number of the run about to publish: one more than the last one recorded."""
    return max((v["last_run"] for v in previous), default=0) + 1


def latest_version(versions: Sequence[dict], doc_id: str) -> dict | None:
    mine = [v for v in versions if v["doc_id"] == doc_id]
    return max(mine, key=lambda v: (v["last_run"], v["first_run"])) if mine else None


def version_records(previous: Sequence[dict], documents: Sequence[dict], validators: Mapping[str, tuple],
                    run: int) -> tuple[list[dict], dict[str, str]]:
    """Every version row after run `run` publishes `documents` (documents.parquet rows; those
    with status ok are published), and a warning per document whose bytes changed at the URL
    its last published version came from. `validators` maps doc_id to (etag, last_modified)."""
    rows = {(v["doc_id"], v["sha256"]): dict(v) for v in previous}
    changed: dict[str, str] = {}
    for doc in documents:
        if doc["status"] != "ok" or not doc.get("sha256"):
            continue
        etag, last_modified = validators.get(doc["doc_id"], (None, None))
        last = latest_version(previous, doc["doc_id"])
        if last is not None and last["sha256"] != doc["sha256"] and last["url"] == doc["url"]:
            changed[doc["doc_id"]] = (
                f"the file at {doc['url']} changed since publishing run {last['last_run']} (sha256 "
                f"{last['sha256'][:12]}… → {doc['sha256'][:12]}…, {last['bytes']:,} → {doc['bytes']:,} bytes): "
                f"the new version is published; `ncmec-pipeline diff --versions {doc['doc_id']}` lists the "
                "figures that changed")
        key = (doc["doc_id"], doc["sha256"])
        row = rows.get(key) or {"doc_id": doc["doc_id"], "sha256": doc["sha256"], "first_run": run}
        row.update(family=doc["family"], year=doc["year"], url=doc["url"], source_file=doc["source_file"],
                   last_run=run, bytes=doc["bytes"], pages=doc["pages"] if doc["pages"] is not None else row.get("pages"),
                   etag=etag if etag is not None else row.get("etag"),
                   last_modified=last_modified if last_modified is not None else row.get("last_modified"))
        rows[key] = row
    return list(rows.values()), changed


def two_latest(versions: Sequence[dict], doc_id: str) -> tuple[dict, dict]:
    """The version published before the latest one, and the latest; ValueError when there are
    fewer than two."""
    mine = sorted((v for v in versions if v["doc_id"] == doc_id), key=lambda v: (v["last_run"], v["first_run"]))
    if len(mine) < 2:
        raise ValueError(f"document_versions.parquet: expected two published versions of {doc_id}, found "
                         f"{len(mine)}" + ("" if mine else " (is the id right? `ncmec-pipeline datasets "
                                                           "document_versions` describes the table)"))
    return mine[-2], mine[-1]


def version_document(version: dict):
    """The Document a document_versions row describes (what its cached extraction is keyed by)."""
    from pipeline.manifest import Document

    return Document(version["doc_id"], version["family"], version["year"], version["source_file"], version["url"], None)


def version_figures(cache_file: Path, version: dict) -> list[dict]:
    """The rows one version published, rebuilt from its cached extraction (the cache is keyed by
    the file's sha256, so an earlier version's figures outlive its bytes in data/raw/)."""
    from pipeline.families import FAMILIES

    if not Path(cache_file).is_file():
        raise ValueError(f"{cache_file}: expected the cached extraction of {version['doc_id']} version "
                         f"{version['sha256'][:12]}…, found none (the cache was cleared?)")
    extraction = json.loads(Path(cache_file).read_text(encoding="utf-8"))
    family = FAMILIES[version["family"]]
    return family.normalize(version_document(version), extraction).tables[family.table]

"""The last good copy of each document: the copy whose rows were last published.

When a new copy of a document fails (it no longer reconciles, the reader refuses it, the fetch
failed), the document keeps publishing the rows of its last good copy, and says so. Three things
are kept, all derived state (`pipeline.state`: rebuilt, never trusted blindly):

  state/last_good.json        doc_id -> sha256 of the last good copy
  raw/last_good/<file>        that copy's PDF, while a newer file that has not published yet
                              sits in raw/ (`keep_raw`, `release_raw`)
  state/last_good/<doc_id>/   the rows it published (one Parquet file per table of its family)
                              and its checks, as published, with `copy.json` naming the copy
                              (sha256) and the code that published them (`keep_rows`)

A failed copy takes the kept rows as they were published instead of normalizing the last good
extraction again; where they are missing or were published by other code (a change to a
normalizer must reach them), they are normalized again from the extraction cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.state import move_aside, read_json_state
from pipeline.workspace import Workspace, keep_copy, table_file, write_json_atomic

log = logging.getLogger("pipeline")

COPY = "copy.json"
CHECKS = "checks"


def load(workspace: Workspace) -> dict[str, str]:
    """doc_id -> sha256 of the copy whose rows were last published (rebuilt when corrupt)."""
    path = workspace.last_good_state
    last_good = read_json_state(path) or {}
    if not all(isinstance(v, str) for v in last_good.values()):
        move_aside(path, "expected doc_id -> sha256 strings")
        return {}
    return last_good


def keep_raw(workspace: Workspace, doc, last_good: dict[str, str]) -> None:
    """Just before a fetch replaces raw/<file> (its `before_replace`): when it is the last good copy, keep it (a hard
    link) in raw/last_good/ until a newer file is published (`release_raw`), so a file that
    passes the fetch checks and then fails never leaves the last good rows without their PDF."""
    from pipeline.fetch import sha256_of

    raw, kept = workspace.raw / doc.file, workspace.last_good_raw / doc.file
    sha = last_good.get(doc.doc_id)
    if not sha or not raw.is_file() or (kept.is_file() and sha256_of(kept) == sha) or sha256_of(raw) != sha:
        return
    keep_copy(raw, kept)


def release_raw(workspace: Workspace, documents, last_good: dict[str, str]) -> None:
    """Drop the kept copies of documents whose file in raw/ is now the one published."""
    from pipeline.fetch import sha256_of

    for doc in documents:
        kept, raw = workspace.last_good_raw / doc.file, workspace.raw / doc.file
        if kept.is_file() and raw.is_file() and last_good.get(doc.doc_id) == sha256_of(raw):
            kept.unlink()


def _folder(workspace: Workspace, doc) -> Path:
    return workspace.last_good_rows / doc.doc_id


def keep_rows(workspace: Workspace, doc, sha256: str, code: str, tables: dict[str, list[dict]], checks: list[dict]) -> None:
    """Keep the rows (by table) and the checks (checks.parquet records) a copy published.
    `copy.json` is written last: a folder without it, or naming another copy, is not read."""
    from pipeline.store import to_table, write_atomic as write_parquet

    folder = _folder(workspace, doc)
    if (read_json_state(folder / COPY) or {}) == {"sha256": sha256, "code": code}:
        return  # kept by an earlier run: the same copy, published by the same code
    (folder / COPY).unlink(missing_ok=True)
    for name, rows in {**tables, CHECKS: checks}.items():
        write_parquet(to_table(name, rows), table_file(folder, name))
    write_json_atomic(folder / COPY, {"sha256": sha256, "code": code})


def kept_rows(workspace: Workspace, doc, sha256: str, code: str, tables: tuple[str, ...]) -> dict[str, list[dict]] | None:
    """The rows kept for this copy and code, by table; None when there are none to trust."""
    import pyarrow.parquet as pq

    folder = _folder(workspace, doc)
    if (read_json_state(folder / COPY) or {}) != {"sha256": sha256, "code": code}:
        return None
    try:
        return {name: pq.read_table(table_file(folder, name)).to_pylist() for name in tables}
    except Exception as err:  # a kept file torn or removed: normalized again, kept again next time
        log.warning("state: the kept rows of %s in %s could not be read (%s: %s); normalized again from the cache",
                    doc.doc_id, folder, type(err).__name__, err, extra={"stage": "state", "status": "corrupt"})
        (folder / COPY).unlink(missing_ok=True)
        return None


"""The data directory: where each thing lives, the lock on it, and how a file in it is written.

One module owns the layout (like warn-scraper's `Cache`), so no other module builds a path under
the data directory:

    raw/                 the PDFs as fetched (raw/last_good/: a last good copy a newer file replaced)
    cache/extract/       one JSON per extraction (see pipeline.extract.cache)
    cache/pages/         each PDF's page texts, by sha256 (written by the extraction)
    state/               derived state: fetch.json, last_good.json (+ last_good/: the rows each last
                         good copy published), outputs.json, discovered.csv
    quarantine/          refused downloads and unreadable PDFs, with their reason
    processed/           the published Parquet set (pipeline.store)
    runs/                one manifest per run, and the output sets of the last runs
    explain/             the pages `explain` draws

Every file the pipeline writes goes through `write_atomic` (or `stage` + `install` when a check
must run on the temporary file before it replaces the old one): written under a temporary name in
the same folder, fsynced, given `public_mode()` and renamed, the folder fsynced. A reader, or the
next run after a crash, sees the old file or the new one, never a part.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

log = logging.getLogger("pipeline")

# Suffix of a temporary a write has not renamed yet; a download in progress is a `.part`.
TEMPORARY = ".tmp"
DOWNLOAD = ".part"


class LockHeld(Exception):
    """Another run holds the lock on the data directory."""


@dataclass(frozen=True)
class Workspace:
    """The folders and files of one data directory (`--data-dir`)."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def default(cls, data_dir: str | os.PathLike | None = None) -> Workspace:
        """`data_dir`, else $NCMEC_DATA_DIR, else ./data: what the command line uses."""
        return cls(Path(data_dir or os.environ.get("NCMEC_DATA_DIR") or "data"))

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def last_good_raw(self) -> Path:
        """Last good copies a newer file replaced in raw/, kept until that one is published."""
        return self.raw / "last_good"

    @property
    def processed(self) -> Path:
        """The published output set: one Parquet file per table."""
        return self.root / "processed"

    def table(self, name: str) -> Path:
        """The published file of output table `name`."""
        return table_file(self.processed, name)

    @property
    def cache(self) -> Path:
        """The extraction cache (one JSON per document, family, edition, sha256 and extractor version)."""
        return self.root / "cache" / "extract"

    @property
    def page_texts(self) -> Path:
        """Each PDF's page texts, by sha256: what identifies the edition and what mentions are searched in."""
        return self.root / "cache" / "pages"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def fetch_state(self) -> Path:
        """What the last fetch of each document found (validators for a conditional GET)."""
        return self.state / "fetch.json"

    @property
    def last_good_state(self) -> Path:
        """doc_id -> sha256 of the copy whose rows were last published."""
        return self.state / "last_good.json"

    @property
    def last_good_rows(self) -> Path:
        """The rows and checks each document's last good copy published, one folder per document."""
        return self.state / "last_good"

    @property
    def outputs_state(self) -> Path:
        """The record of the published set: the inputs' fingerprint, files, documents and checks."""
        return self.state / "outputs.json"

    @property
    def discovered(self) -> Path:
        """The overlay `discover` writes: documents found on NCMEC's pages (manifest columns)."""
        return self.state / "discovered.csv"

    @property
    def runs(self) -> Path:
        """One manifest per run (<run id>.json) and the output sets of the last runs (<run id>/)."""
        return self.root / "runs"

    def run_manifest(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.json"

    def output_set(self, run_id: str) -> Path:
        """The output set a run kept beside its manifest (`diff --runs`)."""
        return self.runs / run_id

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def explain(self) -> Path:
        """Where `explain` draws pages unless told otherwise."""
        return self.root / "explain"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def temporaries(self) -> list[tuple[Path, str]]:
        """(folder, glob) of the temporaries a killed or failed run may leave (processed/ has its
        own rule: `store.recover` completes or sweeps a commit)."""
        return [(self.raw, f".*{DOWNLOAD}"), (self.last_good_rows, f"*/.*{TEMPORARY}"),
                *((folder, f".*{TEMPORARY}") for folder in (
                    self.last_good_raw, self.state, self.runs, self.cache, self.page_texts))]

    @contextmanager
    def lock(self):
        """A kernel lock (flock) so two runs never interleave on one data directory."""
        from pipeline.sandbox import inherited_locks

        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockHeld(f"another run holds the lock on {self.lock_file}") from None
            inherited_locks.add(fd)  # a forked child closes it first (see pipeline/sandbox.py)
            yield
        finally:
            inherited_locks.discard(fd)
            os.close(fd)

    def sweep_temporaries(self) -> list[Path]:
        """Remove what an earlier run left half-written (call under the lock, so no run is
        writing them)."""
        swept = []
        for directory, pattern in self.temporaries():
            for leftover in directory.glob(pattern) if directory.is_dir() else []:
                leftover.unlink(missing_ok=True)
                swept.append(leftover)
        if swept:
            log.info("swept %d temporary file(s) left by an earlier run", len(swept))
        return swept


def table_file(folder: Path, name: str) -> Path:
    """Output table `name` in a folder of outputs (processed/, or a run's kept set): `<name>.parquet`."""
    return Path(folder) / f"{name}.parquet"


# --- writing a file ------------------------------------------------------------------------------

def public_mode() -> int:
    """The one mode of every file the pipeline writes: 0o666 less the process umask, the mode
    `open()` gives a new file (mkstemp makes a temporary private, so analysts on other accounts
    could not read what was published)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def stage(directory: Path, name: str, write: Callable[[BinaryIO], None], suffix: str = TEMPORARY, *,
          durable: bool = True) -> Path:
    """Write a file under a temporary name in `directory` (`.<name>.<random><suffix>`), fsynced
    (unless not `durable`, see `write_atomic`) and with `public_mode()`, and return that name; the
    caller checks it and `install`s it, or renames it as part of a set (`store.write_tables`).
    Nothing is left behind on an error."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp_name, public_mode())
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Path(tmp_name)


def install(tmp: Path, target: Path, *, durable: bool = True) -> None:
    """Rename a staged file over `target` and fsync the folder (unless not `durable`); the
    temporary is removed on an error."""
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(Path(target).parent)


def write_atomic(path: Path, write: Callable[[BinaryIO], None], *, durable: bool = True) -> Path:
    """Write `path` with `write(handle)` so that readers see the old file or the new one.

    Not `durable`: no fsync of the file or its folder, for a cache (the extraction cache, page
    texts): after a power loss it may be missing, empty or torn, which its reader takes for
    absent (`state.read_json_state`), never for another content, since its name says what it
    holds; a cold run writes 20 of them, 40 fsyncs."""
    path = Path(path)
    install(stage(path.parent, path.name, write, durable=durable), path, durable=durable)
    return path


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> Path:
    return write_atomic(path, lambda handle: handle.write(text.encode("utf-8")), durable=durable)


def write_json_atomic(path: Path, payload, *, durable: bool = True, **dumps) -> Path:
    """JSON (indented, keys sorted unless `dumps` says otherwise), written atomically."""
    text = json.dumps(payload, **({"indent": 2, "sort_keys": True, "default": str} | dumps))
    return write_text_atomic(path, text, durable=durable)


def keep_copy(source: Path, target: Path, *, sync_folder: bool = True) -> Path:
    """`target` becomes the same file as `source`: a hard link (no space, and a later rename over
    `source` leaves it its bytes), or a copy where the file system cannot link; atomically.
    Without `sync_folder` the caller fsyncs the folder once for several (`fsync_dir`)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}{TEMPORARY}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        install(stage(target.parent, target.name, lambda handle: _copy_into(source, handle)), target,
                durable=sync_folder)
        return target
    install(tmp, target, durable=sync_folder)
    return target


def _copy_into(source: Path, handle: BinaryIO) -> None:
    import shutil

    with open(source, "rb") as src:
        shutil.copyfileobj(src, handle)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

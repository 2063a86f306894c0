"""The output sets of the last runs, kept so tonight can be compared with last night.

Each run that writes outputs keeps them in `data/runs/<run id>/` beside its manifest
`data/runs/<run id>.json`: hard links to the files it wrote (a later run replaces
`processed/*.parquet` by rename, so the linked files keep their bytes and cost no space until
then), or copies where the file system cannot link. The newest `KEPT_OUTPUT_SETS` are kept.
`diff --runs last` compares the two newest, `diff --runs RUN_ID [RUN_ID]` named ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

KEPT_OUTPUT_SETS = 5


class NoSuchRun(LookupError):
    pass


def keep_output_set(runs_dir: Path, run_id: str, written: list[str], keep: int = KEPT_OUTPUT_SETS) -> Path:
    """Link (or copy) the files a run wrote into runs_dir/run_id/; drop sets beyond the newest `keep`."""
    from pipeline.workspace import fsync_dir, keep_copy

    target = Path(runs_dir) / run_id
    target.mkdir(parents=True, exist_ok=True)
    for name in written:
        keep_copy(Path(name), target / Path(name).name, sync_folder=False)
    fsync_dir(target)  # once for the set's links
    for old in output_sets(runs_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def output_sets(runs_dir: Path) -> list[Path]:
    """The kept output sets, oldest first (run ids start with their UTC time, so they sort)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    return sorted(p for p in runs_dir.iterdir() if p.is_dir() and any(p.glob("*.parquet")))


def resolve_runs(data_dir: Path, old: str, new: str | None) -> tuple[Path, Path]:
    """The two folders `diff --runs` compares. `last`: the previous run's outputs against the
    newest run's; a run id: that run's kept outputs; anything else: a folder path. With one
    reference (not `last`), it is compared with the current outputs in data_dir/processed."""
    from pipeline.workspace import Workspace

    runs_dir = Workspace(data_dir).runs
    sets = output_sets(runs_dir)
    if old == "last" and new is None:
        if len(sets) < 2:
            raise NoSuchRun(f"{runs_dir}: `--runs last` needs the outputs of two runs, found {len(sets)} kept"
                            f" (each run that writes outputs keeps them; the newest {KEPT_OUTPUT_SETS} are kept)")
        return sets[-2], sets[-1]

    def one(ref: str) -> Path:
        if (runs_dir / ref).is_dir():
            return runs_dir / ref
        if Path(ref).exists() or "/" in ref or ref in (".", ".."):
            return Path(ref)
        kept = ", ".join(p.name for p in sets) or "none"
        raise NoSuchRun(f"{ref!r} is neither a folder nor a kept run id in {runs_dir} (kept: {kept})")
    return one(old), one(new) if new is not None else Workspace(data_dir).processed

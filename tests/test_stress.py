"""Kill `run` (the parent only, never its process group) at 20 seeded random moments, 10 of a
`run --jobs 1` and 10 of a default run. After each kill: the lock is free within 10 s (no child
outlives its parent holding it), the next run exits 0 or 3, and the outputs are one consistent
set, byte-identical to those of a run that was never killed. `make stress` (CI runs it too)."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_faults import lock_is_free, wait_until

pytestmark = pytest.mark.stress

SEED = 20261201
KILLS_PER_MODE = 10
OLD_FILES = ("2022-reports-by-esp.pdf", "2022-reports-by-country.pdf")
# The night's files: both list families of two years and an OJJDP edition (a run of ~7 s here),
# so 20 kills and the runs after them stay within a few minutes.
NEW_FILES = (*OLD_FILES, "2023-reports-by-esp.pdf", "2023-reports-by-country.pdf",
             "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf")


def run(data: Path, mirror: Path, *options: str, kill_after: float | None = None) -> tuple[int | None, float]:
    command = [sys.executable, "-m", "pipeline.cli", "run", "-q", "--data-dir", str(data), "--mirror", str(mirror),
               *options]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return process.wait(timeout=600), time.monotonic() - started
    try:
        return process.wait(timeout=kill_after), time.monotonic() - started   # finished before the moment
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)          # the parent only: its children must follow by themselves
        process.wait(timeout=60)
        return None, time.monotonic() - started


def outputs(data: Path) -> dict[str, bytes]:
    from pipeline.store import current_set_id

    current_set_id(data / "processed")    # raises unless the folder holds one whole set
    return {p.name: p.read_bytes() for p in sorted((data / "processed").iterdir()) if p.suffix == ".parquet"}


@pytest.mark.parametrize("options", [("--jobs", "1"), ()], ids=["jobs-1", "default-jobs"])
def test_sigkill_of_run_at_seeded_random_moments(corpus_dir, tmp_path, options):
    old_mirror, mirror = tmp_path / "old-mirror", tmp_path / "mirror"
    for folder, names in ((old_mirror, OLD_FILES), (mirror, NEW_FILES)):
        folder.mkdir()
        for name in names:
            shutil.copyfile(corpus_dir / name, folder / name)
    template = tmp_path / "template"
    assert run(template, old_mirror, *options)[0] in (0, 3)          # the set a night starts from
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    code, duration = run(reference, mirror, *options)
    assert code in (0, 3)
    expected = outputs(reference)

    rng = random.Random(f"{SEED}-{'-'.join(options)}")
    for trial in range(KILLS_PER_MODE):
        data = tmp_path / f"trial-{trial}"
        shutil.copytree(template, data)
        moment = rng.uniform(0.1, duration)
        code, _ = run(data, mirror, *options, kill_after=moment)
        killed_at = time.monotonic()
        assert wait_until(lambda: lock_is_free(data / ".lock"), 10), \
            f"trial {trial}: killed at {moment:.2f}s, the lock is still held 10 s later"
        assert time.monotonic() - killed_at < 10
        code, _ = run(data, mirror, *options)
        assert code in (0, 3), f"trial {trial}: killed at {moment:.2f}s, the next run exited {code}"
        assert outputs(data) == expected, f"trial {trial}: killed at {moment:.2f}s, outputs differ from a clean run"
        shutil.rmtree(data)

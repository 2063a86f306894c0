"""Fault injection: every fault is injected deterministically (a failing call via monkeypatch,
a setrlimit, a corrupt file, a local server on 127.0.0.1), never by a timer that may miss."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def lock_is_free(path: Path) -> bool:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def wait_until(condition, seconds: float) -> bool:
    """Poll `condition` for at most `seconds` (a bound on the test, not the fault's trigger)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


PARENT_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from pipeline.run import DataPaths, run_lock, run_with_time_limit

    def result_after_the_parent_dies(_, path, source_file):
        parent = os.getppid()
        print(os.getpid(), flush=True)          # the child is running: the test may kill the parent
        while os.getppid() == parent:
            time.sleep(0.01)
        return {"blob": "x" * (1 << 22)}         # more than a pipe buffer: a blocking write

    from pathlib import Path
    with run_lock(DataPaths(Path(sys.argv[1]))):
        run_with_time_limit(result_after_the_parent_dies, [(0, "x", "big.pdf")], jobs=1, time_limit=600)
""")


def test_sigkilled_parent_leaves_no_child_holding_the_lock(tmp_path):
    """kill -9 of `run` (not its group) left the extractor alive, blocked writing its result to
    a pipe nobody read and still holding data/.lock: every later run exited 4, forever."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "data")], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    assert not lock_is_free(tmp_path / "data" / ".lock")
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    try:
        assert wait_until(lambda: lock_is_free(tmp_path / "data" / ".lock"), 10), \
            "the lock is still held 10 s after the parent was killed"
        assert wait_until(lambda: not _alive(child_pid), 10), "the child outlived its parent"
    finally:
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] not in "ZX"
    except FileNotFoundError:
        return False


def allocate_a_lot(megabytes, path, source_file):
    blob = bytearray(megabytes * 1024 * 1024)  # what a Flate bomb does to the parser
    return {"size": len(blob)}


def test_extraction_that_needs_more_memory_than_the_limit_fails_its_document():
    """A 1 MB Flate bomb drove the extractor to 2.1 GB RSS: nothing capped the child's memory."""
    from pipeline.run import run_with_time_limit

    [result] = run_with_time_limit(allocate_a_lot, [(4096, "x", "bomb.pdf")], jobs=1, time_limit=60, memory_mb=512)
    assert result.get("error", "").startswith("bomb.pdf: the extraction needed more than the 512 MB memory limit"), result
    [fine] = run_with_time_limit(allocate_a_lot, [(64, "x", "small.pdf")], jobs=1, time_limit=60, memory_mb=512)
    assert fine["size"] == 64 * 1024 * 1024

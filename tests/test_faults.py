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
    assert "(--memory-limit)" in result["error"]
    [fine] = run_with_time_limit(allocate_a_lot, [(64, "x", "small.pdf")], jobs=1, time_limit=60, memory_mb=512)
    assert fine["size"] == 64 * 1024 * 1024


# --- the wrong edition in a document's slot -----------------------------------------------------

def _manifest(*doc_ids):
    from pipeline.manifest import load_manifest

    return [d for d in load_manifest() if d.doc_id in doc_ids]


def _mirror(tmp_path: Path, corpus_dir: Path, files: dict[str, str]) -> Path:
    """A mirror holding, under each manifest name (key), the bytes of a corpus file (value)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir(exist_ok=True)
    for name, source in files.items():
        (mirror / name).write_bytes((corpus_dir / source).read_bytes())
    return mirror


def test_a_by_country_pdf_of_2020_in_the_2021_slot_is_not_published_as_2021(corpus_dir, tmp_path):
    """The 2020 PDF saved as 2021-reports-by-country.pdf published 2020's figures labelled 2021
    (India 2,725,518 instead of 4,699,515), with only a note that the sha256 differed."""
    import pyarrow.parquet as pq

    from pipeline.run import DataPaths, run_pipeline

    mirror = _mirror(tmp_path, corpus_dir, {"2021-reports-by-country.pdf": "2020-reports-by-country.pdf",
                                            "2022-reports-by-country.pdf": "2022-reports-by-country.pdf"})
    paths = DataPaths(tmp_path / "data")
    report = run_pipeline(_manifest("country-2021", "country-2022"), paths, mirror=mirror)
    doc = {d["doc_id"]: d for d in report.documents}["country-2021"]
    assert doc["status"] == "failed" and doc["rows"] == 0
    assert "the manifest says reports_by_country 2021" in doc["message"]
    assert "prints reports_by_country 2020 (page 1: '2020 CyberTipline Reports by Country')" in doc["message"]
    rows = pq.read_table(paths.processed / "country_reports.parquet").to_pylist()
    assert {r["year"] for r in rows} == {2022}
    assert report.exit_code == 3
    check = [c for c in report.checks if c.check == "edition_identity" and c.source_file == "2022-reports-by-country.pdf"]
    assert check and check[0].passed


def test_an_ojjdp_2022_edition_in_the_2023_slot_fails_cold_and_warm(corpus_dir, tmp_path):
    """The 2022 edition served as the 2023 one was published as edition 2023 (cold) or, with a
    warm cache, as edition 2022 twice."""
    import pyarrow.parquet as pq

    from pipeline.run import DataPaths, run_pipeline

    name_2022 = "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf"
    mirror = _mirror(tmp_path, corpus_dir, {name_2022: name_2022, "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf": name_2022})
    paths = DataPaths(tmp_path / "data")
    for attempt in ("cold", "warm"):
        report = run_pipeline(_manifest("ojjdp-2022", "ojjdp-2023"), paths, mirror=mirror)
        status = {d["doc_id"]: d for d in report.documents}
        assert status["ojjdp-2022"]["status"] == "ok", attempt
        assert status["ojjdp-2023"]["status"] == "failed", attempt
        message = status["ojjdp-2023"]["message"]
        assert "the manifest says ojjdp_transparency 2023" in message, (attempt, message)
        assert "ojjdp_transparency 2022 (page 1: 'CY 2022 Report to the Committees on Appropriations')" in message
        assert "its tables cover 1998-2022" in message
        editions = {r["edition"] for r in pq.read_table(paths.processed / "ojjdp_cells.parquet").to_pylist()}
        assert editions == {2022}, attempt


def test_the_extraction_cache_is_keyed_by_the_document_not_only_the_bytes(corpus_dir, tmp_path):
    """The cache was keyed by sha256 alone: the same bytes gave one document's cells to another."""
    from pipeline.fetch import FetchResult
    from pipeline.manifest import Document
    from pipeline.run import DataPaths, extract_all

    paths = DataPaths(tmp_path)
    esp_2022 = _manifest("esp-2022")[0]
    same_bytes = Document("esp-2023", "reports_by_esp", 2023, esp_2022.file, esp_2022.url, None)
    fetched = FetchResult(esp_2022.doc_id, "ok", str(corpus_dir / esp_2022.file), "d31430fb" * 8)
    first = extract_all([esp_2022], {"esp-2022": fetched}, paths)
    second = extract_all([same_bytes], {"esp-2023": FetchResult("esp-2023", **{
        k: getattr(fetched, k) for k in ("status", "path", "sha256")})}, paths)
    assert first["esp-2022"].get("fresh") and second["esp-2023"].get("fresh")
    assert extract_all([esp_2022], {"esp-2022": fetched}, paths)["esp-2022"].get("fresh") is None

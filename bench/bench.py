"""Benchmark (not a test): bare pdfplumber parsing vs a cold and a warm pipeline run.

    make bench            # or: .venv/bin/python bench/bench.py --mirror ../shared/ncmec

Prints, in one run over the same corpus:
- bare: pdfplumber opening every PDF and extracting the words of every page, one process —
  the floor the extractors build on;
- cold: `ncmec-pipeline run` into an empty data directory (fetch from the mirror, extract
  every document in parallel, validate, store);
- warm: the same command again with nothing changed (extractions come from the cache);
- serial: the cold run again with --jobs 1, into another directory;
and the ratios cold/bare and warm seconds, and whether the parallel and serial outputs are
byte-identical. Goals: cold <= 1.3 x bare, warm <= 1.5 s, parallel == serial.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pdfplumber


def bare_parse_seconds(pdfs: list[Path]) -> tuple[float, int]:
    logging.getLogger("pdfminer").setLevel(logging.WARNING)
    started = time.perf_counter()
    pages = 0
    for pdf_path in pdfs:
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.close()
                pages += 1
    return time.perf_counter() - started, pages


def pipeline_seconds(data_dir: Path, mirror: Path, jobs: int) -> tuple[float, int]:
    command = [sys.executable, "-m", "pipeline.cli", "run", "-q", "--data-dir", str(data_dir),
               "--mirror", str(mirror), "--jobs", str(jobs)]
    started = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - started, code


def outputs(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((data_dir / "processed").glob("*.parquet"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("NCMEC_MIRROR", "../shared/ncmec")))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    pdfs = sorted(args.mirror.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {args.mirror}", file=sys.stderr)
        return 2
    bare, pages = bare_parse_seconds(pdfs)
    with tempfile.TemporaryDirectory() as tmp:
        parallel_dir, serial_dir = Path(tmp) / "parallel", Path(tmp) / "serial"
        cold, cold_code = pipeline_seconds(parallel_dir, args.mirror, args.jobs)
        warm, warm_code = pipeline_seconds(parallel_dir, args.mirror, args.jobs)
        serial, _ = pipeline_seconds(serial_dir, args.mirror, 1)
        identical = outputs(parallel_dir) == outputs(serial_dir)
    print(f"corpus: {len(pdfs)} PDFs, {pages} pages; jobs={args.jobs}")
    print(f"bare pdfplumber parse : {bare:6.2f} s")
    print(f"cold pipeline run     : {cold:6.2f} s  (exit {cold_code})  cold/bare = {cold / bare:.2f}  goal <= 1.30")
    print(f"warm no-change run    : {warm:6.2f} s  (exit {warm_code})  goal <= 1.50 s")
    print(f"serial cold run       : {serial:6.2f} s  (--jobs 1)  serial/bare = {serial / bare:.2f}")
    print(f"parallel output == serial output: {identical}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

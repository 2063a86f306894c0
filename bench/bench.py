"""Benchmark (not a test): how fast the pipeline reads the corpus, beside its peers.

    make bench            # or: .venv/bin/python bench/bench.py --mirror ../shared/ncmec

Prints, from one run over the same corpus (run it on a quiet machine: two cores shared with a
test suite halve every figure):
- bare pdfplumber: opening every PDF and extracting the words of every page, one process (what
  a reader built on pdfplumber's pages starts from);
- pypdfium2: every character box of every page (PDFium, a C++ engine: the floor for a parse);
- pdftotext -layout (poppler), where poppler-utils is installed;
- cold run: `ncmec-pipeline run` into an empty data directory (fetch from the mirror, extract in
  parallel with the default --jobs, validate, store), then cold again with --jobs 1;
- warm run: the first command again with nothing changed;
- the cost per page of each family's reader (in this process, one document after another);
- peak memory: the largest resident set of any process of a run (`getrusage` of its children);
- whether the parallel, serial and (with --reference) earlier outputs are byte-identical.
Goals: cold <= 0.45 x bare pdfplumber, serial <= 0.7 x, warm <= 0.3 s, peak <= 200 MB.
Each timing is the median of --repeat rounds (default 5), taken in turn, so that a burst of
other work on the machine moves every figure of a round, not one of them; each ratio is the
median of the rounds' own ratios (a run against the bare pdfplumber of its round).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
GOALS = {"cold": 0.45, "serial": 0.70, "warm_seconds": 0.3, "peak_mb": 200}

# Runs one command and prints the peak resident set (kB, Linux) of it and its descendants.
_MEASURED = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
             " stderr=subprocess.DEVNULL).returncode; print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def bare_pdfplumber_seconds(pdfs: list[Path]) -> tuple[float, int]:
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.WARNING)
    started, pages = time.perf_counter(), 0
    for pdf_path in pdfs:
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.close()
                pages += 1
    return time.perf_counter() - started, pages


def pypdfium2_seconds(pdfs: list[Path]) -> float:
    import pypdfium2

    started = time.perf_counter()
    for pdf_path in pdfs:
        pdf = pypdfium2.PdfDocument(pdf_path)
        for page in pdf:
            text = page.get_textpage()
            for i in range(text.count_chars()):
                text.get_charbox(i)
            text.close()
            page.close()
        pdf.close()
    return time.perf_counter() - started


def pdftotext_seconds(pdfs: list[Path]) -> float | None:
    if shutil.which("pdftotext") is None:
        return None
    started = time.perf_counter()
    for pdf_path in pdfs:
        subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def pipeline_run(data_dir: Path, mirror: Path, jobs: int | None) -> tuple[float, int, float]:
    """Seconds, exit code and peak resident megabytes of one `run`."""
    command = [sys.executable, "-m", "pipeline.cli", "run", "-q", "--data-dir", str(data_dir), "--mirror", str(mirror)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURED, *command], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    return time.perf_counter() - started, int(out[0]), int(out[1]) / 1024


def per_page_seconds(mirror: Path) -> dict[str, tuple[float, int]]:
    """Seconds per page and pages read, by family, extracting each document as a worker does."""
    sys.path.insert(0, str(REPO))
    from pipeline.run import extract_document

    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    with open(mirror / "SOURCES.csv", newline="") as handle:
        for source in csv.DictReader(handle):
            started = time.perf_counter()
            extract_document(source["family"], str(mirror / source["file"]), source["file"], int(source["year"]))
            spent[source["family"]][0] += time.perf_counter() - started
            spent[source["family"]][1] += int(source["pages"])
    return {family: (seconds / pages, pages) for family, (seconds, pages) in spent.items()}


def outputs(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((data_dir / "processed").glob("*.parquet"))}


def verdict(value: float, goal: float) -> str:
    return f"goal <= {goal:g}: {'met' if value <= goal else 'NOT met'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("NCMEC_MIRROR", "../shared/ncmec")))
    parser.add_argument("--reference", type=Path, help="a data directory whose processed/ outputs the runs must equal")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; each figure is their median")
    args = parser.parse_args()
    pdfs = sorted(args.mirror.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {args.mirror}", file=sys.stderr)
        return 2
    rounds: dict[str, list[float]] = defaultdict(list)
    codes: dict[str, int] = {}
    peak = 0.0
    same = reference = True
    for _ in range(args.repeat):
        bare, pages = bare_pdfplumber_seconds(pdfs)
        rounds["bare"].append(bare)
        rounds["pdfium"].append(pypdfium2_seconds(pdfs))
        poppler = pdftotext_seconds(pdfs)
        if poppler is not None:
            rounds["poppler"].append(poppler)
        with tempfile.TemporaryDirectory() as tmp:
            parallel_dir, serial_dir = Path(tmp) / "parallel", Path(tmp) / "serial"
            for name, data_dir, jobs in (("cold", parallel_dir, None), ("warm", parallel_dir, None),
                                         ("serial", serial_dir, 1)):
                seconds, codes[name], megabytes = pipeline_run(data_dir, args.mirror, jobs)
                rounds[name].append(seconds)
                peak = max(peak, megabytes)
            same = same and outputs(parallel_dir) == outputs(serial_dir)
            if args.reference:
                reference = reference and outputs(parallel_dir) == outputs(args.reference)
    bare, pdfium, cold, warm, serial = (median(rounds[k]) for k in ("bare", "pdfium", "cold", "warm", "serial"))
    # A ratio is the median of each round's own ratio: a round measures bare pdfplumber and the
    # runs within seconds of each other, so a slower minute of the machine slows both.
    ratio = {k: median(run / base for run, base in zip(rounds[k], rounds["bare"]))
             for k in ("pdfium", "poppler", "cold", "serial") if rounds[k]}
    poppler = median(rounds["poppler"]) if rounds["poppler"] else None
    cold_code, warm_code, serial_code = codes["cold"], codes["warm"], codes["serial"]
    families = per_page_seconds(args.mirror)
    print(f"corpus: {len(pdfs)} PDFs, {pages} pages; {os.cpu_count()} cores; median of {args.repeat} rounds")
    print(f"{'':34s}{'seconds':>8s}  {'x bare':>7s}")
    print(f"{'bare pdfplumber extract_words':34s}{bare:8.2f}  {1:7.2f}")
    print(f"{'pypdfium2 character boxes':34s}{pdfium:8.2f}  {ratio['pdfium']:7.2f}")
    if poppler is not None:
        print(f"{'pdftotext -layout':34s}{poppler:8.2f}  {ratio['poppler']:7.2f}")
    print(f"{'cold run (default --jobs)':34s}{cold:8.2f}  {ratio['cold']:7.2f}  exit {cold_code};"
          f" {verdict(ratio['cold'], GOALS['cold'])}")
    print(f"{'cold run --jobs 1':34s}{serial:8.2f}  {ratio['serial']:7.2f}  exit {serial_code};"
          f" {verdict(ratio['serial'], GOALS['serial'])}")
    print(f"{'warm no-change run':34s}{warm:8.2f}  {warm / bare:7.2f}  exit {warm_code};"
          f" {verdict(warm, GOALS['warm_seconds'])} s")
    print(f"peak memory of any process of any run: {peak:.0f} MB; {verdict(peak, GOALS['peak_mb'])} MB")
    for family, (seconds, count) in sorted(families.items()):
        print(f"reader cost per page, {family:20s}: {seconds * 1000:6.1f} ms ({count} pages)")
    print(f"outputs of the parallel and the serial run byte-identical: {same}")
    if args.reference:
        print(f"outputs byte-identical to {args.reference}: {reference}")
    return 0 if same and reference else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark (not a test): pdfplumber's word and text functions against `pipeline.words` on the
same characters, every page of the corpus.

    .venv/bin/python bench/words.py --mirror ../shared/ncmec

Each page is parsed once; then both sides compute what the readers ask for (the lists' words
over the deduplicated characters, OJJDP's sized words, the page text), and each side's time is
the best of --repeat rounds (default 5), taken in turn. Prints seconds for all pages and the
ratio; the outputs are checked equal on the way.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    import sys

    sys.path.insert(0, str(REPO))
    from pdfplumber.utils import chars_to_textmap
    from pdfplumber.utils import extract_words as pdfplumbers_words

    from pipeline import words
    from pipeline.layout import WORD_GAP
    from pipeline.pages import open_pages

    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=Path, default=REPO.parent / "shared" / "ncmec")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    pages = []
    for pdf in sorted(args.mirror.glob("*.pdf")):
        for page in open_pages(pdf):
            pages.append((page.chars, page.deduped_chars(tolerance=1), page.bbox, page.width, page.height))
    lists = dict(keep_blank_chars=False, use_text_flow=False, return_chars=True, x_tolerance_ratio=WORD_GAP)
    ojjdp = dict(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])

    def pdfplumbers() -> list:
        return [(pdfplumbers_words(deduped, **lists), pdfplumbers_words(chars, **ojjdp),
                 chars_to_textmap(chars, layout_bbox=bbox, layout_width=width, layout_height=height).as_string)
                for chars, deduped, bbox, width, height in pages]

    def ours() -> list:
        return [(words.extract_words(deduped, **lists), words.extract_words(chars, **ojjdp), words.page_text(chars))
                for chars, deduped, *_ in pages]

    assert pdfplumbers() == ours()
    best = {"pdfplumber": float("inf"), "pipeline.words": float("inf")}
    for _ in range(args.repeat):
        for name, run in (("pdfplumber", pdfplumbers), ("pipeline.words", ours)):
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    print(f"{len(pages)} pages, {sum(len(p[0]) for p in pages)} characters; CPU seconds, best of {args.repeat}:")
    for name, seconds in best.items():
        print(f"  {name:15} {seconds:.3f}")
    print(f"  pipeline.words takes {best['pipeline.words'] / best['pdfplumber']:.2f} of pdfplumber's time")


if __name__ == "__main__":
    main()

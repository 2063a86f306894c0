"""pipeline.words gives pdfplumber's words and page text exactly: same dicts, keys in the same
order, floats bit for bit (compared by `float.hex`, so -0.0 is not 0.0 and NaN is NaN), the
same word order, the same strings.

Both sides run at test time on the same characters: every page of the corpus, the synthetic
producers' PDFs, and seeded random pages built to sit on pdfplumber's boundaries (a gap exactly
the tolerance, tops exactly the tolerance apart, overlapping and backward characters, blank and
empty texts, ligatures, turned text, sizes changing inside a line, -0.0 beside 0.0, NaN).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.layout import WORD_GAP
from pipeline.pages import deduplicated, open_pages
from pipeline.words import clusters, extract_words, page_text
from tests.producers import ListPage, ListTable, write_reportlab_pdf
from tests.test_pages import PRODUCERS

# The readers' option sets: the lists' (over the deduplicated characters) and OJJDP's.
LIST_OPTIONS = dict(keep_blank_chars=False, use_text_flow=False, return_chars=True, x_tolerance_ratio=WORD_GAP)
OJJDP_OPTIONS = dict(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])


def exact(value):
    """`value` with every float as its bit pattern and every dict as its (key, value) pairs in
    order; a word's characters by identity (both sides are given the same character dicts)."""
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, dict):
        return [(key, [id(c) for c in item] if key == "chars" else exact(item)) for key, item in value.items()]
    if isinstance(value, (list, tuple)):
        return [exact(item) for item in value]
    return (type(value).__name__, value)


def pdfplumbers_text(chars: list[dict], bbox=(0, 0, 612, 792)) -> str:
    from pdfplumber.utils import chars_to_textmap

    return chars_to_textmap(chars, layout_bbox=bbox, layout_width=bbox[2] - bbox[0],
                            layout_height=bbox[3] - bbox[1]).as_string


def differences(chars: list[dict], option_sets: list[dict], bbox=(0, 0, 612, 792)) -> list[str]:
    """Every option set (and the page text) under which our result is not pdfplumber's."""
    from pdfplumber.utils import extract_words as pdfplumbers

    found = [f"words {options}" for options in option_sets
             if exact(extract_words(chars, **options)) != exact(pdfplumbers(chars, **options))]
    if page_text(chars) != pdfplumbers_text(chars, bbox):
        found.append("text")
    return found


def page_differences(pdf: Path) -> list[str]:
    """How the words and text of `pdf`'s pages, as the readers ask for them through
    `PageContent`, differ from pdfplumber's on the same characters."""
    from pdfplumber.utils import extract_words as pdfplumbers

    found = []
    for page in open_pages(pdf):
        where = f"{pdf.name} p.{page.number}"
        deduped = page.deduped_chars(tolerance=1)
        if exact(page.words(deduped, **LIST_OPTIONS)) != exact(pdfplumbers(deduped, **LIST_OPTIONS)):
            found.append(f"{where}: the lists' words")
        if exact(page.words(**OJJDP_OPTIONS)) != exact(pdfplumbers(page.chars, **OJJDP_OPTIONS)):
            found.append(f"{where}: OJJDP's words")
        if page.text != pdfplumbers_text(page.chars, page.bbox):
            found.append(f"{where}: text")
    return found


def test_every_corpus_page_has_pdfplumbers_words_and_text(corpus_dir):
    pdfs = sorted(corpus_dir.glob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        assert page_differences(pdf) == [], pdf.name


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_the_producers_pages_have_pdfplumbers_words_and_text(producer, tmp_path):
    assert page_differences(PRODUCERS[producer](tmp_path / f"{producer.replace(' ', '_')}.pdf")) == []


def test_reportlab_lists_set_glyph_by_glyph_have_pdfplumbers_words_and_text(tmp_path):
    """Lists typeset one glyph at a time with no spaces, letter-spaced, in a subset TrueType
    font: every word is found by the gap rule alone."""
    rows = [["Bosnia and\nHerzegovina", "1,200", "300"], ["Côte d'Ivoire", "-", "2"], ["Total", "1,200", "302"]]
    for i, style in enumerate([dict(glyphs="single"), dict(glyphs="single", letter_spacing=1.5, font="Vera"),
                               dict(glyphs="runs", letter_spacing=0.8, size=7)]):
        pdf = write_reportlab_pdf(tmp_path / f"list{i}.pdf",
                                  [ListPage([ListTable(["Country", "Referrals", "Informational"], rows, **style)])])
        assert page_differences(pdf) == [], style


@pytest.mark.slow
def test_the_chromium_printed_lists_have_pdfplumbers_words_and_text(chromium_lists):
    for pdf in chromium_lists.values():
        assert page_differences(pdf) == [], pdf.name


# --- seeded random pages on pdfplumber's boundaries -----------------------------------------------

TEXTS = ["a", "b", "1", ",", " ", " ", "\t", "\xa0", "", "ﬁ", "ﬂ", "ﬃ", "aﬁ", "(cid:3)", "é"]
SIZES = [6.0, 9.0, 10.0, 12.5]


def random_page(rng: random.Random) -> list[dict]:
    """Characters walked along lines of upright and turned text, each placed from the one
    before: touching, overlapping, backwards, exactly a tolerance (fixed, or its ratio of the
    size) past the previous end, just past it; on the same top, exactly a tolerance above or
    below it, or on a new line; now and then -0.0, 0.0, a repeated value, NaN."""
    chars = []
    upright, size = True, 10.0
    along, across = rng.choice([-20.0, 0.0, 50.0]), 100.0
    for _ in range(rng.randint(0, 70)):
        if rng.random() < 0.1:
            upright = not upright
        if rng.random() < 0.2:
            size = rng.choice(SIZES)
        extent = rng.choice([size * 0.5, size * 0.25, 0.0])
        step = rng.choice([0.0, 0.0, 3.0, WORD_GAP * size, 3.0 + 1e-9, WORD_GAP * size + 1e-12, -1.0, -extent - 2.0,
                           0.5, 7.0])
        start = along + step
        across += rng.choice([0.0, 0.0, 0.0, 3.0, -3.0, WORD_GAP * size, 3.0 + 1e-9, 0.7, 20.0, -40.0])
        end = start + extent
        values = [start, end, across, across + size]
        for k in range(4):
            if rng.random() < 0.04:
                values[k] = rng.choice([-0.0, 0.0])
        if rng.random() < 0.02:
            values[rng.randrange(4)] = float("nan")
        low, high, side, far_side = values
        if upright:
            x0, x1, top, bottom = low, high, side, far_side
        else:
            x0, x1, top, bottom = side, far_side, low, high
        chars.append({"text": rng.choice(TEXTS), "fontname": "F", "size": size, "x0": x0, "x1": x1,
                      "top": top, "bottom": bottom, "doctop": top + 792.0, "upright": upright,
                      "width": x1 - x0, "height": bottom - top, "object_type": "char"})
        along = high if rng.random() < 0.8 else along
    if rng.random() < 0.3:
        rng.shuffle(chars)
    return chars


FUZZ_OPTIONS = [
    {}, LIST_OPTIONS, OJJDP_OPTIONS,
    dict(extra_attrs=["size"], return_chars=True, x_tolerance_ratio=WORD_GAP),
    dict(keep_blank_chars=True, y_tolerance_ratio=0.3, x_tolerance=1.5),
    dict(x_tolerance=0, y_tolerance=0, extra_attrs=["size", "fontname"]),
]


def test_random_pages_on_the_boundaries_have_pdfplumbers_words_and_text():
    rng = random.Random(20261202)
    for n in range(600):
        chars = random_page(rng)
        assert differences(chars, FUZZ_OPTIONS) == [], n
        assert differences(deduplicated(chars, 1), [LIST_OPTIONS]) == [], n


def test_the_random_pages_reach_the_boundaries():
    """Guard for the test above: its pages really hold characters exactly a tolerance apart,
    along and across, empty and blank texts, ligatures, turned text and -0.0."""
    rng = random.Random(20261202)
    seen = set()
    for _ in range(600):
        chars = random_page(rng)
        for a, b in zip(chars, chars[1:]):
            if a["upright"] and b["upright"]:
                if b["x0"] == a["x1"] + 3:
                    seen.add("gap = 3")
                if b["x0"] == a["x1"] + WORD_GAP * a["size"]:
                    seen.add("gap = ratio")
                if abs(b["top"] - a["top"]) == 3:
                    seen.add("tops 3 apart")
            elif not a["upright"] and not b["upright"] and b["top"] == a["bottom"] + 3:
                seen.add("turned gap = 3")
        seen.update({"empty" for c in chars if c["text"] == ""} | {"ligature" for c in chars if c["text"] == "ﬁ"}
                    | {"blank" for c in chars if c["text"].isspace()}
                    | {f"-0.0 {key}" for c in chars for key in ("x0", "x1", "top", "bottom") if str(c[key]) == "-0.0"})
    assert seen == {"gap = 3", "gap = ratio", "tops 3 apart", "turned gap = 3", "empty", "ligature", "blank",
                    "-0.0 x0", "-0.0 x1", "-0.0 top", "-0.0 bottom"}


def test_an_empty_text_is_a_word_of_its_own_and_adds_nothing_to_the_text():
    """pdfplumber tests `text in split_at_punctuation`, "" when not splitting: True for an
    empty text, so such a character is a word by itself, splitting the word around it. In the
    text it adds nothing at the start of a line, and its space after that."""
    chars = [{"text": t, "size": 10.0, "x0": x, "x1": x + 5, "top": 100.0, "bottom": 110.0, "doctop": 100.0,
              "upright": True} for t, x in (("", -5.0), ("a", 0.0), ("", 5.0), ("b", 10.0), ("c", 20.0))]
    assert [w["text"] for w in extract_words(chars)] == ["", "a", "", "b", "c"]
    assert page_text(chars) == "a  b c" == pdfplumbers_text(chars)


def test_words_of_one_line_cluster_apart_in_the_order_make_lines_of_their_own():
    """pdfplumber's text groups consecutive words only: a line interrupted by a turned word
    comes out as two lines."""
    def char(text, x0, top, upright=True):
        return {"text": text, "size": 10.0, "x0": x0, "x1": x0 + 5, "top": top, "bottom": top + 10,
                "doctop": top, "upright": upright}

    chars = [char("a", 0.0, 100.0), char("b", 50.0, 100.0), char("v", 300.0, 300.0, upright=False),
             char("c", 80.0, 100.0)]
    assert page_text(chars) == "a b\nv\nc" == pdfplumbers_text(chars)


def test_options_it_does_not_implement_are_pdfplumbers():
    from pdfplumber.utils import extract_words as pdfplumbers

    chars = random_page(random.Random(7))
    for options in (dict(use_text_flow=True), dict(split_at_punctuation=True), dict(line_dir="btt")):
        assert exact(extract_words(chars, **options)) == exact(pdfplumbers(chars, **options))


def test_clusters_are_pdfplumbers_cluster_objects():
    from operator import itemgetter

    from pdfplumber.utils.clustering import cluster_objects

    rng = random.Random(3)
    for _ in range(300):
        values = [0.0, -0.0, 1.0, 2.0, 3.0, 4.5, 4.5 + 1e-9, 10.0]
        items = [{"v": rng.choice(values)} for _ in range(rng.randint(0, 12))]
        for tolerance in (0, 1, 1.5, 3):
            assert [[id(i) for i in c] for c in clusters(items, "v", tolerance)] == \
                   [[id(i) for i in c] for c in cluster_objects(items, itemgetter("v"), tolerance)]


def test_reading_a_document_imports_neither_pdfplumber_nor_pdfminer(tmp_path):
    """The words and the text are computed here, and the glyphs placed with pdfminer's two
    matrix functions copied into pipeline.pages: a worker reading a document needs none of
    pdfplumber or pdfminer (importing them took some 0.05 s in every run)."""
    pdf = PRODUCERS["by hand"](tmp_path / "raw.pdf")
    script = f"""
import sys
from pipeline.families import FAMILIES
from pipeline.pages import import_parser, open_pages
import_parser()
for family in FAMILIES.values():
    family.import_reader()
    try:
        family.read({str(pdf)!r}, "raw.pdf", 2023)
    except Exception:
        pass
for page in open_pages({str(pdf)!r}):
    page.words(page.deduped_chars(1), x_tolerance_ratio=0.2, return_chars=True)
    page.words(extra_attrs=["size"])
    page.text
print(sorted(m for m in sys.modules if m.split(".")[0] in ("pdfplumber", "pdfminer")))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.stdout.strip() == "[]"

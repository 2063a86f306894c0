"""pipeline.pages gives pdfplumber's characters, shapes, words and text, float for float.

The readers' tolerances were measured on pdfplumber's (pdfminer's) coordinates, so the faster
parser must reproduce them exactly, not nearly: every page of the corpus and of PDFs made by four
producers (fpdf2, reportlab, a PDF written by hand, Chromium where installed) is compared key by
key, with `==` on floats. The producers' PDFs exercise what moves glyphs: character spacing (Tc,
which pdfminer and PLAYA apply differently), word spacing, horizontal scaling, rise, TJ kerning,
text in a form XObject, a rotated page, curves, and base-14 fonts without a font descriptor.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.pages import CHAR_KEYS, SHAPE_KEYS, open_pages, page_texts
from tests import rawpdf

WORD_OPTIONS = dict(keep_blank_chars=False, use_text_flow=False, x_tolerance_ratio=0.2, extra_attrs=["size"])


def differences(pdf_path) -> list[str]:
    """Every way the pages of `pdf_path` differ from pdfplumber's, as readable lines."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.WARNING)
    found = []
    with pdfplumber.open(pdf_path) as pdf:
        mine_count = 0
        for theirs, mine in zip(pdf.pages, open_pages(pdf_path)):  # read while the document is open
            mine_count += 1
            where = f"{pdf_path.name} p.{mine.number}"
            if (theirs.width, theirs.height, tuple(theirs.bbox)) != (mine.width, mine.height, mine.bbox):
                found.append(f"{where}: page box {mine.bbox}, pdfplumber {theirs.bbox}")
            for kind, keys in (("chars", CHAR_KEYS), ("rects", SHAPE_KEYS), ("lines", SHAPE_KEYS),
                               ("curves", SHAPE_KEYS + ("path",))):
                a, b = getattr(theirs, kind), getattr(mine, kind)
                if len(a) != len(b):
                    found.append(f"{where}: {len(b)} {kind}, pdfplumber {len(a)}")
                    continue
                for i, (x, y) in enumerate(zip(a, b)):
                    wrong = [k for k in keys if x.get(k) != y.get(k)]
                    if wrong:
                        found.append(f"{where}: {kind}[{i}] {wrong[0]} {y.get(wrong[0])!r}, pdfplumber {x.get(wrong[0])!r}")
                        break
            if theirs.extract_text() != mine.text:
                found.append(f"{where}: text differs")
            if theirs.extract_words(**WORD_OPTIONS) != mine.words(**WORD_OPTIONS):
                found.append(f"{where}: words differ")
            if _places(theirs.dedupe_chars(tolerance=1).chars) != _places(mine.deduped_chars(tolerance=1)):
                found.append(f"{where}: deduplicated characters differ")
            theirs.close()
        if mine_count != len(pdf.pages):
            found.append(f"{pdf_path.name}: {mine_count} pages, pdfplumber {len(pdf.pages)}")
    return found


def _places(chars: list[dict]) -> list[tuple]:
    return [(c["text"], c["x0"], c["top"]) for c in chars]


# --- the producers ---------------------------------------------------------------------------------

def fpdf2_pdf(path):
    """A list with character spacing, a superscript, a curve and a filled rectangle, then the same
    page turned by /Rotate 90."""
    from fpdf import FPDF

    from tests.synthetic import _rotate_pages

    pdf = FPDF(unit="pt", format=(612, 792))
    for _ in range(2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.set_char_spacing(0.6)
        pdf.text(72, 100, "Electronic Service Provider   Reports")
        pdf.set_char_spacing(0)
        pdf.text(72, 120, "Example, Inc. 12,345")
        pdf.set_font("Helvetica", size=6)
        pdf.text(160, 116, "1")
        pdf.set_draw_color(0)
        pdf.set_line_width(0.5)
        pdf.line(72, 125, 400, 125)
        pdf.rect(72, 130, 328, 0.6, style="F")
        pdf.polygon([(72, 140), (200, 140), (200, 160), (72, 160)])
        pdf.bezier([(72, 180), (100, 170), (130, 190), (160, 180)])
    pdf.output(str(path))
    _rotate_pages(path, [(0, False), (90, True)])  # page 2: turned onto its side, drawn as a form XObject
    return path


def reportlab_pdf(path):
    """Text state set one operator at a time: Tc, Tw, Tz, Ts and TJ kerning, base-14 and TrueType
    fonts, text inside a form XObject, and text turned by the CTM."""
    from reportlab.pdfgen import canvas

    from tests.producers import _register_vera

    _register_vera()
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    text = c.beginText(72, 700)
    text.setFont("Helvetica", 11)
    text.textLine("Country Reports 1,234")
    text.setCharSpace(0.8)
    text.textLine("Spaced out 2,345")
    text.setWordSpace(3)
    text.textLine("Words spaced wider 3,456")
    text.setHorizScale(85)
    text.textLine("Condensed 4,567")
    text.setCharSpace(0)
    text.setWordSpace(0)
    text.setHorizScale(100)
    text.textOut("Raised ")
    text.setRise(4)
    text.textOut("12")
    text.setRise(0)
    text.textLine(" back")
    text.setFont("Vera", 9)
    text.textLine("TrueType 5,678")
    c.drawText(text)
    c.beginForm("box")
    c.setFont("Helvetica-Bold", 9)
    c.drawString(10, 10, "In a form 6,789")
    c.rect(5, 5, 120, 18)
    c.endForm()
    c.saveState()
    c.translate(72, 450)
    c.doForm("box")
    c.restoreState()
    c.saveState()
    c.translate(300, 300)
    c.rotate(90)
    c.setFont("Helvetica", 10)
    c.drawString(0, 0, "Turned text 7,890")
    c.restoreState()
    c.showPage()
    c.save()
    return path


def raw_pdf(path):
    """Several content streams, text out of order, one Td per word, no space characters, the
    ' and " operators (a new line with spacing set), and TJ kerning followed by a Tj on the same
    line under character spacing."""
    streams = rawpdf.list_page_streams(["Country", "Reports"], [["France", "1,234"], ["Spain", "567"]])
    streams.append("BT /F1 9 Tf 0.4 Tc 72 200 Td 12 TL (first) Tj (second) ' 2 0.3 (third) \" ET")
    streams.append("BT /F1 10 Tf 0.25 Tc 72 160 Td [(Ker) 120 (ned) -300 (TJ)] TJ (after) Tj 14 TL T* (next) Tj ET")
    return rawpdf.write_raw_pdf(path, [streams])


PRODUCERS = {"fpdf2": fpdf2_pdf, "reportlab": reportlab_pdf, "by hand": raw_pdf}


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_pages_match_pdfplumber_float_for_float(producer, tmp_path):
    pdf = PRODUCERS[producer](tmp_path / f"{producer.replace(' ', '_')}.pdf")
    assert differences(pdf) == []


def test_the_producers_pdfs_exercise_character_spacing_and_rotation(tmp_path):
    """Guard for the test above: its PDFs really hold what moves glyphs apart between parsers (a
    string after one set in Tc, a sideways page, a curve, a form XObject's text)."""
    fpdf = [(page.width, page.height, len(page.chars), len(page.curves)) for page in open_pages(fpdf2_pdf(tmp_path / "f.pdf"))]
    assert len(fpdf) == 2 and all(chars > 40 and curves > 0 for _, _, chars, curves in fpdf)
    reportlab_pages = open_pages(reportlab_pdf(tmp_path / "r.pdf"))  # held: the document stays open
    reportlab = next(reportlab_pages)
    assert "In a form 6,789" in reportlab.text
    assert any(not c["upright"] for c in reportlab.chars)  # the turned text
    raw_pages = open_pages(raw_pdf(tmp_path / "raw.pdf"))
    raw = next(raw_pages)
    assert "third" in raw.text
    assert "KernedTJafter" in raw.text.replace(" ", "")


@pytest.mark.slow
def test_the_chromium_printed_lists_match_pdfplumber(chromium_lists):
    for pdf in chromium_lists.values():
        assert differences(pdf) == [], pdf.name


def test_every_page_of_the_corpus_matches_pdfplumber(corpus_dir):
    for pdf in sorted(corpus_dir.glob("*.pdf")):
        assert differences(pdf) == [], pdf.name


def test_page_texts_are_pdfplumbers_extract_text(tmp_path):
    import pdfplumber

    pdf = raw_pdf(tmp_path / "raw.pdf")
    with pdfplumber.open(pdf) as doc:
        expected = [page.extract_text() for page in doc.pages]
    assert page_texts(pdf) == expected


def test_a_page_is_read_only_while_its_document_is_open(tmp_path):
    """Pages parse lazily: a page kept past the iterator's end cannot be read (PLAYA has closed the
    file), which is why the readers take everything they need inside their loop."""
    pages = list(open_pages(raw_pdf(tmp_path / "raw.pdf")))
    with pytest.raises(RuntimeError):
        pages[0].chars


def test_deduped_chars_are_pdfplumbers_dedupe_chars(tmp_path):
    """Faked bold (each glyph drawn twice, 0.4 pt apart) and an exact double: the kept characters
    and their order are pdfplumber's."""
    from fpdf import FPDF
    from pdfplumber.utils import dedupe_chars

    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for dx in (0, 0.4, 0):
        pdf.text(72 + dx, 100, "Google 5,566")
    pdf.text(72, 130, "Apple 12")
    pdf.output(str(tmp_path / "bold.pdf"))
    for page in open_pages(tmp_path / "bold.pdf"):
        kept = page.deduped_chars(tolerance=1)
        assert kept == dedupe_chars(page.chars, tolerance=1)
        assert "".join(c["text"] for c in kept) == "Google 5,566Apple 12"


def test_a_forked_worker_imports_nothing_the_parent_has_not_imported(tmp_path):
    """A run imports the parser and each family's reader in the parent before forking its
    workers (each worker used to import them again: 0.5 s per document). In a fresh process,
    after `import_parser` and `import_reader`, reading a document imports no new module."""
    import subprocess
    import sys

    pdf = raw_pdf(tmp_path / "raw.pdf")
    script = f"""
import sys
from pipeline.families import FAMILIES
from pipeline.pages import import_parser
import_parser()
for family in FAMILIES.values():
    family.import_reader()
before = set(sys.modules)
for family in FAMILIES.values():
    try:
        family.read({str(pdf)!r}, "raw.pdf", 2023)
    except Exception:
        pass  # a list is no OJJDP report: refused, after everything was imported
print(sorted(m for m in set(sys.modules) - before if not m.startswith("encodings")))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.stdout.strip() == "[]"


def test_deduplicated_is_pdfplumbers_dedupe_chars_on_crowded_random_pages():
    """Glyphs piled within a point or two of each other, in chains (a within 1 pt of b, b of c,
    a and c not): the characters kept, and their order, are pdfplumber's, on 300 seeded pages."""
    import random

    from pdfplumber.utils import dedupe_chars

    from pipeline.pages import deduplicated

    rng = random.Random(20261201)
    for _ in range(300):
        chars = []
        for _ in range(rng.randint(1, 60)):
            top = rng.choice([100.0, 100.5, 101.2, 130.0]) + rng.choice([0.0, 0.3, 0.9])
            chars.append({"text": rng.choice("ab0"), "upright": rng.random() < 0.9, "fontname": "F",
                          "size": rng.choice([9.0, 10.0]), "doctop": top, "top": top,
                          "x0": rng.choice([50.0, 50.6, 51.4, 52.3, 80.0]) + rng.choice([0.0, 0.2])})
        expected = [id(c) for c in dedupe_chars(chars, tolerance=1)]
        assert [id(c) for c in deduplicated(chars, tolerance=1)] == expected


def test_the_copied_matrix_functions_are_pdfminers_bit_for_bit():
    """`pages._mult_matrix` and `_apply_matrix_rect` are pdfminer.six's, operation for operation
    (seeded random matrices: turned, mirrored, skewed, signed zeros, tiny and huge values)."""
    import random

    from pdfminer.utils import apply_matrix_rect, mult_matrix

    from pipeline.pages import _apply_matrix_rect, _mult_matrix

    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, 0.1, 72.0, -3.5]

    def number() -> float:
        return rng.choice(values) if rng.random() < 0.3 else rng.uniform(-1000, 1000)

    for _ in range(5000):
        m1, m0 = tuple(number() for _ in range(6)), tuple(number() for _ in range(6))
        rect = tuple(number() for _ in range(4))
        assert [v.hex() for v in _mult_matrix(m1, m0)] == [v.hex() for v in mult_matrix(m1, m0)]
        assert [v.hex() for v in _apply_matrix_rect(m1, rect)] == [v.hex() for v in apply_matrix_rect(m1, rect)]

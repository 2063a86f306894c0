"""PDF pages as plain data: the one place that parses a PDF's content streams.

Every reader (lists, OJJDP tables, page texts for the field search and the statements) takes
its characters and drawn shapes from here, as the dicts pdfplumber would give (same keys, same
coordinates: x from the left, top/bottom from the page top), and its words and text through
pdfplumber's own algorithms (`pipeline.words`: its `extract_words` and `chars_to_textmap`
without their generic per-character machinery), so a word is split and a line ordered exactly
as pdfplumber does.

Why not pdfplumber's pages themselves: parsing is almost all of a run's time, and pdfplumber
spends it twice over, in pdfminer's interpreter and then turning every character into a dict
of some 20 resolved attributes. PLAYA (playa-pdf), a parser derived from pdfminer, interprets
the content streams in about a third of pdfminer's time; from its text and path objects this
module places every glyph with pdfminer's own arithmetic (`GlyphChain`) and takes pdfminer's
rectangles, lines and curves from `playa.miner`, building only the keys the readers use. The
result is pdfplumber's characters and shapes, the same floats: `tests/test_pages.py` holds the
two to that on every page of the corpus and of the synthetic producers. pdfplumber stays for
what it does best: drawing a page (`explain`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from pipeline.words import clusters, extract_words, page_text

# The keys of a character and of a shape that the readers and pdfplumber's word and text
# functions read (and that tests/test_pages.py compares with pdfplumber's).
CHAR_KEYS = ("text", "fontname", "size", "x0", "x1", "top", "bottom", "doctop", "upright", "width", "height")
SHAPE_KEYS = ("x0", "x1", "top", "bottom", "doctop", "width", "height", "stroke", "fill")


@dataclass
class PageContent:
    """One page's characters and drawn shapes as pdfplumber-style dicts.

    `chars`, `rects`, `lines` and `curves` are parsed together the first time one is asked for,
    and only while `open_pages` still holds the document open; `text` is what pdfplumber's
    `Page.extract_text()` gives, `words(...)` its `extract_words(...)`."""

    number: int
    width: float
    height: float
    bbox: tuple[float, float, float, float]  # pdfplumber's: the MediaBox, y from the top
    _parse: Callable[[], dict[str, list[dict]]] = field(repr=False)
    _operators: Callable[[], int] = field(repr=False)

    @cached_property
    def _objects(self) -> dict[str, list[dict]]:
        return self._parse()

    @property
    def chars(self) -> list[dict]:
        return self._objects["char"]

    @property
    def rects(self) -> list[dict]:
        return self._objects["rect"]

    @property
    def lines(self) -> list[dict]:
        return self._objects["line"]

    @property
    def curves(self) -> list[dict]:
        return self._objects["curve"]

    def words(self, chars: list[dict] | None = None, **options) -> list[dict]:
        """pdfplumber's `extract_words(**options)` over this page's characters (or `chars`), as
        `pipeline.words` computes it."""
        return extract_words(self.chars if chars is None else chars, **options)

    def deduped_chars(self, tolerance: float = 1) -> list[dict]:
        """The characters without the copies of a glyph drawn twice at (almost) the same place:
        pdfplumber's `dedupe_chars` (same text, upright, font and size; positions within
        `tolerance`), the same characters in the same order (`deduplicated`)."""
        return deduplicated(self.chars, tolerance)

    @cached_property
    def text(self) -> str:
        """The page's text as pdfplumber's `Page.extract_text()` prints it (`pipeline.words`)."""
        return page_text(self.chars)

    def drawn_operator_count(self) -> int:
        """How many rectangles and line segments the page's content streams draw ('re' and 'l'
        operators), read without interpreting the page: text that happens to look like an
        operator only over-counts, and a page drawing XObjects counts as unbounded."""
        return self._operators()

    def detached(self) -> PageContent:
        """This page fully parsed, readable after its document is closed (the test suite parses
        each real PDF once and hands the same pages to every reader)."""
        objects, operators = self._objects, self._operators()
        return PageContent(self.number, self.width, self.height, self.bbox, lambda: objects, lambda: operators)


def deduplicated(chars: list[dict], tolerance: float = 1) -> list[dict]:
    """pdfplumber's `dedupe_chars(chars, tolerance)`, in time linear in the page.

    pdfplumber groups the characters by (upright, text, font, size), clusters each group by
    doctop and each of those clusters by x0 (a cluster: sorted values each within `tolerance` of
    the one before), keeps the first of each x0 cluster by (doctop, x0), and puts the kept back
    in page order with `chars.index`, a scan of the page per character. Here the groups are
    gathered in page order, and only a cluster of two or more drops characters: all but its
    first by (doctop, x0), which is also its first in page order among equal positions (a
    stable sort of characters in page order). The kept then stay where they are in the page;
    an exact copy is dropped after the one kept, so `chars.index` finds the kept one's place."""
    from operator import itemgetter

    position = itemgetter("doctop", "x0")
    groups: dict[tuple, list[dict]] = {}
    for char in chars:
        groups.setdefault((char["upright"], char["text"], char["fontname"], char["size"]), []).append(char)
    dropped: set[int] = set()
    for same_glyph in groups.values():
        if len(same_glyph) < 2:
            continue
        for line in clusters(same_glyph, "doctop", tolerance):
            xs = sorted(char["x0"] for char in line)
            if all(b > a + tolerance for a, b in zip(xs, xs[1:])):
                continue  # every x0 cluster a single character (most lines): cheaper than clustering them
            for same_place in clusters(line, "x0", tolerance):
                if len(same_place) > 1:
                    first = min(same_place, key=position)  # min: the first of equal positions
                    dropped.update(id(char) for char in same_place if char is not first)
    return [char for char in chars if id(char) not in dropped] if dropped else list(chars)


def import_parser() -> None:
    """Import the parser now. A run extracts each document in a forked child: imported once in
    the parent, it is inherited by every child instead of being imported again by each (0.15 to
    0.3 s a document on this 2-core machine). The words and the text (`pipeline.words`) need
    no pdfplumber, and the glyphs' arithmetic no pdfminer (`_mult_matrix`)."""
    import playa  # noqa: F401
    import playa.miner  # noqa: F401


def open_pages(pdf_path: Path | str) -> Iterator[PageContent]:
    """The pages of a PDF, page 1 first; the document stays open while the iterator runs.

    A PDF that cannot be opened raises what the parser raises (callers turn it into their
    'could not read the PDF' message)."""
    import playa

    logging.getLogger("playa").setLevel(logging.ERROR)
    with playa.open(pdf_path, space="page") as doc:
        doctop = 0.0
        decoded: dict = {}  # the document's strings as its fonts decode them (`GlyphChain`)
        for page in doc.pages:
            content = _page_content(page, doctop, decoded)
            yield content
            doctop += content.height


def page_texts(pdf_path: Path | str) -> list[str]:
    """Every page's text (pdfplumber's `extract_text()`), page 1 first."""
    return [page.text for page in open_pages(pdf_path)]


def _page_content(page, doctop: float, decoded: dict) -> PageContent:
    """A page's box as pdfplumber computes it (its MediaBox, turned by /Rotate) and its parse,
    deferred until a reader needs it."""
    from playa.pdftypes import resolve_all

    rotation = int(resolve_all(page.attrs.get("Rotate", 0)) or 0) % 360
    x0, x1 = sorted((page.mediabox[0], page.mediabox[2]))
    y0, y1 = sorted((page.mediabox[1], page.mediabox[3]))
    if rotation in (90, 270):
        x0, y0, x1, y1 = y0, x0, y1, x1
    height = y1 - y0
    box = (x0, height - y1, x1, height - y0)

    def parse() -> dict[str, list[dict]]:
        return _objects(page, box, height, doctop, decoded)

    return PageContent(page.page_idx + 1, x1 - x0, height, box, parse, lambda: _operator_count(page))


# --- from PLAYA's objects to pdfplumber's dicts ------------------------------------------------

def _objects(page, box: tuple[float, float, float, float], height: float, doctop: float,
             decoded: dict) -> dict[str, list[dict]]:
    from playa.page import PathObject, TextObject, XObjectObject
    from playa.miner import LTLine, LTRect, process_object

    mb_x0, mb_top = box[0], box[1]
    objects: dict[str, list[dict]] = {"char": [], "rect": [], "line": [], "curve": []}

    chars = objects["char"]

    def chars_from(glyphs) -> None:
        """Glyphs as pdfplumber's char dicts (its `process_object`, the keys the readers use)."""
        for text, fontname, upright, x0, y0, x1, y1 in glyphs:
            top = (height - y1) + mb_top
            size = y1 - y0
            width = x1 - x0
            if mb_x0 != 0:
                x0, x1 = x0 + mb_x0, x1 + mb_x0
            chars.append({"text": text, "fontname": _fontname(fontname), "size": size, "x0": x0, "x1": x1,
                          "top": top, "bottom": (height - y0) + mb_top, "doctop": doctop + top, "upright": upright,
                          "width": width, "height": size, "object_type": "char"})

    def walk(items) -> None:
        chain = GlyphChain(decoded)  # one per content stream interpreted: a form XObject starts its own
        for item in items:
            if isinstance(item, TextObject):
                chars_from(chain.glyphs(item))
            elif isinstance(item, XObjectObject):
                walk(item)
            elif isinstance(item, PathObject):
                for shape in process_object(item):
                    kind = "rect" if isinstance(shape, LTRect) else "line" if isinstance(shape, LTLine) else "curve"
                    objects[kind].append(_shape(shape, kind, height, mb_x0, mb_top, doctop))

    walk(page)
    return objects


class GlyphChain:
    """Characters placed as pdfminer places them, from PLAYA's text objects.

    PLAYA follows the PDF specification: the character spacing (Tc) is added after every glyph.
    pdfminer adds it before every glyph of a string but the first, so the glyphs after a
    string's last one sit one Tc further left there. Word exports set a Tc on nearly every line,
    and the readers' tolerances were measured on pdfminer's positions, so they are kept: each
    string starts where pdfminer's previous string on that line ended, and every box is
    computed with pdfminer's own arithmetic (`pdfminer.utils`, the two functions copied here), bit for bit."""

    def __init__(self, decoded: dict | None = None) -> None:
        self._previous = None  # the last text object, and where pdfminer ended it
        self._end: tuple[float, float] = (0.0, 0.0)
        # (font, bytes) -> ((cid, text), ...): a document's fonts decode the same strings (its
        # digits, its labels) page after page; decoding is a pure function of font and bytes.
        self._decoded = {} if decoded is None else decoded

    def glyphs(self, text) -> Iterator[tuple]:
        """(text, fontname, upright, x0, y0, x1, y1) of each glyph of a text object, in pdfminer's
        coordinates (y up, from the MediaBox's corner)."""
        font, gstate = text.gstate.font, text.gstate
        start = text._glyph_offset
        previous, self._previous = self._previous, text
        if (previous is not None and previous.line_matrix == text.line_matrix
                and previous._get_next_glyph_offset() == start):
            start = self._end  # the same line goes on: pdfminer's end, not PLAYA's
        if font is None:
            return
        if font.vertical:  # pdfminer's vertical writing: PLAYA's own reconstruction of it
            yield from _vertical_glyphs(text)
            self._end = text._get_next_glyph_offset()
            return
        matrix = _mult_matrix(text.line_matrix, text.ctm)
        a, b, c, d, e0, f0 = matrix
        fontsize = gstate.fontsize
        scaling = gstate.scaling * 0.01
        charspace = gstate.charspace * scaling
        wordspace = 0 if font.multibyte else gstate.wordspace * scaling
        rise = gstate.rise
        dxscale = 0.001 * fontsize * scaling
        descent = font.descent * font.matrix[3] * fontsize
        low, high = descent + rise, descent + rise + fontsize
        upright = a * d * scaling > 0 and b * c <= 0
        # Unturned and unmirrored text (nearly all of it): pdfminer's four corners reduce to two
        # exactly (a*0 + c*y = 0.0 when c == 0), so the box is computed without them.
        plain = b == 0 and c == 0 and a > 0 and d > 0
        fontname, decode, hdisp, decoded = font.fontname, font.decode, font.hdisp, self._decoded
        x, y = start
        needcharspace = False
        for obj in text.args:
            if isinstance(obj, (int, float)):
                x -= obj * dxscale
                needcharspace = True
                continue
            pairs = decoded.get((font, obj))
            if pairs is None:
                pairs = decoded[(font, obj)] = tuple(decode(obj))
            for cid, unicode in pairs:
                if needcharspace:
                    x += charspace
                adv = hdisp(cid) * fontsize * scaling
                e, f = x * a + y * c + e0, x * b + y * d + f0  # translate_matrix(matrix, (x, y))
                if plain:
                    box = (min(e, a * adv + e), d * low + f, max(e, a * adv + e), d * high + f)
                else:
                    box = _apply_matrix_rect((a, b, c, d, e, f), (0, low, adv, high))
                yield (f"(cid:{cid})" if unicode is None else unicode, fontname, upright, *box)
                x += adv
                if cid == 32 and wordspace:
                    x += wordspace
                needcharspace = True
        self._end = (x, y)
        # PLAYA's interpreter starts the next string of the line where this one ends; told
        # pdfminer's end, it need not work its own out again (decoding every glyph a second time).
        text._next_glyph_offset = self._end


def _mult_matrix(m1: tuple, m0: tuple) -> tuple:
    """pdfminer.six's `utils.mult_matrix` (MIT licence), operation for operation: importing
    pdfminer for it cost every run 20 ms before its first worker started."""
    (a1, b1, c1, d1, e1, f1) = m1
    (a0, b0, c0, d0, e0, f0) = m0
    return (a0 * a1 + c0 * b1, b0 * a1 + d0 * b1, a0 * c1 + c0 * d1, b0 * c1 + d0 * d1,
            a0 * e1 + c0 * f1 + e0, b0 * e1 + d0 * f1 + f0)


def _apply_matrix_rect(m: tuple, rect: tuple) -> tuple:
    """pdfminer.six's `utils.apply_matrix_rect` (MIT licence), operation for operation: the box
    of the four corners of `rect` turned by `m`."""
    (a, b, c, d, e, f) = m
    (x0, y0, x1, y1) = rect
    left1, bottom1 = a * x0 + c * y0 + e, b * x0 + d * y0 + f
    right1, bottom2 = a * x1 + c * y0 + e, b * x1 + d * y0 + f
    right2, top1 = a * x1 + c * y1 + e, b * x1 + d * y1 + f
    left2, top2 = a * x0 + c * y1 + e, b * x0 + d * y1 + f
    return (min(left1, left2, right1, right2), min(bottom1, bottom2, top1, top2),
            max(left1, left2, right1, right2), max(bottom1, bottom2, top1, top2))


def _vertical_glyphs(text) -> Iterator[tuple]:
    from playa.miner import LTChar

    for glyph in text:
        char = LTChar(glyph)
        yield (char.get_text(), char.fontname, char.upright, char.x0, char.y0, char.x1, char.y1)


def _shape(item, kind: str, height: float, mb_x0: float, mb_top: float, doctop: float) -> dict:
    top = (height - item.y1) + mb_top
    x0, x1 = (item.x0 + mb_x0, item.x1 + mb_x0) if mb_x0 != 0 else (item.x0, item.x1)
    shape = {"x0": x0, "x1": x1, "top": top, "bottom": (height - item.y0) + mb_top, "doctop": doctop + top,
             "width": item.width, "height": item.height, "stroke": item.stroke, "fill": item.fill,
             "object_type": kind}
    if kind == "curve":
        # pdfplumber's path points: (x, top) measured from the page's top-left corner.
        def point(pt):
            return (mb_x0 + pt[0], mb_top + height - pt[1])

        shape["path"] = [(op, *map(point, pts)) for op, *pts in item.original_path]
    return shape


def _fontname(name) -> str:
    """A font name as pdfplumber gives it (a rare byte-encoded name decoded)."""
    if isinstance(name, bytes):
        from pdfplumber.page import fix_fontname_bytes

        return fix_fontname_bytes(name)
    return name


_DRAWING_OPERATOR = re.compile(rb"\s(?:re|l)\s")
_XOBJECT = re.compile(rb"\sDo\b")


def _operator_count(page) -> int:
    data = b"".join(stream.buffer for stream in page.streams)
    if _XOBJECT.search(data):
        return 10**9
    return len(_DRAWING_OPERATOR.findall(data))

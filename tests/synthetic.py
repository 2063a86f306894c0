"""Small synthetic NCMEC-style list PDFs, drawn with fpdf2 in points so coordinates match pdfplumber's.

A list is a header line, then rows separated by drawn rules (unless ruled=False); a row's name
may wrap over several lines with its count on any one of them, or on a line of its own below.
The options below reproduce layouts NCMEC has printed or may print: rules under some rows only,
zebra stripes drawn as filled rectangles, a filled header, a third column, notes in another font
right under the list, text anywhere on the page, landscape or rotated pages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pypdfium2
from fpdf import FPDF

LINE = 13.0  # line pitch inside a wrapped cell
PAD = 5.0    # space above and below a row's text


@dataclass
class Row:
    name_lines: list[str]
    count: str
    count_line: int = 0  # which of the name lines the count sits on (len(name_lines): a line below)
    style: str = ""      # fpdf font style of the whole row: "", "B", "I"
    extra: str = ""      # text of a third column, when the list has one
    name_mark: str = ""  # a superscript footnote mark right after the name ("1")
    count_mark: str = "" # a superscript footnote mark right after the count


@dataclass
class ListSpec:
    rows: list[Row]
    x: float = 100.0
    name_width: float = 200.0
    count_width: float = 100.0
    header: tuple[str, str] = ("Country / Territory", "Reports")
    ruled: bool = True
    pad: float = PAD  # space above and below each row's text
    rule_after: set[int] | None = None  # ruled: draw a rule only under these rows (None: every row)
    zebra: bool = False                 # fill every other row instead of drawing rules
    header_fill: bool = False           # the header on a filled band, split at the column border
    extra_header: str | None = None     # a third column's header ("% change")
    extra_width: float = 80.0
    header_again_before: set[int] = field(default_factory=set)  # repeat the header row before these rows
    count_align: str = "right"          # "right" or "left" in the count column
    rules_as_paths: bool = False        # each rule one path of cell segments (not separate lines)
    dy: float = 0.0                     # drawn this much lower than the page's other lists
    header_count_align: str = "right"   # where the count header sits in its column: "right" or "left"
    header_rules: bool = True           # ruled: draw the rules above and under the header

    @property
    def right(self) -> float:
        extra = self.extra_width if self.extra_header is not None else 0.0
        return self.x + self.name_width + self.count_width + extra


@dataclass
class Text:
    """Free text anywhere on the page: baseline y, left edge x (right edge with align="right")."""

    x: float
    y: float
    text: str
    style: str = ""
    size: float = 10.0
    align: str = "left"


@dataclass
class PageSpec:
    lists: list[ListSpec]
    page_header: str | None = None       # e.g. "2023 Reports by Country 2"
    prose: list[str] = field(default_factory=list)  # text above the first list
    footer_lines: list[str] = field(default_factory=list)  # text at the foot of the page
    stray_below: str | None = None      # a number printed in the count column under the last rule
    notes_below: list[Text] = field(default_factory=list)  # text under the lists (y from their bottom)
    texts: list[Text] = field(default_factory=list)        # text at absolute positions
    top: float = 80.0
    orientation: str = "P"               # "L": a landscape page
    background: bool = False             # a filled rectangle under the whole page (its edges are "rules")
    rules_at: list[float] = field(default_factory=list)  # page-wide rules at these y (a footer rule)
    rotate: int = 0                      # 90 or 270: /Rotate of the page, content turned so it reads upright
    sideways: bool = False               # with rotate: content not turned, so the list reads sideways


def row(name: str | list[str], count: str, count_line: int = 0, *, style: str = "", extra: str = "",
        name_mark: str = "", count_mark: str = "") -> Row:
    names = [name] if isinstance(name, str) else list(name)
    return Row(names, count, count_line, style, extra, name_mark, count_mark)


def _mark(pdf: FPDF, x: float, baseline: float, mark: str, style: str) -> None:
    """A footnote mark in a small size, raised a little: close enough to read as part of the word."""
    pdf.set_font("helvetica", style, 6)
    pdf.text(x + 0.3, baseline - 3, mark)
    pdf.set_font("helvetica", style, 10)


def _draw_header(pdf: FPDF, spec: ListSpec, y: float) -> None:
    right = spec.right
    count_right = spec.x + spec.name_width + spec.count_width
    if spec.header_fill:
        pdf.set_fill_color(150, 215, 225)
        pdf.rect(spec.x, y, spec.name_width, 2 * PAD + LINE, style="F")
        pdf.rect(spec.x + spec.name_width, y, right - spec.x - spec.name_width, 2 * PAD + LINE, style="F")
    pdf.set_font("helvetica", "B", 10)
    pdf.text(spec.x + 10, y + PAD + 9, spec.header[0])
    if spec.header_count_align == "left":
        pdf.text(spec.x + spec.name_width + 10, y + PAD + 9, spec.header[1])
    else:
        pdf.text(count_right - 10 - pdf.get_string_width(spec.header[1]), y + PAD + 9, spec.header[1])
    if spec.extra_header is not None:
        pdf.text(right - 10 - pdf.get_string_width(spec.extra_header), y + PAD + 9, spec.extra_header)


def _rule(pdf: FPDF, spec: ListSpec, y: float) -> None:
    if spec.rules_as_paths:
        pdf.polyline([(spec.x, y), (spec.x + spec.name_width, y), (spec.right, y)])
    else:
        pdf.line(spec.x, y, spec.right, y)


def _draw_list(pdf: FPDF, spec: ListSpec, top: float) -> float:
    right = spec.right
    count_right = spec.x + spec.name_width + spec.count_width
    y = top
    if spec.ruled and spec.header_rules:
        _rule(pdf, spec, y)
    _draw_header(pdf, spec, y)
    y += 2 * PAD + LINE
    if spec.ruled and spec.header_rules:
        _rule(pdf, spec, y)
    for index, r in enumerate(spec.rows):
        if index in spec.header_again_before:
            _draw_header(pdf, spec, y)
            y += 2 * PAD + LINE
            if spec.ruled:
                _rule(pdf, spec, y)
        height = 2 * spec.pad + LINE * max(1, len(r.name_lines), r.count_line + 1)
        if spec.zebra and index % 2 == 0:
            pdf.set_fill_color(225, 240, 245)
            pdf.rect(spec.x, y, right - spec.x, height, style="F")
        pdf.set_font("helvetica", r.style, 10)
        for i, text in enumerate(r.name_lines):
            pdf.text(spec.x + 10, y + spec.pad + 9 + i * LINE, text)
        if r.name_mark:
            last = len(r.name_lines) - 1
            end = spec.x + 10 + pdf.get_string_width(r.name_lines[last])
            _mark(pdf, end, y + spec.pad + 9 + last * LINE, r.name_mark, r.style)
        count_y = y + spec.pad + 9 + r.count_line * LINE
        count_x = (spec.x + spec.name_width + 10 if spec.count_align == "left"
                   else count_right - 10 - pdf.get_string_width(r.count))
        pdf.text(count_x, count_y, r.count)
        if r.count_mark:
            _mark(pdf, count_x + pdf.get_string_width(r.count), count_y, r.count_mark, r.style)
        if r.extra:
            pdf.text(right - 10 - pdf.get_string_width(r.extra), count_y, r.extra)
        y += height
        if spec.ruled and (spec.rule_after is None or index in spec.rule_after):
            _rule(pdf, spec, y)
    return y


def _text(pdf: FPDF, t: Text, dy: float = 0.0) -> None:
    pdf.set_font("helvetica", t.style, t.size)
    x = t.x - pdf.get_string_width(t.text) if t.align == "right" else t.x
    pdf.text(x, t.y + dy, t.text)


def _draw_page(pdf: FPDF, page: PageSpec) -> None:
    if page.background:
        pdf.set_fill_color(253, 253, 250)
        pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    pdf.set_font("helvetica", "", 10)
    if page.page_header:
        pdf.text(300, 40, page.page_header)
    y = page.top
    for line in page.prose:
        pdf.text(100, y, line)
        y += LINE
    bottom = y + 10
    for spec in page.lists:
        end = _draw_list(pdf, spec, y + 10 + spec.dy)
        bottom = max(bottom, end)
    pdf.set_font("helvetica", "", 10)
    if page.stray_below:
        spec = page.lists[-1]
        right = spec.x + spec.name_width + spec.count_width
        pdf.text(right - 10 - pdf.get_string_width(page.stray_below), bottom + 20, page.stray_below)
    for note in page.notes_below:
        _text(pdf, note, dy=bottom)
    for t in page.texts:
        _text(pdf, t)
    for y in page.rules_at:
        pdf.line(30, y, pdf.w - 30, y)
    pdf.set_font("helvetica", "", 10)
    for i, line in enumerate(page.footer_lines):
        pdf.text(100, pdf.h - 52 + i * LINE, line)


def write_list_pdf(path, pages: list[PageSpec]) -> None:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_line_width(0.5)
    for page in pages:
        pdf.add_page(orientation=page.orientation)
        _draw_page(pdf, page)
    pdf.output(str(path))
    if any(page.rotate for page in pages):
        _rotate_pages(path, [(page.rotate, not page.sideways) for page in pages])


def _rotate_pages(path, turns: list[tuple[int, bool]]) -> None:
    """Set /Rotate (90 or 270) on the pages that ask for it. With turn_content, the drawn page is
    first turned onto a media box of the other shape, as design tools write landscape pages, so
    it reads upright; without, the list reads sideways."""
    source = pypdfium2.PdfDocument(str(path))
    target = pypdfium2.PdfDocument.new()
    for index, (angle, turn_content) in enumerate(turns):
        if angle and turn_content:
            width, height = source[index].get_size()
            page = target.new_page(height, width)
            drawn = source.page_as_xobject(index, target).as_pageobject()
            # Turned by -angle onto the media box, so that /Rotate angle shows it upright again.
            shift = {90: (height, 0), 270: (0, width)}[angle]
            drawn.transform(pypdfium2.PdfMatrix().rotate(-angle).translate(*shift))
            page.insert_obj(drawn)
            page.gen_content()
        else:
            target.import_pages(source, [index])
            page = target[index]
        if angle:
            page.set_rotation(angle)
    target.save(str(path) + ".tmp")
    target.close()
    source.close()
    os.replace(str(path) + ".tmp", str(path))

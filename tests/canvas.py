"""An absolute-positioning canvas (reportlab) for regression cases found by review: draw text,
rules and fills op by op at pdfplumber coordinates (y from the page top), then write the PDF.

`tests/producers.py` typesets whole lists; this draws exactly the odd page a reviewer built to
break the reader (a label stacked outside the header band, a stamp over a row, a glyph drawn
twice), so each regression test states its page in a few lines.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

H = 792.0


class Page:
    def __init__(self):
        self.ops = []

    def text(self, x, top, s, font="Helvetica", size=9.0, right=False, mode=0, spacing=0.0, single=False):
        """Text whose box top is `top` (pdfplumber y). right=True: x is the right edge."""
        if right:
            x -= stringWidth(s, font, size) + spacing * len(s)
        self.ops.append(("text", x, top, s, font, size, mode, spacing, single))
        return self

    def hline(self, y, x0, x1, width=0.5):
        self.ops.append(("hline", y, x0, x1, width))
        return self

    def vline(self, x, y0, y1, width=0.5):
        self.ops.append(("vline", x, y0, y1, width))
        return self

    def rect(self, x, top, w, h, gray=0.85):
        self.ops.append(("rect", x, top, w, h, gray))
        return self


def width(s: str, font: str = "Helvetica", size: float = 9.0) -> float:
    return stringWidth(s, font, size)


def write(path, pages, pagesize=(612.0, H)):
    c = canvas.Canvas(str(path), pagesize=pagesize, pageCompression=0)
    h = pagesize[1]
    for p in pages:
        for op in p.ops:
            kind = op[0]
            if kind == "text":
                _, x, top, s, font, size, mode, spacing, single = op
                base = h - top - 0.8 * size
                if single:
                    for ch in s:
                        if ch != " ":
                            t = c.beginText(x, base)
                            t.setFont(font, size)
                            t.setTextRenderMode(mode)
                            t.textOut(ch)
                            c.drawText(t)
                        x += stringWidth(ch, font, size) + spacing
                else:
                    t = c.beginText(x, base)
                    t.setFont(font, size)
                    t.setTextRenderMode(mode)
                    t.setCharSpace(spacing)
                    t.textOut(s)
                    c.drawText(t)
            elif kind == "hline":
                _, y, x0, x1, w = op
                c.setLineWidth(w)
                c.line(x0, h - y, x1, h - y)
            elif kind == "vline":
                _, x, y0, y1, w = op
                c.setLineWidth(w)
                c.line(x, h - y0, x, h - y1)
            elif kind == "rect":
                _, x, top, w, hh, g = op
                c.setFillGray(g)
                c.rect(x, h - top - hh, w, hh, stroke=0, fill=1)
                c.setFillGray(0)
        c.showPage()
    c.save()
    return Path(path)


def simple_list(page, rows, *, x=60, top=80, labels=("Country", "Reports"), colw=(180, 90), size=9.0,
                pitch=16.0, rules=True, font="Helvetica", bold="Helvetica-Bold", header=True):
    """A plain ruled list. rows: [(name, [counts...])]. Returns the y under the last row."""
    lefts = [x]
    for w in colw[:-1]:
        lefts.append(lefts[-1] + w)
    right = x + sum(colw)
    y = top
    if header:
        for i, lab in enumerate(labels):
            if i == 0:
                page.text(lefts[0] + 4, y + 3, lab, bold, size)
            else:
                page.text(lefts[i] + colw[i] - 4, y + 3, lab, bold, size, right=True)
    y += pitch
    if rules:
        page.hline(y, x, right)
    for name, counts in rows:
        page.text(lefts[0] + 4, y + 3, name, font, size)
        for i, cnt in enumerate(counts, start=1):
            page.text(lefts[i] + colw[i] - 4, y + 3, cnt, font, size, right=True)
        y += pitch
        if rules:
            page.hline(y, x, right)
    return y

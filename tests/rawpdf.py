"""A PDF written by hand, object by object: the producer habits no library shows by default.

The page's text is split over several content streams (`/Contents [a b c]`), drawn out of
reading order (last row first), one glyph run per word with absolute positioning (`Td` from the
origin each time, no space characters), with the rules in a stream of their own. Only the base-14
Helvetica is used, so no font file is needed.
"""

from __future__ import annotations

from pathlib import Path

HEIGHT = 792.0
# Helvetica advance widths (per 1000 em) for the characters the tests print.
WIDTHS = {**{c: 556 for c in "0123456789"}, ",": 278, " ": 278, "-": 333, ".": 278}


def text_width(text: str, size: float) -> float:
    return sum(WIDTHS.get(c, 560 if c.islower() else 667) for c in text) * size / 1000


def _word_runs(x: float, top: float, text: str, size: float) -> list[str]:
    """One `BT ... ET` per word, each placed from the page origin: no spaces in the stream."""
    runs = []
    for word in text.split(" "):
        baseline = HEIGHT - top - 0.8 * size
        runs.append(f"BT /F1 {size} Tf 1 0 0 1 {x:.2f} {baseline:.2f} Tm ({word}) Tj ET")
        x += text_width(word + " ", size)
    return runs


def list_page_streams(labels: list[str], rows: list[list[str]], *, x: float = 60.0, top: float = 100.0,
                      size: float = 9.0, widths: list[float] | None = None) -> list[str]:
    """Content streams of one list page: header text, rules, and the rows bottom-up over two streams."""
    widths = widths or [180.0] + [90.0] * (len(labels) - 1)
    lefts = [x + sum(widths[:i]) for i in range(len(widths))]
    pitch = size + 10
    def cells(cells_: list[str], y: float) -> list[str]:
        runs = _word_runs(lefts[0] + 5, y, cells_[0], size)
        for i, text in enumerate(cells_[1:], start=1):
            runs += _word_runs(lefts[i] + widths[i] - 5 - text_width(text, size), y, text, size)
        return runs
    header = cells(labels, top)
    body = [cells(r, top + (i + 1) * pitch) for i, r in enumerate(rows)]
    right = x + sum(widths)
    rules = [f"{x:.2f} {HEIGHT - (top - 5 + k * pitch):.2f} m {right:.2f} {HEIGHT - (top - 5 + k * pitch):.2f} l S"
             for k in range(1, len(rows) + 2)]
    reversed_rows = [run for runs in reversed(body) for run in runs]
    half = len(reversed_rows) // 2
    return ["\n".join(reversed_rows[:half]), "0.5 w\n" + "\n".join(rules), "\n".join(header),
            "\n".join(reversed_rows[half:])]


def write_raw_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF whose pages are given as lists of content streams."""
    objects: list[bytes] = []
    page_ids = []
    font_id = 3
    next_id = 4
    bodies = []
    for streams in pages:
        stream_ids = list(range(next_id + 1, next_id + 1 + len(streams)))
        page_ids.append(next_id)
        bodies.append((next_id, stream_ids, streams))
        next_id += 1 + len(streams)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for page_id, stream_ids, streams in bodies:
        contents = " ".join(f"{i} 0 R" for i in stream_ids)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 {HEIGHT:.0f}] /Resources << /Font << /F1"
                       f" {font_id} 0 R >> >> /Contents [{contents}] >>".encode())
        for stream in streams:
            data = stream.encode("latin-1")
            objects.append(f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path

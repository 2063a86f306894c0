"""Hand-written SVG charts (bars and lines), so the report needs no script and no network."""

from __future__ import annotations

import math

from pipeline.report.markup import esc, fmt_compact, fmt_int, missing


# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"]
CHART_WIDTH, CHART_HEIGHT = 760, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 14, 34


def nice_ticks(max_value: float, target: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `max_value` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not max_value or max_value <= 0:
        return [0.0, 1.0]
    raw = max_value / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    count = math.ceil(max_value / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _svg_open(title: str, height: int = CHART_HEIGHT) -> str:
    return (f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
            f'preserveAspectRatio="xMidYMid meet"><title>{esc(title)}</title>')


def _y_axis(ticks: list[float], y_of, y_format, y_title: str) -> str:
    """Grid lines with their tick labels, and the axis's unit written up its left edge."""
    middle = MARGIN_TOP + (CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) / 2
    parts = [f'<text class="axis-title" x="{-middle:.1f}" y="13" transform="rotate(-90)" '
             f'text-anchor="middle">{esc(y_title)}</text>']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(y_format(tick))}</text>')
    return "".join(parts)


def _x_labels(labels: list[str], x_of) -> str:
    """Every label that fits (about 14 across), counted back from the last so the newest is shown."""
    every = max(1, math.ceil(len(labels) / 14))
    baseline = CHART_HEIGHT - MARGIN_BOTTOM + 16
    return "".join(f'<text class="tick" x="{x_of(i):.1f}" y="{baseline}" text-anchor="middle">{esc(label)}</text>'
                   for i, label in enumerate(labels) if (len(labels) - 1 - i) % every == 0)


def _scale(top: float):
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return lambda v: MARGIN_TOP + plot_height * (1 - (v / top if top else 0))


def _band(count: int):
    width = (CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(count, 1)
    return width, (lambda i: MARGIN_LEFT + width * (i + 0.5))


def stacked_bar_chart(categories: list[str], stacks: list[tuple[str, list]], *, title: str,
                      y_title: str = "reports", y_format=fmt_compact, value_format=fmt_int) -> str:
    """Vertical bars, one per category, each split into the `stacks` (one colour per stack).
    A single stack is an ordinary bar chart. Each piece carries a tooltip with its exact value."""
    totals = [sum(0 if missing(values[i]) else values[i] for _, values in stacks) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    y_of = _scale(ticks[-1])
    width, x_of = _band(len(categories))
    bar = width * 0.72
    parts = [_svg_open(title), _y_axis(ticks, y_of, y_format, y_title)]
    for i, category in enumerate(categories):
        base = 0.0
        for s, (label, values) in enumerate(stacks):
            value = values[i]
            if missing(value) or value <= 0:
                continue
            top, bottom = y_of(base + value), y_of(base)
            tip = f"{category}: {value_format(value)}" + (f" {label}" if len(stacks) > 1 else "")
            parts.append(f'<rect x="{x_of(i) - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                         f'height="{max(bottom - top, 0.5):.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                         f'<title>{esc(tip)}</title></rect>')
            base += value
    parts.append(_x_labels(categories, x_of))
    parts.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" '
                 f'y1="{y_of(0):.1f}" y2="{y_of(0):.1f}"/></svg>')
    return "".join(parts)


def line_chart(categories: list[str], series: list[tuple[str, list]], *, title: str,
               y_title: str = "reports", y_format=fmt_compact, value_format=fmt_int) -> str:
    """One line per series over shared categories; a missing value breaks the line."""
    values = [v for _, vs in series for v in vs if not missing(v)]
    ticks = nice_ticks(max(values, default=0))
    y_of = _scale(ticks[-1])
    _, x_of = _band(len(categories))
    parts = [_svg_open(title), _y_axis(ticks, y_of, y_format, y_title)]
    for s, (label, points) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        run: list[str] = []
        for i, value in enumerate(points + [None]):
            if missing(value):
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x_of(i):.1f},{y_of(value):.1f}")
        for i, value in enumerate(points):
            if not missing(value):
                parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3.2" fill="{colour}">'
                             f'<title>{esc(f"{label}, {categories[i]}: {value_format(value)}")}</title></circle>')
    parts.append(_x_labels(categories, x_of))
    parts.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" '
                 f'y1="{y_of(0):.1f}" y2="{y_of(0):.1f}"/></svg>')
    return "".join(parts)


def legend(labels: list[str]) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{esc(label)}</li>'
                    for i, label in enumerate(labels))
    return f'<ul class="legend">{items}</ul>'


def figure(svg: str, caption: str, labels: list[str] | None = None) -> str:
    return f"<figure>{svg}{legend(labels) if labels else ''}<figcaption>{caption}</figcaption></figure>"

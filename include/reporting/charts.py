"""Inline SVG line charts with text alternatives (no scripts, no external requests)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = (("#8a1c1c", "circle"), ("#7a3e00", "square"), ("#0b57a4", "diamond"), ("#1d5e20", "triangle"))
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 56, 16, 16, 40


@dataclass(frozen=True)
class Series:
    """One line of a chart."""

    label: str
    values: list[float]


def _marker(shape: str, x: float, y: float, color: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}"/>'
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" fill="{color}"/>'
        )
    if shape == "triangle":
        return f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" fill="{color}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'


MARKERS_UP_TO = 24


def _value_text(value: float, percent: bool) -> str:
    return f"{value:.1f}%" if percent else f"{value:,.0f}"


def value_bars(chart_id: str, title: str, description: str, label: str, series: list[Series], *, percent: bool = False) -> str:
    """One run: each series as a labelled bar with its value written out (a lone dot on a line says nothing)."""
    peak = 100.0 if percent else max((s.values[0] for s in series), default=0) or 1
    row, name_w, bar_w = 34, 230, WIDTH - 230 - 90
    parts = [
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {row * len(series) + 36}" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)} One run so far ({escape(label)}).</desc>',
    ]
    for index, line in enumerate(series):
        color, _ = PALETTE[index % len(PALETTE)]
        y, value = 8 + row * index, line.values[0]
        width = max(bar_w * value / peak, 2)
        parts.append(f'<text x="0" y="{y + 19}" font-size="15" fill="#1b1b1b">{escape(line.label)}</text>')
        parts.append(f'<rect x="{name_w}" y="{y + 4}" width="{width:.1f}" height="20" fill="{color}"/>')
        parts.append(
            f'<text x="{name_w + width + 8:.1f}" y="{y + 19}" font-size="15" font-weight="700" fill="#1b1b1b">'
            f"{_value_text(value, percent)}</text>"
        )
    parts.append(f'<text x="0" y="{row * len(series) + 28}" font-size="14" fill="#1b1b1b">Scan of {escape(label)}</text></svg>')
    return "".join(parts)


def line_chart(
    chart_id: str, title: str, description: str, labels: list[str], series: list[Series], *, percent: bool = False
) -> str:
    """An accessible SVG line chart: role=img, <title> and <desc>, distinct colours and marker shapes, a legend.

    With one run it draws value bars instead; with many, markers only at the last value, which is written out."""
    points = len(labels)
    if points == 1:
        return value_bars(chart_id, title, description, labels[0], series, percent=percent)
    peak = max((v for s in series for v in s.values), default=0) or 1
    top = 100.0 if percent else peak * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (points - 1) if points > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * (v / top)

    parts = [
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {HEIGHT + 24 * len(series)}" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#1b1b1b"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#1b1b1b"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = top * fraction
        text = f"{value:.0f}%" if percent else f"{value:,.0f}"
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 5:.1f}" text-anchor="end" font-size="14" fill="#1b1b1b">{text}</text>')
    if points:
        parts.append(f'<text x="{x(0):.1f}" y="{HEIGHT - 12}" font-size="14" fill="#1b1b1b">{escape(labels[0])}</text>')
        if points > 1:
            parts.append(
                f'<text x="{x(points - 1):.1f}" y="{HEIGHT - 12}" text-anchor="end" font-size="14" fill="#1b1b1b">'
                f"{escape(labels[-1])}</text>"
            )
    for index, line in enumerate(series):
        color, shape = PALETTE[index % len(PALETTE)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
        shown = enumerate(line.values) if points <= MARKERS_UP_TO else [(points - 1, line.values[-1])]
        parts.extend(_marker(shape, x(i), y(v), color) for i, v in shown)
        legend_y = HEIGHT + 16 + 24 * index
        parts.append(_marker(shape, LEFT + 6, legend_y - 5, color))
        parts.append(
            f'<text x="{LEFT + 18}" y="{legend_y}" font-size="14" fill="#1b1b1b">{escape(line.label)}: '
            f"{_value_text(line.values[-1], percent) if line.values else 'none'} in the last run</text>"
        )
    parts.append("</svg>")
    return "".join(parts)

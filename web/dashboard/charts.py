"""Charts as SVG strings, drawn on the server: no script, no CDN, readable when printed.

Every text that comes from data (unit names, categories, months) is escaped; the result is Markup
so templates insert it as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from markupsafe import Markup, escape

ACCENT = "#9c2a24"
GRID = "#e3e6ea"
INK = "#1f2328"
MUTED = "#5f6670"
FONT = 'font-family="-apple-system,PingFang SC,Microsoft YaHei,Noto Sans CJK SC,sans-serif"'


@dataclass
class Bar:
    label: str
    value: Optional[float]  # None: no figure (e.g. no rating yet), drawn as "—"
    href: str = ""
    note: str = ""  # shown after the value, e.g. "3/4"


@dataclass
class Series:
    name: str
    values: Sequence[int]
    color: str = ACCENT


def _short(text: str, limit: int = 11) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _link(href: str, body: str) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def bar_chart(bars: Sequence[Bar], title: str, percent: bool = False, width: int = 640,
              color: str = ACCENT, empty: str = "暂无数据") -> Markup:
    """Horizontal bars, one row per item, with the value (and note) at the end of each bar."""
    row, label_w, value_w, top = 24, 150, 110, 8
    plot = width - label_w - value_w
    present = [b.value for b in bars if b.value is not None]
    scale = 1.0 if percent else max(present + [0]) or 1
    height = top * 2 + row * max(len(bars), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" {FONT} font-size="13">',
             f"<title>{escape(title)}</title>"]
    for i, bar in enumerate(bars):
        y = top + i * row
        size = 0 if bar.value is None else max(plot * min(bar.value / scale, 1.0), 1 if bar.value else 0)
        shown = "—" if bar.value is None else _number(bar.value, percent)
        note = f" ({bar.note})" if bar.note else ""
        body = (f'<g><title>{escape(bar.label)}：{escape(shown)}{escape(note)}</title>'
                f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
                f'{escape(_short(bar.label))}</text>'
                f'<rect x="{label_w}" y="{y + 4}" width="{size:.1f}" height="{row - 8}" rx="2" fill="{color}"/>'
                f'<text x="{label_w + size + 6:.1f}" y="{y + 16}" fill="{MUTED}">{escape(shown)}{escape(note)}'
                f'</text></g>')
        parts.append(_link(bar.href, body))
    if not bars:
        parts.append(f'<text x="{width / 2}" y="{top + 16}" text-anchor="middle" fill="{MUTED}">{escape(empty)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def line_chart(labels: Sequence[str], series: Sequence[Series], title: str, hrefs: Sequence[str] = (),
               width: int = 640, height: int = 240) -> Markup:
    """Lines over the same x labels (e.g. months), a legend on top, each point titled with its value."""
    left, right, top, bottom = 44, 16, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([v for s in series for v in s.values] + [0]))
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        x = left + (i * step if len(labels) > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * value / peak

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" {FONT} font-size="12">',
             f"<title>{escape(title)}</title>"]
    for k in range(5):
        y = top + plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                     f'{peak * (4 - k) // 4}</text>')
    for i, label in enumerate(labels):
        x, _ = xy(i, 0)
        text = f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        parts.append(_link(hrefs[i] if i < len(hrefs) else "", text))
    for n, s in enumerate(series):
        points = [xy(i, v) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, s.values):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{s.color}">'
                         f"<title>{escape(label)} {escape(s.name)}：{value}</title></circle>")
        lx = left + n * 130
        parts.append(f'<rect x="{lx}" y="8" width="12" height="12" fill="{s.color}"/>'
                     f'<text x="{lx + 18}" y="18" fill="{INK}">{escape(s.name)}</text>')
    if not labels:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

"""Charts drawn on the server as SVG (no script, no chart library): every label is escaped.

Colours come from classes in static/style.css, never inline styles, so the strict
Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from scanner.web.queries import Bar

W = 960


def _svg(height: int, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def org_bars(bars: Sequence[Bar]) -> Markup:
    """One horizontal bar per sub-organisation: 合格 and 不合格 stacked, scaled to the largest."""
    if not bars:
        return Markup("")
    row, left, right = 28, 150, 70
    widest = max(b.total for b in bars) or 1
    span = W - left - right
    body: list[str] = []
    for i, b in enumerate(bars):
        y = 6 + i * row
        q = span * b.qualified / widest
        u = span * b.unqualified / widest
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" class="label" text-anchor="end">'
            f"{escape(b.org_name)}</text>"
            f'<rect x="{left}" y="{y}" width="{q:.1f}" height="20" class="ok"><title>合格 '
            f"{b.qualified}</title></rect>"
            f'<rect x="{left + q:.1f}" y="{y}" width="{u:.1f}" height="20" class="bad">'
            f"<title>不合格 {b.unqualified}</title></rect>"
            f'<text x="{left + q + u + 6:.1f}" y="{y + 15}" class="value">'
            f"{b.qualified}/{b.total}</text>"
        )
    return _svg(12 + len(bars) * row, body, "各下级单位合格与不合格网站数")


def trend_line(points: Sequence[tuple[date, int, int, int]]) -> Markup:
    """合格率 at every stored monitoring point, oldest on the left."""
    if not points:
        return Markup("")
    height, left, bottom, top = 180, 44, 30, 12
    plot_w, plot_h = W - left - 16, height - bottom - top
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    body = [
        f'<line x1="{left}" y1="{y(r):.1f}" x2="{W - 16}" y2="{y(r):.1f}" class="grid"/>'
        f'<text x="{left - 6}" y="{y(r) + 4:.1f}" class="value" text-anchor="end">'
        f"{int(r * 100)}%</text>"
        for r in (0.0, 0.5, 1.0)
    ]
    coords = []
    for i, (at, q, u, _) in enumerate(points):
        rate = q / (q + u) if q + u else 0.0
        coords.append(f"{x(i):.1f},{y(rate):.1f}")
        body.append(
            f'<circle cx="{x(i):.1f}" cy="{y(rate):.1f}" r="3" class="dot">'
            f"<title>{at.isoformat()} 合格率 {rate * 100:.1f}%（合格 {q}，不合格 {u}）</title>"
            "</circle>"
        )
    body.insert(3, f'<polyline points="{" ".join(coords)}" class="line"/>')
    for i in sorted({0, n - 1}):
        anchor = "start" if i == 0 and n > 1 else "end" if n > 1 else "middle"
        body.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" class="value" text-anchor="{anchor}">'
            f"{points[i][0].isoformat()}</text>"
        )
    return _svg(height, body, "合格率趋势")


def probe_week(days: Sequence[tuple[str, int, int]]) -> Markup:
    """Failures per day of the probe week: a column per day, failed part in red, with counts."""
    if not days:
        return Markup("")
    height, top, bottom = 170, 16, 40
    plot_h = height - top - bottom
    col = (W - 20) / len(days)
    most = max(valid for _, valid, _ in days) or 1
    body: list[str] = []
    for i, (day, valid, failures) in enumerate(days):
        x = 10 + i * col + col * 0.2
        w = col * 0.6
        h_all = plot_h * valid / most
        h_bad = plot_h * failures / most
        base = top + plot_h
        body.append(
            f'<rect x="{x:.1f}" y="{base - h_all:.1f}" width="{w:.1f}" height="{h_all:.1f}" '
            f'class="ok"><title>{escape(day)} 有效监测 {valid} 次</title></rect>'
            f'<rect x="{x:.1f}" y="{base - h_bad:.1f}" width="{w:.1f}" height="{h_bad:.1f}" '
            f'class="bad"><title>{escape(day)} 打不开 {failures} 次</title></rect>'
            f'<text x="{x + w / 2:.1f}" y="{base + 16}" class="value" text-anchor="middle">'
            f"{escape(day[5:])}</text>"
            f'<text x="{x + w / 2:.1f}" y="{base + 32}" class="value" text-anchor="middle">'
            f"{failures}/{valid}</text>"
        )
    return _svg(height, body, "监测周每日打不开次数")

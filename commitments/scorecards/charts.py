"""Server-rendered SVG charts: the machine may be offline, so no chart library from a CDN.

Every label goes through format_html, so a bureau or topic name can never inject markup.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from commitments.scorecards.figures import TrendPoint

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 24, 36


def trend_svg(points: list[TrendPoint]) -> SafeString:
    """Fulfilment rate per plan year as a line; a hollow dot marks a provisional (machine-only) year."""
    rated = [point for point in points if point.rate is not None]
    if not rated:
        return format_html('<p class="chart-empty">{}</p>', "尚无可计算完成率的年份")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(rated) - 1, 1)

    def x(index: int) -> float:
        return LEFT + (index * step if len(rated) > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate)

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}%</text>',
        (
            (LEFT, WIDTH - RIGHT, _n(y(level)), _n(y(level)), LEFT - 6, _n(y(level) + 4), int(level * 100))
            for level in (0, 0.5, 1)
        ),
    )
    line = " ".join(f"{x(i):.1f},{y(point.rate):.1f}" for i, point in enumerate(rated))
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="5" class="{}"><title>{}年：{}{}</title></circle>'
        '<text x="{}" y="{}" class="value" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" class="axis" text-anchor="middle">{}年</text>',
        (
            (
                _n(x(i)),
                _n(y(point.rate)),
                "dot provisional" if point.provisional else "dot",
                point.year,
                f"{point.rate * 100:.1f}%",
                "（暂定）" if point.provisional else "",
                _n(x(i)),
                _n(y(point.rate) - 10),
                f"{point.rate * 100:.0f}%",
                _n(x(i)),
                HEIGHT - 12,
                point.year,
            )
            for i, point in enumerate(rated)
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        '{}<polyline points="{}" class="line"/>{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        "各计划年份完成率趋势",
        grid,
        line,
        dots,
    )


def bars_svg(rows: list[tuple[str, float | None, bool]]) -> SafeString:
    """Horizontal bars of fulfilment rate, one per (label, rate, provisional) row, for side-by-side views."""
    if not rows:
        return mark_safe("")
    bar_h, gap, label_w, bar_w = 18, 8, 180, 300
    height = len(rows) * (bar_h + gap) + gap
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"/>'
        '<text x="{}" y="{}" class="value">{}</text>',
        (
            (
                label_w - 8,
                gap + i * (bar_h + gap) + 13,
                label,
                label_w,
                gap + i * (bar_h + gap),
                _n(bar_w * (rate or 0)),
                bar_h,
                "bar provisional" if provisional else "bar",
                _n(label_w + bar_w * (rate or 0) + 6),
                gap + i * (bar_h + gap) + 13,
                "—" if rate is None else f"{rate * 100:.1f}%{'（暂定）' if provisional else ''}",
            )
            for i, (label, rate, provisional) in enumerate(rows)
        ),
    )
    width = label_w + bar_w + 110
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        "完成率对比",
        bars,
    )


def _n(value: float) -> str:
    """Coordinates as text: format_html escapes its arguments into strings before formatting."""
    return f"{value:.1f}"

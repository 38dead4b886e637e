"""Server-rendered SVG bar charts for the reports: no script, no style attribute (the CSP allows
neither inline scripts nor external code); presentation attributes only, every text escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b6e4f", "#f2a900", "#c0392b", "#2f6fb0", "#7d5ba6", "#6b7b76")


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10^n) so that ``ticks`` steps cover ``top``."""
    if top <= 0:
        return 1
    raw = top / ticks
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}".replace(",", "\u00a0"),
    width: int = 760,
    height: int = 260,
) -> SafeString:
    """Grouped bars: one group per label, one bar per series, a y axis with round ticks (the legend
    is ``legend``). ``title`` becomes the accessible name (``<title>`` and ``aria-label``)."""
    left, right, top, bottom = 78, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for _name, values in series for v in values] or [0])
    step = nice_step(float(peak))
    y_top = step * max(1, -(-peak // step)) if peak else step * 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    tick = 0.0
    while tick <= y_top + 1e-9:
        y = top + plot_h - plot_h * tick / y_top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e8e6"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#55625e">'
            f"{escape(fmt(tick))}</text>"
        )
        tick += step
    groups = max(len(labels), 1)
    group_w = plot_w / groups
    n = max(len(series), 1)
    bar_w = max(min(group_w * 0.8 / n, 28), 1.5)
    every = max(1, -(-groups // 12))  # at most ~12 x labels
    for i, label in enumerate(labels):
        x0 = left + i * group_w + (group_w - bar_w * n) / 2
        for j, (name, values) in enumerate(series):
            value = float(values[i]) if i < len(values) else 0.0
            h = plot_h * value / y_top if y_top else 0
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(label)} – {escape(name)}: {escape(fmt(value))}</title></rect>"
            )
        if i % every == 0:
            cx = left + i * group_w + group_w / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                f'fill="#55625e">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9aa8a3"/>'
    )
    parts.append("</svg>")
    # Numbers are formatted with format specs, which format_html cannot take (it escapes first).
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703  # nosemgrep: django-mark-safe-non-literal – escaped text and numbers only


def legend(names: Sequence[str]) -> SafeString:
    """The chart's legend as HTML (wraps with the page, any label length): a swatch per series."""
    items = format_html_join(
        "",
        '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        'fill="{}"/></svg> {}</li>',
        ((PALETTE[j % len(PALETTE)], name) for j, name in enumerate(names)),
    )
    return format_html('<ul class="legend">{}</ul>', items)

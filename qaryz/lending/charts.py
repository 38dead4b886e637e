"""Server-rendered SVG chart of draft schedules (no script; CSP-safe presentation attributes)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

COLORS = {"annuity": "#0b6e4f", "differentiated": "#f2a900"}


def _nice_step(top: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2 or 5 × 10^n) so that ``ticks`` steps cover ``top``."""
    raw = top / ticks
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def schedule_bars(
    offers: list[dict],
    width: int = 640,
    height: int = 220,
    fmt: Callable[[Decimal], str] = str,
    method_label: Callable[[str], str] = str,
) -> dict:
    """Bars of each instalment's total per method, grouped by instalment number, with axes.

    The y axis carries round amounts (``fmt`` formats them in the page's language), the x axis the
    instalment numbers; each bar's title names the method, the number and the amount.
    """
    if not offers:
        return {"bars": [], "width": width, "height": height}
    left, bottom, top_pad = 96, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    count = max(len(o["instalments"]) for o in offers)
    peak = max(Decimal(str(i["total"])) for o in offers for i in o["instalments"]) or Decimal(1)
    step = _nice_step(peak)
    top = step * ((peak / step).to_integral_value(rounding="ROUND_CEILING") or 1)
    group = plot_w / count
    bar = max(group / (len(offers) + 1), 1.0)
    base = height - bottom
    bars = []
    for m, offer in enumerate(offers):
        for k, inst in enumerate(offer["instalments"]):
            total = Decimal(str(inst["total"]))
            h = float(total / top) * plot_h
            bars.append(
                {
                    "x": round(left + k * group + (group - bar * len(offers)) / 2 + m * bar, 1),
                    "y": round(base - h, 1),
                    "w": round(bar * 0.9, 1),
                    "h": round(h, 1),
                    "fill": COLORS.get(offer["method"], "#666"),
                    "title": f"{method_label(offer['method'])} № {inst['number']}: {fmt(total)}",
                }
            )
    y_ticks = []
    value = Decimal(0)
    while value <= top:
        y_ticks.append({"y": round(base - float(value / top) * plot_h, 1), "label": fmt(value)})
        value += step
    every = max(1, -(-count // 12))  # at most about 12 labels on the x axis
    x_ticks = [
        {"x": round(left + k * group + group / 2, 1), "label": str(k + 1)}
        for k in range(count)
        if k % every == 0 or k == count - 1
    ]
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "left": left,
        "base": base,
        "right": width - 8,
        "top": top_pad,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "legend": [(o["method"], COLORS.get(o["method"], "#666")) for o in offers],
    }

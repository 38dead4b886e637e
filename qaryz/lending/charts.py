"""Server-rendered SVG chart of draft schedules (no script; CSP-safe presentation attributes)."""

from __future__ import annotations

from decimal import Decimal

COLORS = {"annuity": "#0b6e4f", "differentiated": "#f2a900"}


def schedule_bars(offers: list[dict], width: int = 640, height: int = 200) -> dict:
    """Bars of each instalment's total per method, grouped by instalment number."""
    if not offers:
        return {"bars": [], "width": width, "height": height}
    count = max(len(o["instalments"]) for o in offers)
    top = max(Decimal(str(i["total"])) for o in offers for i in o["instalments"]) or Decimal(1)
    group = (width - 40) / count
    bar = max(group / (len(offers) + 1), 1.0)
    bars = []
    for m, offer in enumerate(offers):
        for k, inst in enumerate(offer["instalments"]):
            h = float(Decimal(str(inst["total"])) / top) * (height - 30)
            bars.append(
                {
                    "x": round(30 + k * group + m * bar, 1),
                    "y": round(height - 20 - h, 1),
                    "w": round(bar * 0.9, 1),
                    "h": round(h, 1),
                    "fill": COLORS.get(offer["method"], "#666"),
                    "title": f"{offer['method']} #{inst['number']}: {inst['total']}",
                }
            )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "legend": [(o["method"], COLORS.get(o["method"], "#666")) for o in offers],
    }

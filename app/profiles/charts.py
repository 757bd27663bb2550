"""The data behind the profile page's charts, from a profile and its record sections.

Plain lists (oldest month first) that `static/js/profile-charts.js` draws; the page shows the
same figures in tables, so it reads without JavaScript.
"""

from __future__ import annotations

from typing import Any

UTILITIES = ("water", "electricity", "gas", "heating")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def chart_data(profile: dict | None, sections: dict) -> dict[str, Any]:
    """`{dimensions: [{name, score}], tax: {periods, amounts}, utilities: {periods,
    series: {utility: [paid…]}}, social: {periods, headcount}}`."""
    data: dict[str, Any] = {"dimensions": []}
    if profile:
        data["dimensions"] = [
            {"name": d["name"], "score": d["score"]} for d in profile["dimensions"]
        ]
    tax = sections.get("tax_payments", {})
    rows = list(reversed(tax.get("monthly") or []))
    data["tax"] = {
        "periods": [r["period"] for r in rows],
        "amounts": [_number(r["amount"]) for r in rows],
    }
    bills = sections.get("utility_bills", {}).get("monthly") or []
    periods = sorted({b["period"] for b in bills})
    index = {p: i for i, p in enumerate(periods)}
    series: dict[str, list[float | None]] = {}
    for bill in bills:
        values = series.setdefault(bill["utility"], [None] * len(periods))
        values[index[bill["period"]]] = _number(bill["amount_paid"])
    data["utilities"] = {
        "periods": periods,
        "series": {u: series[u] for u in UTILITIES if u in series},
    }
    social = list(reversed(sections.get("social_insurance", {}).get("monthly") or []))
    data["social"] = {
        "periods": [r["period"] for r in social],
        "headcount": [r["headcount"] for r in social],
    }
    return data

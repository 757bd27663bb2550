"""The public scorecard page: anyone, signed in or not, can read how scores are made."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from app.scoring import services
from app.scoring.features import FEATURES
from app.scoring.scorecard import REASONS

bp = Blueprint("scoring", __name__)

PERCENT_FEATURES = {"tax_paid_ratio", "tax_on_time_ratio", "utility_on_time_ratio", "si_continuity"}


def _fmt(feature: str, value: float) -> str:
    """A cut as people write it: 95%, 1,000,000, 0.95 (never 1e+06)."""
    if feature in PERCENT_FEATURES:
        return f"{format(Decimal(str(value)) * 100, 'f').rstrip('0').rstrip('.')}%"
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def rule_bands(rule: dict[str, Any]) -> list[tuple[str, Any]]:
    """A rule as (condition, points) rows, e.g. ("1 – 2", 75), ("≥ 4", 20)."""
    feature = rule["feature"]
    if "map" in rule:
        return list(rule["map"].items())
    if "if_true" in rule:
        return [(_("是"), rule["if_true"]), (_("否"), rule["if_false"])]
    cuts, points = rule["cuts"], rule["points"]
    rows = [(f"< {_fmt(feature, cuts[0])}", points[0])]
    for low, high, pts in zip(cuts, cuts[1:], points[1:], strict=False):
        rows.append((f"{_fmt(feature, low)} – {_fmt(feature, high)}", pts))
    rows.append((f"≥ {_fmt(feature, cuts[-1])}", points[-1]))
    return rows


def _view(card) -> dict[str, Any]:
    english = str(get_locale() or "zh") == "en"
    return {
        "card": card,
        "english": english,
        "features": FEATURES,
        "reasons": REASONS,
        "rule_bands": rule_bands,
    }


@bp.route("/scorecards")
def index():
    card = services.active_scorecard()
    return render_template(
        "scoring/scorecard.html", versions=services.list_versions(), **_view(card)
    )


@bp.route("/scorecards/<int:version>")
def version(version: int):
    card = services.get_version(version)
    return render_template(
        "scoring/scorecard.html", versions=services.list_versions(), **_view(card)
    )

"""The enterprise's own profile page: score, dimensions, reasons, coverage and its records."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.bankview.profile import own_preview, template_context
from app.consent.guard import ALL_CATEGORIES
from app.profiles import services
from app.profiles.charts import chart_data

bp = Blueprint("profiles", __name__)


def own_profile(enterprise, locale: str) -> dict | None:
    """The enterprise's current profile (its own: no guard, no authorization needed)."""
    snapshot = services.latest_profile(enterprise.id)
    return services.profile_dict(snapshot, locale) if snapshot else None


@bp.route("/enterprise/profile")
@role_required(Role.ENTERPRISE)
def enterprise_profile():
    enterprise = current_user.enterprise
    locale = str(get_locale() or "zh")
    profile = own_profile(enterprise, locale)
    records = own_preview(enterprise, ALL_CATEGORIES)
    return render_template(
        "profiles/enterprise_profile.html",
        enterprise=enterprise,
        score=profile,
        profile=records,
        charts=chart_data(profile, records["sections"]),
        **template_context(),
    )

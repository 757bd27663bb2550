"""The enterprise's own profile (enterprise token)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import get_locale
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.enterprises import ProfileScore, profile_fields
from app.api.schemas import DayText, answer
from app.api.spec import doc
from app.auth.models import Role
from app.profiles.services import latest_profile, profile_dict


class OwnProfile(ProfileScore):
    confidence: float | None = Field(description="0–1: how much data fed the score")
    as_of: DayText | None = Field(description="the day of the data behind the score")


@bp.route("/me/profile")
@api_auth(Role.ENTERPRISE)
@doc(response=OwnProfile, tag="profiles")
def my_profile():
    """The caller's own current profile: score, grade, dimensions, reasons, coverage, features.

    Score fields are null until the first profile is built (after its records are imported).
    """
    enterprise = current_api_user().enterprise
    snapshot = latest_profile(enterprise.id)
    scoring = profile_dict(snapshot, str(get_locale() or "zh")) if snapshot else {}
    body = {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        **profile_fields(scoring),
        "coverage": scoring.get("coverage", {}),
        "confidence": scoring.get("confidence"),
        "as_of": scoring.get("as_of"),
    }
    return jsonify(answer(OwnProfile, body))

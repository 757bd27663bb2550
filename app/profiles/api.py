"""The enterprise's own profile (enterprise token), and the score part every profile answer
shares (the bank's view, `app.bankview.api`, adds its authorization to it)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import get_locale
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import DayText, InstantText, Shape, answer
from app.api.spec import doc
from app.auth.models import Role
from app.profiles.services import latest_profile, profile_dict


class Dimension(Shape):
    code: str
    name: str
    score: float | int | None = Field(description="0–100")
    weight: float | int


class Reason(Shape):
    code: str
    message: str


class ProfileScore(Shape):
    """The score part of a profile (`profile_fields`): null / empty when withheld or absent."""

    uscc: str
    name: str
    score: int | None = Field(ge=0, le=1000)
    grade: str | None
    model_version: int | None
    computed_at: InstantText | None
    dimensions: list[Dimension]
    reasons: list[Reason]
    coverage: dict[str, int] = Field(description="records per category that fed the score")
    features: dict[str, Any]
    snapshot_id: int | None


def profile_fields(scoring: dict) -> dict:
    """The profile keys of the API from a scoring view (None / empty when withheld or absent)."""
    return {
        "score": scoring.get("score"),
        "grade": scoring.get("grade"),
        "model_version": scoring.get("model_version"),
        "computed_at": scoring.get("computed_at"),
        "dimensions": [
            {k: d[k] for k in ("code", "name", "score", "weight")}
            for d in scoring.get("dimensions") or []
        ],
        "reasons": [
            {"code": r["code"], "message": r["message"]} for r in scoring.get("reasons") or []
        ],
        "features": scoring.get("features") or {},
        "snapshot_id": scoring.get("snapshot_id"),
    }


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

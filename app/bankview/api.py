"""Bank-facing enterprise data, always through the consent guard."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.errors import error_response
from app.api.schemas import Day, DayText, Query, Shape, answer, read_query
from app.api.spec import doc
from app.auth.models import BANK_ROLES
from app.bankview.profile import bank_profile
from app.consent.guard import DAILY_CAP, DATA_RANGE
from app.consent.terms import denial_message
from app.profiles.api import ProfileScore, profile_fields


class ProfileAuthorization(Shape):
    id: int | None
    purpose: str | None
    terms: dict[str, Any]
    data_from: dict[str, DayText | None] = Field(
        description="per category, the first day of the data shown (null: all on record)"
    )


class EnterpriseProfile(ProfileScore):
    score_authorized: bool
    score_requires: list[str] = Field(description="the categories the score needs and lacks")
    categories: list[str] = Field(description="the categories the authorization covers")
    authorization: ProfileAuthorization
    facts: dict[str, Any] = Field(description="key facts of the authorized categories")
    sections: dict[str, Any] = Field(
        description='one per category; {"authorized": false} where not covered'
    )


class ProfileQuery(Query):
    from_: Day | None = Field(
        None,
        alias="from",
        description="the data from this day on (refused before the authorized range)",
    )


@bp.route("/enterprises/<uscc>/profile")
@api_auth(*BANK_ROLES)
@doc(response=EnterpriseProfile, query=ProfileQuery, tag="enterprises")
def enterprise_profile(uscc: str):
    """An enterprise's profile as the caller's bank is authorized to see it.

    403 without an in-force query authorization of this enterprise to the caller's bank;
    sections the authorization does not cover come back as {"authorized": false}. The score,
    grade, dimensions, reasons and features are given only when the authorization covers
    every non-public category that fed the score (else null, with `score_requires` naming
    what is missing, or cut short by the authorization's date range); `snapshot_id` names
    the profile snapshot shown. `?from=YYYY-MM-DD` asks for the data from that day on: 403
    `data_range` when the authorization's range starts later (without it, the records shown
    start where the range does: `authorization.data_from`); 403 `daily_cap` past the day's
    reads. Every call, allowed or denied, is written to the enterprise's access log.
    """
    profile = bank_profile(
        current_api_user(), uscc, endpoint=request.path, channel="api", ip=request.remote_addr,
        since=read_query(ProfileQuery).from_,
    )  # fmt: skip
    decision = profile.decision
    if not decision.allowed:
        code = decision.reason if decision.reason in (DAILY_CAP, DATA_RANGE) else "not_authorized"
        message = denial_message(decision.reason, decision.terms)
        return error_response(403, code, message, summary=profile.data["summary"])
    data = profile.data
    scoring = data["scoring"]
    body = {
        "uscc": data["uscc"],
        "name": data["name"],
        **profile_fields(scoring),
        "coverage": data.get("coverage", {}),
        "score_authorized": scoring["authorized"],
        "score_requires": scoring["requires"],
        "categories": data["categories"],
        "authorization": data["authorization"],
        "facts": data["facts"],
        "sections": data["sections"],
    }
    return jsonify(answer(EnterpriseProfile, body))

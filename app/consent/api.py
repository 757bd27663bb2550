"""The enterprise's authorizations, both kinds in one API: GET / POST /api/v1/authorizations,
DELETE …/{id}. `grantee: "platform"` is the collection authorization (the platform may
collect the non-public categories), a bank code a query authorization (that bank may view
them, for a purpose).

A consent text version that does not exist is bad input (422 naming
`consent_text_version`); one that exists but is no longer current is refused by the service
with 409 `stale_consent_text`, whatever the kind.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify, request
from flask_babel import gettext as _
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import (
    Body,
    Integer,
    Query,
    Shape,
    checked_by_service,
    choice,
    parse,
    read_query,
)
from app.api.spec import doc
from app.auth.models import Role
from app.banks.services import get_bank_by_code
from app.consent import services
from app.consent.models import DATA_MONTHS, KINDS, PURPOSES, STATES, Authorization
from app.consent.terms import Terms, sentences
from app.errors import NotFound, ValidationFailed


class AuthorizationShown(Shape):
    id: int
    kind: choice(KINDS)  # type: ignore[valid-type]
    grantee: str = Field(description="platform, or the bank code")
    categories: list[str]
    purpose: str | None = Field(description="query: one of " + ", ".join(PURPOSES))
    purpose_note: str | None
    application_id: int | None
    reads_per_day: int | None = Field(
        description="query: the bank's reads a day (Shanghai) after which it is refused"
    )
    data_from: date | None = Field(
        description="query: the bank sees records from this day on (null: all on record)"
    )
    keep_copy_days: int | None = Field(
        description="query: days the bank may keep a downloaded copy (0: none)"
    )
    terms: dict[str, str] = Field(description="query: each term in the words shown and enforced")
    state: choice(STATES)  # type: ignore[valid-type]
    valid_from: datetime
    valid_until: datetime | None
    method: str = Field(description="online, or paper (recorded by the operator)")
    consent_text_version: int | None
    consent_text_sha256: str | None


class Grant(Body):
    grantee: str = Field(description="a bank code, or platform")
    categories: list[str]
    purpose: checked_by_service(PURPOSES) | None = Field(  # type: ignore[valid-type]
        None, description="query: required"
    )
    application_id: Integer | None = None
    data_months: choice(DATA_MONTHS) | None = Field(  # type: ignore[valid-type]
        None, description="query: the data of the last N months (36 unless given)"
    )
    keep_copy_days: Integer | None = Field(
        None,
        description="query: days the bank may keep a downloaded copy (0, the default: none)",
    )  # fmt: skip
    days: Integer | None = Field(
        None, description="query: 30 unless given, at most 90; collection: until revoked"
    )
    reads_per_day: Integer | None = Field(
        None,
        description="query: the bank's reads a day before it is refused (20 unless given)",
    )  # fmt: skip
    consent_text_version: Integer | None = Field(
        None, description="the version shown to the user; the current one when omitted"
    )
    locale: str = Field("zh", description="of the text shown")


def authorization_json(auth: Authorization) -> dict:
    return {
        "id": auth.id,
        "kind": auth.kind,
        "grantee": auth.grantee_bank.code if auth.grantee_bank else "platform",
        "categories": auth.categories,
        "purpose": auth.purpose,
        "purpose_note": auth.purpose_note,
        "application_id": auth.application_id,
        "reads_per_day": auth.reads_per_day,
        "data_from": auth.data_from.isoformat() if auth.data_from else None,
        "keep_copy_days": auth.keep_copy_days,
        "terms": sentences(Terms.of(auth)) if auth.kind == "query" else {},
        "state": auth.effective_state(),
        "valid_from": auth.valid_from.isoformat(),
        "valid_until": auth.valid_until.isoformat() if auth.valid_until else None,
        "method": auth.method,
        "consent_text_version": auth.consent_text.version if auth.consent_text else None,
        "consent_text_sha256": auth.consent_text_sha256,
    }


class AuthorizationsQuery(Query):
    kind: choice(KINDS) | None = None  # type: ignore[valid-type]


@bp.route("/authorizations")
@api_auth(Role.ENTERPRISE)
@doc(response=list[AuthorizationShown], query=AuthorizationsQuery, tag="authorizations")
def list_authorizations():
    """The caller's own authorizations (collection and bank query), newest first;
    `?kind=collection` or `?kind=query` for one kind."""
    kind = read_query(AuthorizationsQuery).kind
    items = services.list_authorizations(current_api_user().enterprise_id, kind)
    return jsonify([authorization_json(a) for a in items])


@bp.route("/authorizations", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=Grant, response=AuthorizationShown, status=201, tag="authorizations")
def create_authorization():
    """Authorize a named bank to view categories for a purpose (30 days unless `days`, ≤ 90).

    `grantee: "platform"` grants the collection authorization instead. Answers 201.
    """
    body = parse(Grant)
    categories = body.categories
    grantee = body.grantee.strip()
    user = current_api_user()
    kind = "collection" if grantee.lower() == "platform" else "query"
    version, locale = body.consent_text_version, body.locale or "zh"
    text = (
        services.get_text_version(kind, version, locale)
        if version is not None
        else services.current_text(kind, locale)
    )
    if text is None:
        raise ValidationFailed("consent_text_version", _("授权书版本不存在"))
    common = {
        "user_id": user.id,
        "ip": request.remote_addr,
        "text_id": text.id,
        "days": body.days,
    }
    if kind == "collection":
        auth = services.grant_collection(user.enterprise_id, categories, **common)
    else:
        bank = get_bank_by_code(grantee) if grantee else None
        if bank is None:
            raise NotFound(_("被授权银行不存在或已停用"), code="bank_not_found")
        auth = services.grant_query(
            user.enterprise_id,
            bank.id,
            categories,
            purpose=body.purpose or "",
            application_id=body.application_id,
            reads_per_day=body.reads_per_day,
            data_months=body.data_months,
            keep_copy_days=body.keep_copy_days,
            **common,
        )
    return jsonify(authorization_json(auth)), 201


@bp.route("/authorizations/<int:authorization_id>", methods=["DELETE"])
@api_auth(Role.ENTERPRISE)
@doc(response=AuthorizationShown, tag="authorizations")
def revoke_authorization(authorization_id: int):
    """Revoke one of the caller's authorizations, effective immediately (409 if not active)."""
    user = current_api_user()
    auth = services.revoke(authorization_id, user_id=user.id, enterprise_id=user.enterprise_id)
    return jsonify(authorization_json(auth))

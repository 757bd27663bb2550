"""Credit reports over the API: the enterprise's own, a bank's under the guard, and the
public verification (报告验真)."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.errors import error_response
from app.api.spec import doc
from app.auth.models import BANK_ROLES, Role
from app.consent.guard import ALL_CATEGORIES, DAILY_CAP, check_bank_access
from app.consent.terms import denial_message
from app.enterprises import services as enterprises
from app.errors import NotFound
from app.extensions import db, limiter
from app.reports import services

PDF = {"type": "string", "format": "binary"}
VERIFY_REQUEST = {
    "type": "object",
    "required": ["number", "code"],
    "properties": {
        "number": {"type": "string", "example": "XYD20261118000001"},
        "code": {"type": "string", "description": "the verification code printed in the PDF"},
        "sha256": {"type": "string", "description": "SHA-256 of the PDF (hex), to compare"},
    },
}
VERIFY_RESPONSE = {
    "type": "object",
    "properties": {
        "outcome": {
            "type": "string",
            "enum": ["unchanged", "altered", "code_only", "not_found"],
            "description": "not_found: no report with this number and code",
        },
        "report": {
            "type": "object",
            "nullable": True,
            "properties": {
                "number": {"type": "string"},
                "enterprise": {"type": "string"},
                "uscc": {"type": "string"},
                "issued_at": {"type": "string", "format": "date-time"},
                "as_of": {"type": "string", "format": "date", "nullable": True},
                "score": {"type": "integer", "nullable": True},
                "grade": {"type": "string", "nullable": True},
                "sha256": {"type": "string"},
            },
        },
    },
}


def _pdf(issued: services.Issued) -> Response:
    return Response(
        issued.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename={issued.filename}",
            "X-Report-Number": issued.report.number,
            "X-Report-SHA256": issued.report.pdf_sha256,
        },
    )


def _verify_url() -> str:
    return url_for("reports.verify", _external=True)


@bp.route("/me/reports", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(response=PDF, response_type="application/pdf", tag="reports")
def issue_my_report():
    """Issue the caller's credit report now (a PDF; headers X-Report-Number, X-Report-SHA256).

    The verification code is printed in the PDF only; the platform keeps its hash and the
    SHA-256 of the bytes returned (see docs/reports.md)."""
    user = current_api_user()
    issued = services.issue(user.enterprise, user=user, verify_url=_verify_url())
    db.session.commit()
    return _pdf(issued)


@bp.route("/enterprises/<uscc>/report", methods=["POST"])
@api_auth(*BANK_ROLES)
@doc(response=PDF, response_type="application/pdf", tag="reports")
def issue_bank_report(uscc: str):
    """Issue an enterprise's credit report to the caller's bank (a PDF).

    403 without an in-force query authorization of the enterprise to the bank; with one, the
    report holds exactly the covered categories. Every call is on the enterprise's access log.
    """
    user = current_api_user()
    enterprise = enterprises.get_by_uscc(uscc)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    decision = check_bank_access(
        user, enterprise, ALL_CATEGORIES, endpoint=request.path, channel="api",
        ip=request.remote_addr,
    )  # fmt: skip
    if not decision.allowed:
        code = decision.reason if decision.reason == DAILY_CAP else "not_authorized"
        return error_response(403, code, denial_message(decision.reason, decision.terms))
    issued = services.issue(enterprise, user=user, verify_url=_verify_url(), decision=decision)
    db.session.commit()
    return _pdf(issued)


def _verify_limit() -> str:
    return current_app.config["REPORT_VERIFY_RATE_LIMIT"]


@bp.route("/reports/verify", methods=["POST"])
@limiter.limit(_verify_limit)
@doc(request=VERIFY_REQUEST, response=VERIFY_RESPONSE, tag="reports")
def verify_report():
    """Verify a credit report (public, rate-limited): number + code, and the PDF's SHA-256.

    A wrong code and an unknown number both answer not_found; every check of a real number
    is logged for its enterprise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    result = services.verify(
        str(body.get("number") or ""),
        str(body.get("code") or ""),
        sha256=str(body.get("sha256") or ""),
        ip=request.remote_addr,
    )
    db.session.commit()
    report = result.report
    return jsonify(
        {
            "outcome": str(result.outcome) if result.outcome else "not_found",
            "report": None
            if report is None
            else {
                "number": report.number,
                "enterprise": report.enterprise.name,
                "uscc": report.enterprise.uscc,
                "issued_at": report.issued_at.isoformat(),
                "as_of": report.as_of.isoformat() if report.as_of else None,
                "score": report.score,
                "grade": report.grade,
                "sha256": report.pdf_sha256,
            },
        }
    )

"""Credit reports over the API: the enterprise's own, a bank's under the guard, and the
public verification (报告验真)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.errors import error_response
from app.api.schemas import BINARY, Body, Shape, choice, parse
from app.api.spec import doc
from app.auth.models import BANK_ROLES, Role
from app.consent.guard import ALL_CATEGORIES, DAILY_CAP, check_bank_access
from app.consent.terms import denial_message
from app.enterprises import services as enterprises
from app.errors import NotFound
from app.extensions import limiter
from app.reports import services
from app.reports.models import Outcome

# What a verification answers: a wrong code is not_found, like an unknown number.
SHOWN_OUTCOMES = (Outcome.UNCHANGED, Outcome.ALTERED, Outcome.CODE_ONLY, "not_found")


class VerifiedReport(Shape):
    number: str
    enterprise: str
    uscc: str
    issued_at: datetime
    as_of: date | None
    score: int | None
    grade: str | None
    sha256: str


class ReportVerification(Shape):
    outcome: choice(SHOWN_OUTCOMES) = Field(  # type: ignore[valid-type]
        description="not_found: no report with this number and code"
    )
    report: VerifiedReport | None


class VerifyRequest(Body):
    number: str = Field(examples=["XYD20261118000001"])
    code: str = Field(description="the verification code printed in the PDF")
    sha256: str = Field("", description="SHA-256 of the PDF (hex), to compare")


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
@doc(response=BINARY, response_type="application/pdf", tag="reports")
def issue_my_report():
    """Issue the caller's credit report now (a PDF; headers X-Report-Number, X-Report-SHA256).

    The verification code is printed in the PDF only; the platform keeps its hash and the
    SHA-256 of the bytes returned (see docs/reports.md)."""
    user = current_api_user()
    issued = services.issue(user.enterprise, user=user, verify_url=_verify_url())
    return _pdf(issued)


@bp.route("/enterprises/<uscc>/report", methods=["POST"])
@api_auth(*BANK_ROLES)
@doc(response=BINARY, response_type="application/pdf", tag="reports")
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
    return _pdf(issued)


def _verify_limit() -> str:
    return current_app.config["REPORT_VERIFY_RATE_LIMIT"]


@bp.route("/reports/verify", methods=["POST"])
@limiter.limit(_verify_limit)
@doc(request=VerifyRequest, response=ReportVerification, tag="reports")
def verify_report():
    """Verify a credit report (public, rate-limited): number + code, and the PDF's SHA-256.

    A wrong code and an unknown number both answer not_found; every check of a real number
    is logged for its enterprise."""
    body = parse(VerifyRequest)
    result = services.verify(body.number, body.code, sha256=body.sha256, ip=request.remote_addr)
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

"""Credit report pages: the enterprise's reports and their checks, a bank's download under
the guard, and the public verification page (报告验真)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import BANK_ROLES, Role
from app.consent.guard import ALL_CATEGORIES, check_bank_access
from app.consent.terms import denial_message
from app.enterprises import services as enterprises
from app.errors import NotFound, ValidationFailed
from app.extensions import db, limiter
from app.paging import read_page
from app.reports import services
from app.reports.models import Method, Outcome
from app.unit_of_work import discard

bp = Blueprint("reports", __name__)

OUTCOME_LABELS = {
    Outcome.UNCHANGED: _l("报告真实，文件未被改动"),
    Outcome.ALTERED: _l("编号和验证码正确，但文件与平台出具的不一致"),
    Outcome.CODE_ONLY: _l("编号和验证码正确（未提供文件，未比对内容）"),
    Outcome.WRONG_CODE: _l("验证码错误"),
}
METHOD_LABELS = {
    Method.FILE: _l("上传文件"),
    Method.HASH: _l("填写 SHA-256"),
    Method.NONE: _l("仅编号和验证码"),
}


def _labels() -> dict:
    return {
        "outcome_labels": {k.value: str(v) for k, v in OUTCOME_LABELS.items()},
        "method_labels": {k.value: str(v) for k, v in METHOD_LABELS.items()},
    }


def _pdf(issued: services.Issued) -> Response:
    return Response(
        issued.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={issued.filename}"},
    )


def _verify_url() -> str:
    return url_for("reports.verify", _external=True)


@bp.route("/enterprise/reports")
@role_required(Role.ENTERPRISE)
def mine():
    enterprise = current_user.enterprise
    reports = read_page(services.reports_of(enterprise.id))
    checks = read_page(services.verifications_of(enterprise.id), param="checks_page")
    return render_template(
        "reports/mine.html",
        reports=reports.rows,
        listed=reports,
        checks=checks.rows,
        checks_listed=checks,
        **_labels(),
    )


@bp.route("/enterprise/reports", methods=["POST"])
@role_required(Role.ENTERPRISE)
def issue_own():
    issued = services.issue(
        current_user.enterprise,
        user=current_user,
        verify_url=_verify_url(),
        locale=str(get_locale() or "zh"),
    )
    return _pdf(issued)


@bp.route("/bank/enterprises/<uscc>/report", methods=["POST"])
@role_required(*BANK_ROLES)
def issue_for_bank(uscc: str):
    enterprise = enterprises.get_by_uscc(uscc)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    decision = check_bank_access(
        current_user, enterprise, ALL_CATEGORIES,
        endpoint=request.path, channel="web", ip=request.remote_addr,
    )  # fmt: skip
    if not decision.allowed:
        message = denial_message(decision.reason, decision.terms)
        return render_template("errors/error.html", status=403, message=message), 403
    issued = services.issue(
        enterprise,
        user=current_user,
        verify_url=_verify_url(),
        locale=str(get_locale() or "zh"),
        decision=decision,
    )
    return _pdf(issued)


def _verify_limit() -> str:
    return current_app.config["REPORT_VERIFY_RATE_LIMIT"]


@bp.route("/reports/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify():
    """Public: anyone holding a report checks it (number + code, and the file or its hash)."""
    form = {
        "number": request.values.get("number", "").strip(),
        "code": request.form.get("code", ""),
        "sha256": request.form.get("sha256", ""),
    }
    if request.method == "GET":
        return render_template("reports/verify.html", form=form, result=None, **_labels())
    upload = request.files.get("pdf")
    data = upload.read() if upload and upload.filename else None
    try:
        result = services.verify(
            form["number"], form["code"], pdf=data, sha256=form["sha256"], ip=request.remote_addr
        )
    except ValidationFailed as exc:
        discard()
        return render_template(
            "reports/verify.html", form=form, result=None, error=exc.message, **_labels()
        ), 422
    db.session.commit()  # the check is logged for its enterprise, also one that answers 422
    status = 200 if result.outcome in (Outcome.UNCHANGED, Outcome.CODE_ONLY) else 422
    return render_template("reports/verify.html", form=form, result=result, **_labels()), status

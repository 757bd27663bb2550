"""Issuing a credit report and verifying one (报告验真).

`issue()` is the one way a report is made, for the enterprise itself (every category) and
for a bank (the categories the guard's decision covers, so the PDF shows exactly what the
bank's profile page would). It renders the PDF with WeasyPrint (HTML + CSS; Chinese set in
Noto Sans CJK, which the project's setup installs and WeasyPrint embeds as a subset), then
stores the number, a hash of the verification code and the SHA-256 of the bytes.

`verify()` answers a number + code, with the PDF or its SHA-256 when given, and logs every
check of a real number for the enterprise to see.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date

import segno
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select
from werkzeug.security import check_password_hash

from app.auth.models import User
from app.auth.services import hash_password
from app.bankview.profile import own_preview, scoring_view, template_context
from app.clock import local_today, utcnow
from app.consent.guard import ALL_CATEGORIES, AccessDecision
from app.consent.terms import sentences
from app.enterprises import services as enterprises
from app.enterprises.models import Enterprise
from app.errors import ValidationFailed
from app.extensions import db
from app.profiles.services import latest_profile
from app.reports.models import CreditReport, Method, Outcome, ReportVerification
from app.scoring.features import FEATURES, windows
from app.util import to_local

# The code printed in the report: 8 characters without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
NUMBER_RE = re.compile(r"^XYD\d{8}\d{6}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Issued:
    report: CreditReport
    pdf: bytes
    code: str

    @property
    def filename(self) -> str:
        return f"credit-report-{self.report.number}.pdf"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What a person types: spaces, dashes and lower case forgiven."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def report_number(issued_on: date, report_id: int) -> str:
    """XYD + the issue date + the report's id (6 digits): unique, and readable aloud."""
    return f"XYD{issued_on:%Y%m%d}{report_id % 1_000_000:06d}"


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (vector: sharp in print)."""
    return segno.make(url, error="m").svg_inline(scale=3, border=2)


def issue(
    enterprise: Enterprise,
    *,
    user: User,
    verify_url: str,
    locale: str = "zh",
    decision: AccessDecision | None = None,
) -> Issued:
    """Make a report of `enterprise` now: for the enterprise (`decision` None, every
    category) or for `user`'s bank under the guard's `decision` (only its categories)."""
    categories = set(ALL_CATEGORIES) if decision is None else set(decision.categories)
    snapshot = latest_profile(enterprise.id)
    with force_locale(locale):
        scoring = scoring_view(
            snapshot, categories, locale, ranges=decision.ranges if decision else None
        )
    period = windows(snapshot.as_of) if snapshot else None
    code = new_code()
    report = CreditReport(
        number="",
        enterprise_id=enterprise.id,
        snapshot_id=snapshot.id if snapshot else None,
        issued_at=utcnow(),
        issued_by_id=user.id,
        bank_id=None if decision is None else user.bank_id,
        authorization_id=None if decision is None else decision.authorization_id,
        access_log_id=None if decision is None else decision.log_id,
        categories=sorted(categories),
        locale=locale,
        as_of=snapshot.as_of if snapshot else None,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        score=scoring.get("score") if scoring.get("authorized") else None,
        grade=scoring.get("grade") if scoring.get("authorized") else None,
        code_hash=hash_password(code),
        pdf_sha256="",
        pdf_size=0,
    )
    db.session.add(report)
    db.session.flush()
    report.number = report_number(local_today(), report.id)
    pdf = render_pdf(report, enterprise, scoring, code, verify_url, locale, decision)
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.pdf_size = len(pdf)
    db.session.flush()
    return Issued(report, pdf, code)


def render_pdf(
    report: CreditReport,
    enterprise: Enterprise,
    scoring: dict,
    code: str,
    verify_url: str,
    locale: str,
    decision: AccessDecision | None = None,
) -> bytes:
    """The PDF; for a bank, only the data `decision` lets it see, and the authorization's
    terms (`consent.terms`), the copy-keeping term with the day its copy must be gone."""
    from weasyprint import HTML  # imported on use: it loads Pango

    with force_locale(locale):
        english = locale == "en"
        profile = own_preview(
            enterprise, report.categories, ranges=decision.ranges if decision else None
        )
        terms_shown: dict[str, str] = {}
        if decision is not None and decision.terms is not None:
            terms_shown = sentences(decision.terms, downloaded_at=report.issued_at)
        link = f"{verify_url}?number={report.number}"
        features = [
            (spec.label_en if english else spec.label_zh, scoring["features"][name])
            for name, spec in FEATURES.items()
            if scoring.get("features", {}).get(name) is not None
        ]
        html = render_template(
            "reports/pdf.html",
            report=report,
            enterprise=enterprise,
            region=enterprises.region_names().get(enterprise.region_code or ""),
            industry=enterprises.industry_names().get(enterprise.industry_code or ""),
            profile=profile,
            scoring=scoring,
            features=features,
            code=shown_code(code),
            issued_local=to_local(report.issued_at),
            verify_url=verify_url,
            qr=qr_svg(link),
            terms=terms_shown,
            **template_context(),
        )
    return HTML(string=html).write_pdf()


# --- verification --------------------------------------------------------------------------


@dataclass
class Verification:
    outcome: Outcome | None  # None: no report with that number and code
    report: CreditReport | None = None


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(
    number: str,
    code: str,
    *,
    pdf: bytes | None = None,
    sha256: str | None = None,
    ip: str | None = None,
) -> Verification:
    """Check `number` + `code`, and the file (or its SHA-256) against the issued bytes.

    An unknown number answers as a wrong code does (nothing tells which numbers exist); a
    real number's every check is logged for its enterprise.
    """
    number = (number or "").strip().upper()
    code = normalize_code(code)
    digest = (sha256 or "").strip().lower()
    if digest and not SHA256_RE.match(digest):
        raise ValidationFailed("sha256", _("SHA-256 应为 64 位十六进制数字"), code="bad_sha256")
    if not NUMBER_RE.match(number) or len(code) != CODE_LENGTH:
        return Verification(None)
    report = db.session.scalar(select(CreditReport).where(CreditReport.number == number))
    if report is None:
        return Verification(None)
    method = Method.FILE if pdf is not None else Method.HASH if digest else Method.NONE
    if not check_password_hash(report.code_hash, code):
        outcome = Outcome.WRONG_CODE
    elif method is Method.NONE:
        outcome = Outcome.CODE_ONLY
    else:
        given = file_sha256(pdf) if pdf is not None else digest
        outcome = Outcome.UNCHANGED if given == report.pdf_sha256 else Outcome.ALTERED
    db.session.add(ReportVerification(report_id=report.id, outcome=outcome, method=method, ip=ip))
    db.session.flush()
    if outcome is Outcome.WRONG_CODE:
        return Verification(None)
    return Verification(outcome, report)


# --- reading -------------------------------------------------------------------------------


def reports_of(enterprise_id: int) -> Select[tuple[CreditReport]]:
    """The enterprise's credit reports, newest first."""
    return (
        select(CreditReport)
        .where(CreditReport.enterprise_id == enterprise_id)
        .order_by(CreditReport.id.desc())
    )


def verifications_of(enterprise_id: int) -> Select[tuple[ReportVerification]]:
    """Every check of the enterprise's reports by a third party, newest first."""
    return (
        select(ReportVerification)
        .join(CreditReport, CreditReport.id == ReportVerification.report_id)
        .where(CreditReport.enterprise_id == enterprise_id)
        .order_by(ReportVerification.id.desc())
    )

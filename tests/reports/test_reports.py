"""The credit report: a real PDF whose text is the profile it was made from; verification
by number + code + the file's bytes (one changed byte fails); a bank only under a covering
authorization, through the guard and its log; every verification logged for the enterprise."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.clock import local_today
from app.extensions import db, limiter
from app.profiles import services as profiles
from app.reports.models import CreditReport, ReportVerification
from app.scoring.features import windows
from tests.conftest import WebClient
from tests.consent.test_guard import grant_query

CODE_RE = re.compile(r"([A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4})")


@pytest.fixture
def scored(punctual, sources):
    """A punctual enterprise with a minor penalty, rebuilt and committed."""
    enterprise = punctual(name="秦川报告测试有限公司", legal_rep="李四", scale="small")
    sources.public(enterprise.uscc, "penalty", local_today() - timedelta(days=40),
                   amount="2000", severity="minor")  # fmt: skip
    profiles.rebuild([enterprise.id], trigger="manual")
    db.session.commit()
    return enterprise


def _client(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.login(user)
    return client


def _owner(app, factories, enterprise):
    user = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    db.session.commit()
    return _client(app, user), user


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _download(client) -> tuple[bytes, CreditReport]:
    response = client.post("/enterprise/reports")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    report = db.session.scalar(select(CreditReport).order_by(CreditReport.id.desc()))
    assert report.number in response.headers["Content-Disposition"]
    return response.data, report


def test_the_pdf_text_is_the_profile_it_was_made_from(app, factories, scored, sources):
    client, _user = _owner(app, factories, scored)
    pdf, report = _download(client)
    text = _text(pdf)
    compact = re.sub(r"\s+", "", text)
    snapshot = profiles.latest_profile(scored.id)
    shown = profiles.profile_dict(snapshot, "zh")
    assert "企业信用报告" in text
    assert "秦川报告测试有限公司" in compact and scored.uscc in compact and "李四" in compact
    assert report.number in compact
    assert f"综合评分（0–1000）{snapshot.score}" in compact
    assert snapshot.grade in text and shown["grade_label"] in compact
    for reason in shown["reasons"]:  # in plain words, never the code
        assert re.sub(r"\s+", "", reason["message"]) in compact
        assert reason["code"] not in text
    for dimension in shown["dimensions"]:
        assert dimension["name"] in compact
    window = windows(snapshot.as_of)
    assert f"{window.start}至{window.end}" in compact  # the period
    assert f"数据截至{snapshot.as_of.isoformat()}" in compact
    assert "纳税记录24" in compact  # coverage: 24 months of tax payments
    assert "显示其余" not in compact  # every row printed, none folded away as on the page
    assert "12,000.00" in text or "12000.00" in text  # the data behind it
    code = CODE_RE.search(text).group(1)
    assert report.code_hash and code.replace("-", "") not in report.code_hash
    assert report.pdf_sha256 == hashlib.sha256(pdf).hexdigest() and report.pdf_size == len(pdf)
    assert (report.score, report.grade, report.as_of) == (snapshot.score, snapshot.grade,
                                                           snapshot.as_of)  # fmt: skip
    # The Chinese font is embedded (subset), not left to the reader's machine.
    fonts = {
        str(f["/BaseFont"])
        for page in PdfReader(io.BytesIO(pdf)).pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts


def _verify(web, number, code, **extra):
    data = {"number": number, "code": code, **extra}
    return web.post("/reports/verify", data, content_type="multipart/form-data")


def test_verification_unchanged_changed_byte_and_wrong_code_all_logged(app, factories, scored, web):
    client, _user = _owner(app, factories, scored)
    pdf, report = _download(client)
    code = CODE_RE.search(_text(pdf)).group(1)

    ok = _verify(web, report.number, code.lower(), pdf=(io.BytesIO(pdf), "r.pdf"))
    assert ok.status_code == 200 and 'data-outcome="unchanged"' in ok.get_data(as_text=True)

    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x01  # one byte
    bad = _verify(web, report.number, code, pdf=(io.BytesIO(bytes(changed)), "r.pdf"))
    assert bad.status_code == 422 and 'data-outcome="altered"' in bad.get_data(as_text=True)

    by_hash = _verify(web, report.number, code, sha256=hashlib.sha256(pdf).hexdigest().upper())
    assert 'data-outcome="unchanged"' in by_hash.get_data(as_text=True)
    code_only = _verify(web, report.number, code).get_data(as_text=True)
    assert 'data-outcome="code_only"' in code_only and "秦川报告测试有限公司" in code_only

    wrong = _verify(web, report.number, "AAAA-AAAA", pdf=(io.BytesIO(pdf), "r.pdf"))
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'data-outcome="not_found"' in page
    assert "秦川报告测试有限公司" not in page  # a wrong code shows nothing of the report
    unknown = _verify(web, "XYD20991231999999", code)
    assert 'data-outcome="not_found"' in unknown.get_data(as_text=True)
    bad_hash = _verify(web, report.number, code, sha256="abc")
    assert bad_hash.status_code == 422 and "64 位" in bad_hash.get_data(as_text=True)

    outcomes = db.session.scalars(
        select(ReportVerification.outcome).order_by(ReportVerification.id)
    ).all()
    assert outcomes == ["unchanged", "altered", "unchanged", "code_only", "wrong_code"]
    page = client.get("/enterprise/reports").get_data(as_text=True)
    assert report.number in page and "验真记录" in page
    assert "编号和验证码正确，但文件与平台出具的不一致" in page and "验证码错误" in page


def test_verification_is_rate_limited(app, web):
    limiter.reset()
    limit = int(app.config["REPORT_VERIFY_RATE_LIMIT"].split()[0])
    statuses = [_verify(web, "XYD20991231999999", "AAAA-AAAA").status_code
                for _ in range(limit + 1)]  # fmt: skip
    assert statuses[:limit] == [422] * limit and statuses[-1] == 429


def test_the_qr_code_and_the_page_point_to_the_verification_address(app, factories, scored):
    client, _user = _owner(app, factories, scored)
    pdf, report = _download(client)
    assert "/reports/verify" in _text(pdf)
    page = client.get(f"/reports/verify?number={report.number}").get_data(as_text=True)
    assert f'value="{report.number}"' in page


def test_bank_denied_without_authorization_and_logged(app, factories, scored):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    db.session.commit()
    client = _client(app, officer)
    response = client.post(f"/bank/enterprises/{scored.uscc}/report")
    assert response.status_code == 403 and response.mimetype != "application/pdf"
    assert db.session.scalar(select(func.count()).select_from(CreditReport)) == 0
    entry = db.session.scalar(
        select(AccessLogEntry).where(AccessLogEntry.enterprise_id == scored.id)
    )
    assert entry.outcome == "denied" and entry.endpoint.endswith("/report")


def test_bank_under_authorization_gets_only_the_covered_data(app, factories, scored):
    bank = factories.bank(name="秦岭测试银行")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    authorization = grant_query(scored, bank, ["enterprises", "public_credit"])
    db.session.commit()
    client = _client(app, officer)
    response = client.post(f"/bank/enterprises/{scored.uscc}/report")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", _text(response.data))
    assert "秦川报告测试有限公司" in text and "秦岭测试银行" in text
    assert "12,000.00" not in text  # tax payments not covered
    assert "本次授权未覆盖" in text  # so the score is withheld
    report = db.session.scalar(select(CreditReport))
    assert report.bank_id == bank.id and report.authorization_id == authorization.id
    assert report.score is None and report.categories == ["enterprises", "public_credit"]
    entry = db.session.get(AccessLogEntry, report.access_log_id)
    assert entry.outcome == "allowed" and entry.user_id == officer.id
    # The enterprise sees the report issued to the bank.
    owner, _user = _owner(app, factories, scored)
    assert "秦岭测试银行" in owner.get("/enterprise/reports").get_data(as_text=True)


def test_english_report(app, factories, scored):
    client, user = _owner(app, factories, scored)
    user.locale = "en"
    db.session.commit()
    client = _client(app, user)
    pdf, report = _download(client)
    text = _text(pdf)
    assert "Enterprise credit report" in text and report.locale == "en"


def test_api_issue_verify_and_bank_guard(app, api, factories, scored):
    owner = factories.user(Role.ENTERPRISE, enterprise=scored)
    token = factories.token(owner)
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    bank_token = factories.token(officer)
    db.session.commit()
    response = api.post("/api/v1/me/reports", token=token)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    number, digest = response.headers["X-Report-Number"], response.headers["X-Report-SHA256"]
    assert digest == hashlib.sha256(response.data).hexdigest()
    code = CODE_RE.search(_text(response.data)).group(1)

    body = api.post("/api/v1/reports/verify", {"number": number, "code": code,
                                                "sha256": digest}).get_json()  # fmt: skip
    assert body["outcome"] == "unchanged" and body["report"]["uscc"] == scored.uscc
    other = hashlib.sha256(response.data + b"\n").hexdigest()
    assert api.post("/api/v1/reports/verify", {"number": number, "code": code,
                    "sha256": other}).get_json()["outcome"] == "altered"  # fmt: skip
    missing = api.post("/api/v1/reports/verify", {"number": number, "code": "XXXX-XXXX"})
    assert missing.get_json() == {"outcome": "not_found", "report": None}

    denied = api.post(f"/api/v1/enterprises/{scored.uscc}/report", token=bank_token)
    assert denied.status_code == 403
    assert denied.get_json()["error"]["code"] == "not_authorized"
    grant_query(scored, bank, list(consent_categories()))
    db.session.commit()
    allowed = api.post(f"/api/v1/enterprises/{scored.uscc}/report", token=bank_token)
    assert allowed.status_code == 200 and allowed.mimetype == "application/pdf"
    spec = api.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/me/reports"]["post"]
    assert "application/pdf" in operation["responses"]["200"]["content"]


def consent_categories():
    from app.consent.guard import ALL_CATEGORIES

    return ALL_CATEGORIES


def test_the_verification_log_pages_beside_the_reports(app, factories, scored):
    """The page showed the newest 100 checks and the newest 50 reports: every check of a
    much-verified report is on a page of its own pager, the reports' page kept."""
    from app.paging import PER_PAGE

    client, _user = _owner(app, factories, scored)
    _pdf, report = _download(client)
    for i in range(PER_PAGE + 1):
        db.session.add(ReportVerification(report_id=report.id, outcome="unchanged",
                                           method="file", ip=f"10.0.0.{i}"))  # fmt: skip
    db.session.commit()
    first = client.get("/enterprise/reports").get_data(as_text=True)
    assert 'href="/enterprise/reports?checks_page=2&amp;page=1"' in first
    checks = first.split('data-testid="checks"')[1]
    assert checks.count("<tr>") == PER_PAGE + 1  # the header and a page of checks
    second = client.get("/enterprise/reports?checks_page=2").get_data(as_text=True)
    assert second.split('data-testid="checks"')[1].count("<tr>") == 2
    reports = second.split('data-testid="checks"')[0]
    assert report.number in reports  # the reports stay on their own first page

"""In Chromium: an enterprise downloads its credit report; a stranger verifies the file
(genuine), then a copy with one byte changed (refused); the enterprise sees both checks; a
bank with an authorization downloads one from the enterprise's profile page. The
enterprise's and the office's workbenches."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.auth import services as auth_services
from app.auth.models import Role
from app.banks import services as bank_services
from app.consent import services as consent
from app.extensions import db
from app.ingest.services import ingest_records
from tests.browser.conftest import login
from tests.consent.test_guard import grant_query
from tests.factories import Factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committing,
    pytest.mark.frozen_at("2026-11-18T10:00:00+08:00"),
]
PASSWORD = "Qinling2026ok"
NAME = "秦岭报告浏览器测试有限公司"


_MADE: dict[str, str] = {}


@pytest.fixture
def accounts(live_server):
    """Made once in the shared live database; both tests use the same accounts."""
    if "uscc" in _MADE:
        return _MADE["uscc"]
    app, _base = live_server
    with app.app_context():
        bank = bank_services.create_bank("RPTBANK", "报告测试银行")
        enterprise = Factories().enterprise(name=NAME)
        owner, _password = auth_services.create_user(
            role=Role.ENTERPRISE, email="owner@report.test", password=PASSWORD,
            uscc=enterprise.uscc, verified=True,
        )  # fmt: skip
        auth_services.create_user(
            role=Role.REGULATOR, email="office@report.test", password=PASSWORD
        )
        auth_services.create_user(
            role=Role.BANK_OFFICER, email="officer@report.test", password=PASSWORD,
            bank_code=bank.code,
        )  # fmt: skip
        text = consent.current_text("collection", "zh")
        consent.grant_collection(
            enterprise.id, ["tax_payments"], user_id=owner.id, ip=None, text_id=text.id
        )
        ingest_records(
            "tax_payments",
            [{"uscc": enterprise.uscc, "period": f"2026-{m:02d}", "tax_type": "增值税",
              "amount": "8800.00", "paid_on": f"2026-{m:02d}-20", "due_on": f"2026-{m:02d}-25"}
             for m in range(1, 11)],
            origin="push",
        )  # fmt: skip
        grant_query(enterprise, bank, ["enterprises", "tax_payments"])
        db.session.commit()
        _MADE["uscc"] = enterprise.uscc
        return enterprise.uscc


def _login(page, base, email):
    login(page, base, email, PASSWORD)


def _code(pdf: bytes) -> str:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert NAME in re.sub(r"\s+", "", text)
    match = re.search(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", text)
    assert match, text[:400]
    return match.group(0)


def test_download_verify_and_the_enterprise_sees_the_checks(browser, live_server, accounts,
                                                             tmp_path):  # fmt: skip
    _app, base = live_server
    owner = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = owner.new_page()
    _login(page, base, "owner@report.test")
    page.get_by_role("link", name="信用报告").first.click()
    expect(page.get_by_role("heading", name="企业信用报告")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_test_id("issue-report").click()
    download = info.value
    number = re.search(r"XYD\d{14}", download.suggested_filename).group(0)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    code = _code(pdf)

    stranger = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    check = stranger.new_page()
    check.goto(f"{base}/reports/verify?number={number}")  # what the QR code opens
    assert check.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(check.get_by_label("报告编号")).to_have_value(number)
    check.get_by_label("验证码").fill(code)
    check.get_by_label("报告文件（PDF，可选）").set_input_files(str(path))
    check.get_by_role("button", name="验真").click()
    result = check.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-outcome", "unchanged")
    expect(result).to_contain_text(NAME)

    changed = bytearray(pdf)
    changed[len(changed) // 3] ^= 0x20
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(changed))
    check.get_by_label("验证码").fill(code)
    check.get_by_label("报告文件（PDF，可选）").set_input_files(str(altered))
    check.get_by_role("button", name="验真").click()
    expect(check.get_by_test_id("verify-result")).to_have_attribute("data-outcome", "altered")
    stranger.close()

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    checks = page.get_by_test_id("checks")
    expect(checks).to_contain_text("报告真实，文件未被改动")
    expect(checks).to_contain_text("编号和验证码正确，但文件与平台出具的不一致")
    owner.close()


def test_bank_downloads_under_its_authorization(browser, live_server, accounts, tmp_path):
    _app, base = live_server
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    _login(page, base, "officer@report.test")
    page.goto(f"{base}/bank/enterprises/{accounts}")
    with page.expect_download() as info:
        page.get_by_test_id("bank-report").click()
    path = tmp_path / "bank.pdf"
    info.value.save_as(path)
    text = re.sub(r"\s+", "", "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages))  # fmt: skip
    assert NAME in text and "报告测试银行" in text and re.search(r"8,?800\.00", text)
    context.close()


def test_enterprise_workbench_says_what_to_do_next(browser, live_server, accounts):
    _app, base = live_server
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, base, "owner@report.test")
    page.goto(base + "/enterprise")
    steps = page.get_by_test_id("next-steps")
    expect(steps.locator('[data-step="collect"]')).to_contain_text("水电气暖缴费")
    improve = page.get_by_test_id("improvements")
    expect(improve).to_contain_text("缺少水电气暖缴费记录")
    expect(improve).to_contain_text("授权平台采集此类数据")
    steps.locator('[data-step="collect"]').get_by_role("link", name="去授权").click()
    page.wait_for_url(re.compile(r".*/authorizations/collection$|.*/consent.*"))
    context.close()


def test_office_workbench_compares_this_month_with_last(browser, live_server, accounts):
    _app, base = live_server
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    _login(page, base, "office@report.test")
    page.goto(base + "/office")
    card = page.get_by_test_id("month-so-far")
    expect(card.get_by_role("heading", name="本月至今与上月对比")).to_be_visible()
    expect(card.locator('[data-figure="demand_count"]')).to_be_visible()
    expect(card.locator('[data-figure="disbursed_amount"]')).to_contain_text("放款金额")
    context.close()

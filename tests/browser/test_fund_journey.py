"""In Chromium: a bank registers a loan with the fund, reports it overdue and files a claim;
the financial office approves it; the fund's dashboard shows the payment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.funds import services as funds
from tests.browser.conftest import login
from tests.factories import Factories
from tests.funds.conftest import Loans

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committing,
    pytest.mark.frozen_at("2026-11-18T10:00:00+08:00"),
]


@pytest.fixture
def journey(live_server):
    app, _base = live_server
    with app.app_context():
        loans = Loans(Factories())
        loan = loans.disbursed(amount="400000")
        funds.create_fund("BRW1", name="浏览器测试基金", capital="5000000", share="50",
                          cap_per_loan="150000", leverage="10", credit_only=True)  # fmt: skip
        db.session.commit()
        return loans.officer.email, loans.office.email, loan.id


def _login(page, base, email):
    login(page, base, email, Factories.PASSWORD)


def test_register_report_claim_approve_and_the_dashboard_shows_it(live_server, browser, journey):
    _app, base = live_server
    officer, office, loan_id = journey
    bank = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    regulator = browser.new_context(locale="zh-CN").new_page()

    _login(bank, base, officer)
    bank.goto(base + "/bank/loans")
    bank.get_by_role("link", name=str(loan_id), exact=True).click()
    bank.get_by_role("button", name="在 浏览器测试基金 备案").click()
    expect(bank.get_by_text("已在风险缓释基金备案")).to_be_visible()
    bank.get_by_label("贷款状态").select_option("non_performing")
    bank.get_by_label("逾期天数").fill("95")
    bank.get_by_label("贷款余额（元）").fill("380000")
    bank.get_by_role("button", name="报送").click()
    expect(bank.get_by_text("贷款状态已报送")).to_be_visible()
    bank.get_by_label("本金损失（元）").fill("380000")
    bank.get_by_label("代偿依据").fill("催收记录、起诉书、法院终结本次执行裁定书")
    bank.get_by_role("button", name="提交代偿申请").click()
    expect(bank.get_by_text("代偿申请已提交")).to_be_visible()
    assert bank.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # reflows

    _login(regulator, base, office)
    regulator.get_by_role("link", name="风险缓释基金").first.click()
    expect(regulator.get_by_text("剩 10 个工作日").first).to_be_visible()
    regulator.get_by_role("link", name="BRW1").click()
    regulator.locator('a[href*="/office/claims/"]').first.click()  # the pending claim
    expect(regulator.get_by_text("批准后基金支付 ¥150,000.00")).to_be_visible()
    regulator.get_by_label("批准代偿").check()
    regulator.get_by_label("说明（驳回时必填）").fill("材料齐全，同意代偿")
    regulator.get_by_role("button", name="提交决定").click()
    expect(regulator.get_by_text("已代偿").first).to_be_visible()
    figures = regulator.locator("#fund-figures")
    expect(figures).to_contain_text("¥150,000.00")  # paid
    expect(figures).to_contain_text("¥4,850,000.00")  # balance
    for page in (bank, regulator):
        page.context.close()

"""In Chromium, the whole loan journey: an enterprise finds a product, applies and
authorizes the bank in one flow; an officer accepts, approves and disburses; the enterprise
sees it on its timeline and in its notifications."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.auth import services as auth_services
from app.auth.models import Role
from app.banks import services as bank_services
from app.extensions import db
from app.products import services as product_services
from tests.browser.conftest import login
from tests.factories import Factories
from tests.products.helpers import DEFAULTS

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PASSWORD = "Qinling2026ok"


@pytest.fixture
def accounts(live_server):
    app, _base = live_server
    with app.app_context():
        bank = bank_services.create_bank("LOANBANK", "长安信贷测试银行")
        enterprise = Factories().enterprise(name="沣东贷款测试有限公司")
        auth_services.create_user(
            role=Role.ENTERPRISE,
            email="owner@loan.test",
            password=PASSWORD,
            uscc=enterprise.uscc,
            verified=True,
        )
        auth_services.create_user(
            role=Role.BANK_OFFICER, email="officer@loan.test", password=PASSWORD,
            bank_code=bank.code,
        )  # fmt: skip
        product_services.create_product(
            bank.id, {**DEFAULTS, "name": "长安税易贷", "status": "published"}
        )
        db.session.commit()


def _login(page, base, email):
    login(page, base, email, PASSWORD)


def test_apply_authorize_accept_approve_disburse(live_server, browser, accounts, tmp_path):
    _app, base = live_server
    owner = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    bank = browser.new_context(locale="zh-CN").new_page()

    _login(owner, base, "owner@loan.test")
    owner.get_by_role("button", name="菜单").click()  # the header menu is folded on a phone
    owner.get_by_role("navigation").get_by_role("link", name="为我匹配").click()
    owner.get_by_label("需要金额（元）").fill("300000")
    owner.get_by_label("期限（月）").fill("24")
    owner.get_by_label("资金用途").fill("采购原材料")
    owner.get_by_role("button", name="匹配产品").click()
    card = owner.locator("section.match").filter(has_text="长安税易贷")
    expect(card.get_by_text("符合条件", exact=True)).to_be_visible()
    reason = card.get_by_text("金额在 ¥100,000.00–¥500,000.00 范围内")
    expect(reason).to_be_hidden()  # the met conditions are one line until opened
    card.get_by_text(re.compile(r"满足全部 \d+ 项条件")).click()
    expect(reason).to_be_visible()
    card.get_by_role("link", name="申请").click()
    assert owner.get_by_label("申请金额（元）").input_value() == "300000"
    assert not owner.get_by_label("纳税记录").is_checked()  # nothing is ticked for the owner
    owner.get_by_role("button", name="全选").click()
    owner.get_by_label("水电气暖缴费").uncheck()
    owner.get_by_role("button", name="下一步：查看银行将看到的内容").click()
    expect(owner.get_by_role("heading", name="确认申请并授权 长安信贷测试银行")).to_be_visible()
    owner.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    owner.get_by_role("button", name="我已阅读并同意授权书，提交申请").click()
    owner.wait_for_url(re.compile(r".*/applications/\d+$"))
    assert owner.locator("#state").inner_text() == "已提交"
    detail_url = owner.url

    _login(bank, base, "officer@loan.test")
    bank.get_by_role("navigation").get_by_role("link", name="申请处理").click()
    expect(bank.get_by_test_id("count-new")).to_have_text("1")  # the day's counts, on top
    bank.get_by_role("navigation", name="申请分类").get_by_role(
        "link", name=re.compile("^待受理")
    ).click()
    new = bank.locator("#tab-new")
    expect(
        new.get_by_text("沣东贷款测试有限公司")
    ).to_be_visible()  # authorized with the application
    expect(new.get_by_text("3 个工作日")).to_be_visible()
    new.locator("tbody a").first.click()
    bank.get_by_role("button", name="受理").click()
    assert bank.locator("#state").inner_text() == "已受理"
    bank.get_by_label("批准金额（元）").fill("280000")
    bank.get_by_label("年利率（%）").fill("4.15")
    bank.get_by_label("期限（月）").fill("24")
    bank.get_by_role("button", name="批准").click()
    assert bank.locator("#state").inner_text() == "已批准"
    bank.get_by_label("放款金额（元）").fill("280000")
    bank.get_by_label("首贷（该企业首次获得贷款）").check()
    bank.get_by_role("button", name="登记放款").click()
    assert bank.locator("#state").inner_text() == "已放款"
    expect(bank.get_by_role("link", name="查看企业画像（经授权，留痕）")).to_be_visible()

    owner.goto(detail_url)
    assert owner.locator("#state").inner_text() == "已放款"
    assert "¥280,000.00" in owner.locator("#disbursed").inner_text()
    assert "首贷" in owner.locator("#disbursed").inner_text()
    timeline = owner.locator("ol.timeline li")
    assert timeline.count() == 4
    assert owner.locator("#unread-count").inner_text() == "3"
    assert owner.locator(".nav-toggle .badge").inner_text() == "3"  # seen with the menu folded
    owner.get_by_role("button", name="菜单").click()
    owner.locator("#notifications-link").click()
    expect(owner.get_by_text("贷款已放款：¥280,000.00")).to_be_visible()
    owner.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    owner.context.close()
    bank.context.close()

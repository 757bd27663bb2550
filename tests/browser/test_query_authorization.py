"""In Chromium: an enterprise authorizes a bank, the bank looks, the enterprise revokes,
the bank is refused, and the enterprise reads both looks in its access log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth import services as auth_services
from app.auth.models import Role
from app.banks import services as bank_services
from app.extensions import db
from tests.browser.conftest import login
from tests.factories import Factories

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PASSWORD = "Qinling2026ok"


@pytest.fixture
def accounts(live_server):
    app, _base = live_server
    with app.app_context():
        bank = bank_services.create_bank("BRWBANK", "浏览器测试银行")
        enterprise = Factories().enterprise(name="渭河授权测试有限公司")
        _owner, _ = auth_services.create_user(
            role=Role.ENTERPRISE,
            email="owner@brw.test",
            password=PASSWORD,
            uscc=enterprise.uscc,
            verified=True,
        )
        _officer, _ = auth_services.create_user(
            role=Role.BANK_OFFICER, email="officer@brw.test", password=PASSWORD, bank_code=bank.code
        )
        db.session.commit()
        return enterprise.uscc


def _login(page, base, email):
    login(page, base, email, PASSWORD)


def test_grant_look_revoke_and_read_the_log(live_server, browser, accounts, tmp_path):
    _app, base = live_server
    uscc = accounts
    owner = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    bank = browser.new_context(locale="zh-CN").new_page()

    _login(owner, base, "owner@brw.test")
    owner.get_by_role("button", name="菜单").click()  # the header menu is folded on a phone
    owner.get_by_role("link", name="银行查询授权").click()
    owner.get_by_label("被授权银行").select_option(label="浏览器测试银行")
    assert not owner.get_by_label("纳税记录").is_checked()  # nothing is ticked for the owner
    owner.get_by_role("button", name="全选").click()
    owner.get_by_label("水电气暖缴费").uncheck()
    owner.get_by_label("授权用途").select_option(label="授信续期")
    owner.get_by_label("可查看的数据范围").select_option(label="近 24 个月")
    owner.get_by_role("button", name="下一步：预览银行将看到的内容").click()
    expect(
        owner.get_by_role("heading", name="确认授权 浏览器测试银行 查看以下内容")
    ).to_be_visible()
    expect(owner.get_by_text("渭河授权测试有限公司").first).to_be_visible()
    expect(owner.get_by_text("用途：授信续期")).to_be_visible()
    expect(owner.get_by_text("不得保留下载的副本，用毕即删")).to_be_visible()
    owner.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    owner.get_by_role("button", name="我已阅读并同意上述授权书，确认授权").click()
    owner.wait_for_url(base + "/consent/banks")
    expect(owner.get_by_text("授权已生效")).to_be_visible()

    _login(bank, base, "officer@brw.test")
    bank.get_by_role("link", name="查询企业").click()
    bank.get_by_label("统一社会信用代码").fill(uscc)
    bank.get_by_role("button", name="查询").click()
    expect(bank.get_by_role("heading", name="渭河授权测试有限公司")).to_be_visible()
    expect(bank.get_by_text("企业未授权本行查看此类数据。").first).to_be_visible()  # utility bills

    owner.get_by_role("link", name="撤销").first.click()
    owner.get_by_role("button", name="确认撤销").click()
    owner.wait_for_url(base + "/consent/banks")
    expect(owner.get_by_text("授权已撤销")).to_be_visible()

    bank.reload()
    expect(bank.get_by_role("heading", name="匿名企业概况")).to_be_visible()
    assert bank.get_by_text("渭河授权测试有限公司").count() == 0

    owner.get_by_role("button", name="菜单").click()
    owner.get_by_role("link", name="查询记录").click()
    rows = owner.locator("tbody tr")
    expect(rows).to_have_count(2)  # waits for the log page (count() would read the old one)
    expect(rows.nth(0).get_by_text("已拒绝")).to_be_visible()
    expect(rows.nth(1).get_by_text("已允许")).to_be_visible()
    expect(rows.nth(1).get_by_text("浏览器测试银行")).to_be_visible()
    owner.screenshot(path=str(tmp_path / "access-log.png"), full_page=True)
    owner.context.close()
    bank.context.close()

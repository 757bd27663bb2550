"""In Chromium: register, verify by the code sent to the phone on file (read from the
operator's development outbox), grant collection authorization, and see the profile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.auth import services as auth_services
from app.auth.models import Role
from app.extensions import db
from tests.browser.conftest import answer_second_factor
from tests.factories import Factories

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PASSWORD = "Qinling2026ok"


@pytest.fixture
def registry(live_server):
    """A registry record with the annual report's contact phone, and the operator."""
    app, _base = live_server
    with app.app_context():
        enterprise = Factories().enterprise(
            name="秦岭短信核验有限公司", contact_phone="13700001234"
        )
        auth_services.create_user(role=Role.ADMIN, email="ops@phone.test", password=PASSWORD)
        db.session.commit()
        return enterprise.uscc


def test_register_verify_by_phone_grant_and_see_the_profile(live_server, browser, registry):
    _app, base = live_server
    owner = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    owner.goto(base + "/register")
    owner.get_by_label("统一社会信用代码").fill(registry)
    owner.get_by_label("企业名称").fill("秦岭短信核验有限公司")
    owner.get_by_label("联系人").fill("李雷")
    owner.get_by_label("邮箱").fill("lilei@phone.test")
    owner.get_by_label("密码", exact=True).fill(PASSWORD)
    owner.get_by_label("确认密码").fill(PASSWORD)
    owner.get_by_role("button", name="注册").click()
    owner.wait_for_url(base + "/account/verification")
    expect(owner.get_by_text("137****1234").first).to_be_visible()
    # Before verification the collection authorization is refused.
    owner.goto(base + "/consent/collection")
    owner.wait_for_url(base + "/account/verification")

    owner.get_by_role("button", name="发送验证码").click()
    expect(owner.get_by_text("验证码已发送至 137****1234")).to_be_visible()

    # Development: the operator's outbox shows the SMS the gateway would have carried.
    ops = browser.new_context(locale="zh-CN").new_page()
    ops.goto(base + "/login")
    ops.get_by_label("邮箱").fill("ops@phone.test")
    ops.get_by_label("密码").fill(PASSWORD)
    ops.get_by_role("button", name="登录").click()
    answer_second_factor(ops, base, "ops@phone.test")
    ops.get_by_role("link", name="短信发件箱（开发环境）").click()
    row = ops.locator("#sms-outbox tbody tr").filter(has_text="13700001234").first
    code = re.search(r"\b(\d{6})\b", row.inner_text()).group(1)
    ops.context.close()

    owner.get_by_label("短信验证码").fill(code)
    owner.get_by_role("button", name="提交验证码").click()
    expect(owner.get_by_text("账户核验通过").first).to_be_visible()
    expect(owner.locator("#verification-state")).to_have_text("已核验")

    owner.goto(base + "/consent/collection")
    for category in ("纳税信用评价", "纳税记录", "水电气暖缴费", "社会保险缴纳"):
        owner.get_by_label(category, exact=True).check()
    owner.get_by_role("button", name="我已阅读并同意上述授权书，确认授权").click()
    expect(owner.get_by_text("授权已生效")).to_be_visible()

    owner.goto(base + "/enterprise/profile")
    expect(owner.get_by_role("heading", name="我的信用画像")).to_be_visible()
    owner.goto(base + "/account/history")
    expect(owner.get_by_text("发送短信验证码")).to_be_visible()
    expect(owner.get_by_text("账户核验通过")).to_be_visible()
    owner.context.close()
